"""The service-key resolver (``handlers.service_key_resolver``): KMS through botocore's model
(Stubber), the reply through a real HTTP PUT to a local listener standing in for the presigned
ResponseURL, and the ``events/`` sample of CloudFormation's request.

Request fields: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
Reply fields: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

import adapters.clients
import handlers.service_key_resolver as resolver_handler
from adapters.kms import AwsManagedKeys
from emulator.cloudformation.custom_resources import ResponseInbox
from tests.contract.event_shapes import custom_resource_request_problems
from tests.lambda_context import FakeLambdaContext
from tests.samples import read_event, readme_expectations

SAMPLE = "cloudformation-service-key-create.json"
ACCOUNT, REGION = "111122223333", "us-east-1"
RDS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
EBS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The handler's KMS client, answered by a Stubber (every request checked by the model)."""
    client = boto3.client("kms", region_name=REGION)
    monkeypatch.setattr(adapters.clients, "kms", lambda: client)
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def inbox() -> Iterator[ResponseInbox]:
    with ResponseInbox() as listening:
        yield listening


def request(inbox: ResponseInbox, request_type: str = "Create", **changes: Any) -> dict[str, Any]:
    """The events/ sample, as CloudFormation would send it, replying to the local listener."""
    event: dict[str, Any] = copy.deepcopy(read_event(SAMPLE))
    event["RequestType"] = request_type
    if request_type != "Create":
        event["PhysicalResourceId"] = RDS_KEY
    if request_type == "Update":
        event["OldResourceProperties"] = copy.deepcopy(event["ResourceProperties"])
    event.update(changes)
    event["ResponseURL"] = inbox.url_for(event["StackId"], event["LogicalResourceId"], "r1")
    return event


def invoke(inbox: ResponseInbox, event: dict[str, Any]) -> dict[str, Any]:
    """Run the handler; the reply as the listener received it."""
    resolver_handler.lambda_handler(event, FakeLambdaContext())
    received = inbox.reply_to(event["ResponseURL"])
    assert received is not None, "the handler sent no reply"
    reply: dict[str, Any] = received.document()
    return reply


def describe(stub: Stubber, alias: str, key_arn: str, **metadata: str) -> None:
    answer = {
        "KeyMetadata": {
            "KeyId": key_arn.rsplit("/", 1)[1],
            "Arn": key_arn,
            "KeyManager": "AWS",
            "KeyState": "Enabled",
            **metadata,
        }
    }
    stub.add_response("describe_key", answer, {"KeyId": alias})


# --- the sample ------------------------------------------------------------------------------


def test_given_the_sample_request_when_checked_then_it_has_cloudformation_s_documented_shape() -> (
    None
):
    assert custom_resource_request_problems(read_event(SAMPLE)) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"RequestType": "Replace"}, "RequestType"),
        ({"ResponseURL": "http://example.com/reply"}, "ResponseURL"),
        ({"StackId": "backup-copy-orchestrator"}, "StackId"),
        ({"ResourceType": "AWS::KMS::Key"}, "ResourceType"),
        ({"ResourceProperties": {"AliasName": "alias/aws/rds"}}, "ServiceToken"),
        ({"RequestType": "Delete"}, "PhysicalResourceId"),
        ({"RequestType": "Update", "PhysicalResourceId": RDS_KEY}, "OldResourceProperties"),
    ],
)
def test_given_a_request_off_the_documented_shape_when_checked_then_the_check_names_it(
    change: dict[str, Any], problem: str
) -> None:
    event = {**read_event(SAMPLE), **change}
    assert any(problem in found for found in custom_resource_request_problems(event))


