"""``copyctl status --org``'s own AWS calls (adapters.organization), checked by botocore's model.

ListStackInstances (paginated, with CallAs) and AssumeRole of the reader role, named by the rule
of template.yaml's OrganizationReaderRole. The member's DescribeStacks and ledger Query are the
single-stack status's, contract-tested in test_reconcile_adapters.py and below for DescribeStacks.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from adapters.organization import (
    MemberStack,
    assume_reader,
    list_instances,
    reader_role_arn,
    reader_role_name,
)
from adapters.sessions import Connection, TemporaryCredentials, stack_outputs
from core.kernel.errors import PermanentError

STACK_ID = "arn:aws:cloudformation:eu-west-1:111111111111:stack/StackSet-backup-primary-1/abc"


def _summary(account: str, region: str, **extra: object) -> dict[str, object]:
    return {
        "StackSetId": "backup-primary:0f1e2d3c",
        "Region": region,
        "Account": account,
        "Status": "CURRENT",
        "StackInstanceStatus": {"DetailedStatus": "SUCCEEDED"},
        **extra,
    }


def test_given_two_pages_of_instances_when_listed_then_every_member_with_its_stack() -> None:
    client = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response(
            "list_stack_instances",
            {
                "Summaries": [_summary("111111111111", "eu-west-1", StackId=STACK_ID)],
                "NextToken": "2",
            },
            {"StackSetName": "backup-primary", "CallAs": "DELEGATED_ADMIN"},
        )
        stub.add_response(
            "list_stack_instances",
            {
                "Summaries": [
                    _summary(
                        "222222222222",
                        "us-east-1",
                        Status="INOPERABLE",
                        StatusReason="should have 'AWSCloudFormationStackSetExecutionRole'",
                        StackInstanceStatus={"DetailedStatus": "FAILED"},
                    )
                ]
            },
            {"StackSetName": "backup-primary", "CallAs": "DELEGATED_ADMIN", "NextToken": "2"},
        )
        members = list_instances(client, "backup-primary", "primary", call_as="DELEGATED_ADMIN")
    assert [(m.account, m.region, m.stack_id, m.status) for m in members] == [
        ("111111111111", "eu-west-1", STACK_ID, "CURRENT"),
        ("222222222222", "us-east-1", None, "INOPERABLE"),
    ]
    assert "AWSCloudFormationStackSetExecutionRole" in members[1].status_reason


def test_given_a_missing_stack_set_when_listed_then_a_permanent_error_with_its_code() -> None:
    client = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("list_stack_instances", "StackSetNotFoundException", "no such set")
        with pytest.raises(PermanentError) as raised:
            list_instances(client, "nope", "primary", call_as="SELF")
    assert raised.value.reason == "StackSetNotFoundException"


MEMBER = MemberStack("backup-dr", "dr", "111111111111", "ap-southeast-2", STACK_ID, "CURRENT")


def test_given_a_member_when_the_reader_is_assumed_then_the_role_is_named_by_region_and_role() -> (
    None
):
    sts = boto3.client("sts", region_name="us-east-1")
    expected = "arn:aws:iam::111111111111:role/backup-copy-org-reader-ap-southeast-2-dr"
    with Stubber(sts) as stub:
        stub.add_response(
            "assume_role",
            {
                "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
                    "SecretAccessKey": "secret",
                    "SessionToken": "token",
                    "Expiration": datetime(2026, 12, 5, 8, tzinfo=UTC),
                }
            },
            {"RoleArn": expected, "RoleSessionName": "copyctl-status-org", "DurationSeconds": 900},
        )
        credentials = assume_reader(sts, MEMBER)
    assert reader_role_arn(MEMBER) == expected
    assert credentials.access_key_id == "ASIAEXAMPLEEXAMPLE01"


def test_given_no_reader_role_when_assumed_then_access_denied_is_the_reason() -> None:
    sts = boto3.client("sts", region_name="us-east-1")
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", "AccessDenied", http_status_code=403)
        with pytest.raises(PermanentError) as raised:
            assume_reader(sts, MEMBER)
    assert raised.value.reason == "AccessDenied"


@pytest.mark.parametrize(
    "region", ["us-east-1", "ap-southeast-5", "us-gov-west-1", "cn-northwest-1"]
)
@pytest.mark.parametrize("role", ["primary", "dr"])
def test_given_any_region_and_role_then_the_reader_name_fits_iam(region: str, role: str) -> None:
    # IAM role names: at most 64 characters of [\w+=,.@-]
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
    name = reader_role_name(region, role)
    assert len(name) <= 64
    assert name.endswith(f"-{region}-{role}")


def test_given_a_china_region_then_the_reader_arn_is_in_its_partition() -> None:
    member = MemberStack("s", "primary", "111111111111", "cn-north-1", None, "CURRENT")
    assert reader_role_arn(member).startswith("arn:aws-cn:iam::111111111111:role/")


def test_given_assumed_credentials_when_outputs_are_read_then_describe_stacks_by_stack_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the member's connection: the assumed role's credentials, not the profile's
    seen: dict[str, object] = {}
    original = boto3.session.Session.client

    def client(self: boto3.session.Session, service: str, **kwargs: object) -> object:
        made = original(self, service, **kwargs)  # type: ignore[call-overload]
        seen["key"] = kwargs.get("aws_access_key_id")
        stub = Stubber(made)
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "StackSet-backup-primary-1",
                        "CreationTime": datetime(2026, 12, 1, tzinfo=UTC),
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": "LedgerTableName", "OutputValue": "ledger"}],
                    }
                ]
            },
            {"StackName": STACK_ID},
        )
        stub.activate()
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    connection = Connection(
        region="eu-west-1",
        credentials=TemporaryCredentials("ASIAKEY", "s", "t"),
    )
    # When
    outputs = stack_outputs(connection, STACK_ID)
    # Then
    assert outputs == {"LedgerTableName": "ledger"}
    assert seen["key"] == "ASIAKEY"