def test_given_the_sample_when_resolved_then_the_readme_outcome_is_reached(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    # Given the README's expectation for the sample, and KMS knowing aws/rds
    expectation = readme_expectations()[SAMPLE]
    describe(kms, "alias/aws/rds", RDS_KEY)
    # When the handler answers the sample
    reply = invoke(inbox, request(inbox))
    # Then the reply's status is the one listed
    assert f"service-key:{reply['Status']}" == expectation.expected


# --- Create, Update, Delete ------------------------------------------------------------------


def test_given_a_create_when_kms_names_the_aws_managed_key_then_success_with_its_arn(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    # Given KMS answering DescribeKey on alias/aws/rds with an enabled AWS managed key
    describe(kms, "alias/aws/rds", RDS_KEY)
    # When CloudFormation sends the Create request
    event = request(inbox)
    reply = invoke(inbox, event)
    # Then the reply is SUCCESS, the key ARN is both the physical id and the KeyArn attribute,
    # and the ids are copied from the request
    assert reply["Status"] == "SUCCESS"
    assert reply["PhysicalResourceId"] == RDS_KEY
    assert reply["Data"] == {"KeyArn": RDS_KEY}
    for name in ("StackId", "RequestId", "LogicalResourceId"):
        assert reply[name] == event[name]


def test_given_a_reply_when_sent_then_it_is_a_put_with_an_empty_content_type(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    # Given a Create the resolver answers
    describe(kms, "alias/aws/rds", RDS_KEY)
    event = request(inbox)
    # When the handler replies
    resolver_handler.lambda_handler(event, FakeLambdaContext())
    # Then the listener got one PUT (it keeps only PUTs) without a content type, as AWS's own
    # cfn-response module sends it to the presigned URL
    received = inbox.reply_to(event["ResponseURL"])
    assert received is not None
    assert received.content_type in ("", None)


def test_given_an_update_with_the_same_alias_when_resolved_then_the_physical_id_is_unchanged(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    # Given a resource created for aws/rds (physical id = the key ARN)
    describe(kms, "alias/aws/rds", RDS_KEY)
    # When an Update arrives with the same alias
    reply = invoke(inbox, request(inbox, "Update"))
    # Then the same physical id comes back: CloudFormation sees no replacement
    assert reply["Status"] == "SUCCESS"
    assert reply["PhysicalResourceId"] == RDS_KEY


def test_given_an_update_to_another_alias_when_resolved_then_the_physical_id_changes(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    # Given a resource created for aws/rds, updated to aws/ebs
    describe(kms, "alias/aws/ebs", EBS_KEY)
    event = request(inbox, "Update", ResourceProperties={
        **read_event(SAMPLE)["ResourceProperties"], "AliasName": "alias/aws/ebs"
    })  # fmt: skip
    reply = invoke(inbox, event)
    # Then the new key's ARN replaces the old id (CloudFormation then deletes the old one)
    assert reply["PhysicalResourceId"] == EBS_KEY


@pytest.mark.parametrize("properties", [{"AliasName": "alias/aws/rds"}, {}, None])
def test_given_a_delete_when_answered_then_success_without_any_kms_call(
    kms: Stubber, inbox: ResponseInbox, properties: dict[str, Any] | None
) -> None:
    # Given a Delete (also the rollback of a Create that failed on malformed properties)
    event = request(inbox, "Delete", ResourceProperties=properties)
    # When the handler answers it with no KMS answer queued (any call would fail)
    reply = invoke(inbox, event)
    # Then SUCCESS with the same physical id, and no request reached KMS
    assert reply["Status"] == "SUCCESS"
    assert reply["PhysicalResourceId"] == RDS_KEY


# --- FAILED, always with a reason --------------------------------------------------------------


def test_given_a_customer_managed_key_behind_the_alias_when_resolved_then_failed(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    describe(kms, "alias/aws/rds", RDS_KEY, KeyManager="CUSTOMER")
    reply = invoke(inbox, request(inbox))
    assert reply["Status"] == "FAILED"
    assert "KeyManager CUSTOMER" in reply["Reason"]
    assert "Data" not in reply


def test_given_a_disabled_key_when_resolved_then_failed(kms: Stubber, inbox: ResponseInbox) -> None:
    describe(kms, "alias/aws/rds", RDS_KEY, KeyState="Disabled")
    reply = invoke(inbox, request(inbox))
    assert reply["Status"] == "FAILED"
    assert "Disabled" in reply["Reason"]


def test_given_a_key_of_another_region_when_resolved_then_failed(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    # Given KMS naming a key of another Region (a vault needs a key of its own Region)
    describe(kms, "alias/aws/rds", RDS_KEY.replace(REGION, "eu-west-1"))
    reply = invoke(inbox, request(inbox))
    assert reply["Status"] == "FAILED"
    assert "not a key of this stack's account and Region" in reply["Reason"]


def test_given_kms_denies_the_call_when_resolved_then_failed_with_kms_s_reason(
    kms: Stubber, inbox: ResponseInbox
) -> None:
    # Given the role's kms:RequestAlias condition refusing the call
    kms.add_client_error(
        "describe_key",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform: kms:DescribeKey",
        http_status_code=400,
        expected_params={"KeyId": "alias/aws/rds"},
    )
    reply = invoke(inbox, request(inbox))
    # Then CloudFormation is told why, in KMS's own words
    assert reply["Status"] == "FAILED"
    assert "AccessDeniedException" in reply["Reason"]
    assert "not authorized to perform: kms:DescribeKey" in reply["Reason"]
    # And a failed Create still carries a non-empty physical id
    assert reply["PhysicalResourceId"] == "ServiceKeyRds-unresolved"


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        (None, "ResourceProperties is missing"),
        ({"ServiceToken": "arn:aws:lambda:us-east-1:1:function:f"}, "AliasName is missing"),
        ({"AliasName": ["alias/aws/rds"]}, "AliasName is missing"),
        ({"AliasName": "alias/my-key"}, "not an AWS managed key's alias"),
        ({"AliasName": "alias/aws/rds/../../my-key"}, "not an AWS managed key's alias"),
        ({"AliasName": "arn:aws:kms:us-east-1:111122223333:alias/aws/rds"}, "not an AWS managed"),
    ],
)
def test_given_malformed_properties_when_resolved_then_failed_without_any_kms_call(
    kms: Stubber, inbox: ResponseInbox, properties: dict[str, Any] | None, reason: str
) -> None:
    reply = invoke(inbox, request(inbox, ResourceProperties=properties))
    assert reply["Status"] == "FAILED"
    assert reason in reply["Reason"]


def test_given_an_unexpected_error_when_resolving_then_failed_is_still_put(
    monkeypatch: pytest.MonkeyPatch, inbox: ResponseInbox
) -> None:
    # Given a KMS adapter that breaks in a way no code expects
    def broken(self: AwsManagedKeys, alias_name: str) -> Any:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(AwsManagedKeys, "describe", broken)
    # When a Create is answered
    reply = invoke(inbox, request(inbox))
    # Then CloudFormation hears FAILED with the error, instead of waiting for ServiceTimeout
    assert reply["Status"] == "FAILED"
    assert "ZeroDivisionError: boom" in reply["Reason"]


def test_given_a_request_without_a_response_url_when_invoked_then_nothing_is_sent(
    kms: Stubber,
) -> None:
    # Given a request nobody can be answered at
    event = copy.deepcopy(read_event(SAMPLE))
    del event["ResponseURL"]
    # When the handler runs it, no KMS call is made (the envelope is incomplete) and it says so
    answer = resolver_handler.lambda_handler(event, FakeLambdaContext())
    assert answer["Sent"] is False
    assert answer["Status"] == "FAILED"
