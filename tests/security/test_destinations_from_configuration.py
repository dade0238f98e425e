"""Destinations come only from configuration: whatever vaults, accounts or Regions an event names,
a copy goes only to a configured destination vault, from a configured source vault, with the
configured role - and an event of another account or Region starts no copy at all (for a copy
job's event: one whose destination vault is in another account or Region).

Property-based (hypothesis) through the real handlers; AWS answered in memory (``CannedAws``),
so botocore validates every request against the service model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localrun.canned_aws import CannedAws
from localrun.copy_path_answers import CREATED, copy_requests, healthy_copy_path
from localrun.harness import (
    failed_ids,
    handler_environment,
    sqs_batch,
    sqs_record,
)
from tests.lambda_context import FakeLambdaContext
from tests.samples import (
    ACCOUNT,
    COPY_ROLE_ARN,
    DR_SVC_EBS_VAULT_ARN,
    DR_SVC_RDS_VAULT_ARN,
    LAG_PLAN_ID,
    LAG_VAULT_ARN,
    MANAGED_VAULT_ARN,
    PLAIN_PLAN_ID,
    REGION,
    SOURCE_VAULTS,
    SVC_EBS_VAULT_ARN,
    SVC_RDS_VAULT_ARN,
    read_event,
    vault_arn,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

CONFIGURED = {
    LAG_VAULT_ARN,
    MANAGED_VAULT_ARN,
    SVC_RDS_VAULT_ARN,
    SVC_EBS_VAULT_ARN,
    DR_SVC_RDS_VAULT_ARN,
    DR_SVC_EBS_VAULT_ARN,
}
OTHER_ACCOUNT, OTHER_REGION = "999988887777", "eu-west-1"
accounts = st.sampled_from([ACCOUNT, ACCOUNT, OTHER_ACCOUNT])
regions = st.sampled_from([REGION, REGION, OTHER_REGION])
vault_names = st.sampled_from(
    [*SOURCE_VAULTS, "lag", "orchestrator-managed-key", "orchestrator-svc-rds", "attacker"]
)
foreign_vaults = st.builds(vault_arn, vault_names, account=accounts, region=regions)
# Fields a forged or future event might carry to steer a copy elsewhere.
steering_keys = st.sampled_from(
    ["destinationBackupVaultArn", "targetBackupVaultArn", "copyDestination", "iamRoleArn"]
)


@pytest.fixture(scope="module")
def handlers() -> Iterator[tuple[ModuleType, ModuleType, CannedAws]]:
    aws = CannedAws(REGION)
    healthy_copy_path(aws, ACCOUNT)
    _tracking_answers(aws)
    with handler_environment() as (copy_handler, tracking_handler), aws.installed():
        yield copy_handler, tracking_handler, aws


@st.composite
def backup_completed_events(draw: st.DrawFn) -> dict[str, Any]:
    event = read_event("backup-completed-ebs-lag-plan.json")
    name = draw(vault_names)
    event["account"], event["region"] = draw(accounts), draw(regions)
    detail = event["detail"]
    detail["backupVaultName"] = name
    detail["backupVaultArn"] = vault_arn(name, account=draw(accounts), region=draw(regions))
    detail["resourceType"] = draw(st.sampled_from(["EBS", "S3", "EFS", "RDS", "Aurora"]))
    detail["createdBy"]["backupPlanId"] = draw(st.sampled_from([LAG_PLAN_ID, PLAIN_PLAN_ID]))
    region = draw(regions)
    event["resources"] = [f"arn:aws:backup:{region}:{draw(accounts)}:recovery-point:rp-{name}"]
    for key in draw(st.lists(steering_keys, max_size=3, unique=True)):
        detail[key] = draw(foreign_vaults)
    return event


@st.composite
def copy_completed_events(draw: st.DrawFn) -> dict[str, Any]:
    """A copy into a source vault (the DR case) is itself a recovery point to protect."""
    event = read_event("copy-completed-into-dr-vault.json")
    event["account"], event["region"] = draw(accounts), draw(regions)
    destination = draw(foreign_vaults)
    event["detail"]["destinationBackupVaultArn"] = destination
    region = destination.split(":")[3]
    event["detail"]["destinationRecoveryPointArn"] = f"arn:aws:ec2:{region}::snapshot/snap-0abc"
    return event


def _is_home(event: dict[str, Any]) -> bool:
    """A backup job's event is home when raised here; a copy's when its vault is here: a copy
    into this Region's DR vault may be announced by the source Region's bus, forwarded."""
    if event["detail-type"] == "Copy Job State Change":
        vault = event["detail"]["destinationBackupVaultArn"].split(":")
        return (vault[4], vault[3]) == (ACCOUNT, REGION)
    return (event["account"], event["region"]) == (ACCOUNT, REGION)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(
        st.one_of(backup_completed_events(), copy_completed_events()), min_size=1, max_size=6
    )
)
def test_given_events_naming_any_vault_when_handled_then_copies_go_only_to_configured_vaults(
    handlers: tuple[ModuleType, ModuleType, CannedAws], events: list[dict[str, Any]]
) -> None:
    copy_handler, _, aws = handlers
    aws.reset_counts()
    # When a batch of such events reaches the copy handler
    response = copy_handler.lambda_handler(
        sqs_batch({f"m{i}": event for i, event in enumerate(events)}), FakeLambdaContext()
    )
    # Then every copy goes to a configured destination, from a source vault, with the role
    assert failed_ids(response) == set()
    for request in copy_requests(aws):
        assert request["DestinationBackupVaultArn"] in CONFIGURED
        assert request["SourceBackupVaultName"] in SOURCE_VAULTS
        assert request["IamRoleArn"] == COPY_ROLE_ARN
    # ... and only events of this account and Region (a copy's: its vault's) start one
    assert len(copy_requests(aws)) <= sum(_is_home(event) for event in events)


@st.composite
def copy_failed_events(draw: st.DrawFn) -> dict[str, Any]:
    event = read_event("copy-job-failed-throttled.json")
    event["account"], event["region"] = draw(accounts), draw(regions)
    name = draw(st.sampled_from(["lag", "orchestrator-managed-key", "orchestrator-svc-rds", "x"]))
    event["detail"]["destinationBackupVaultArn"] = vault_arn(
        name, account=draw(accounts), region=draw(regions)
    )
    event["detail"]["statusMessage"] = draw(
        st.sampled_from(
            [
                "Copy job failed because the request was throttled: Rate exceeded.",
                "Copy job failed. The retention specified in the job is not within the range "
                "specified for the target Backup Vault.",
                "Copy job failed. Resource type S3 is not supported by logically air-gapped "
                "backup vaults.",
                "Something nobody has seen before",
            ]
        )
    )
    return event


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=copy_failed_events())
def test_given_a_failed_copy_naming_any_vault_when_tracked_then_retries_go_only_to_configured_ones(
    handlers: tuple[ModuleType, ModuleType, CannedAws], event: dict[str, Any]
) -> None:
    _, tracking_handler, aws = handlers
    aws.reset_counts()
    # When the tracking handler acts on the failure (a retry or a fallback)
    response = tracking_handler.lambda_handler(after_backoff(event), FakeLambdaContext())
    # Then any new copy goes to a configured destination with the configured role
    assert failed_ids(response) == set()
    destination = event["detail"]["destinationBackupVaultArn"]
    for request in copy_requests(aws):
        assert request["DestinationBackupVaultArn"] in CONFIGURED
        assert request["IamRoleArn"] == COPY_ROLE_ARN
        assert _is_home(event)
        assert destination in CONFIGURED


def after_backoff(event: dict[str, Any]) -> dict[str, Any]:
    """The FAILED event as SQS delivers it again once a transient failure's backoff is over
    (the ledger below has noted the failure): its retry starts now (core.kernel.retry_delay)."""
    return {"Records": [sqs_record("m", json.dumps(event), receive_count=2)]}


def _tracking_answers(aws: CannedAws) -> None:
    """The ledger holds the failed attempt as started, its failure noted (``LastFailedCopyJobId``);
    AWS Backup confirms the failure."""

    def get_item(params: dict[str, Any]) -> dict[str, Any]:
        key = params["Key"]
        return {
            "Item": {
                **key,
                "State": {"S": "started"},
                "Attempts": {"N": "1"},
                "CopyJobId": {"S": "A3F1C9E2-5D7B-4C6A-9E8F-2B1D0C3A4E5F"},
                "LastFailedCopyJobId": {"S": "A3F1C9E2-5D7B-4C6A-9E8F-2B1D0C3A4E5F"},
                "SourceVaultName": {"S": "daily"},
                "ResourceType": {"S": "S3"},
                "ResourceArn": {"S": "arn:aws:s3:::example-bucket"},
                "BackupPlanId": {"S": LAG_PLAN_ID},
                "UpdatedAt": {"S": CREATED.isoformat()},
            }
        }

    aws.answer("dynamodb", "GetItem", get_item)
    aws.answer(
        "backup",
        "DescribeCopyJob",
        lambda p: {"CopyJob": {"CopyJobId": p["CopyJobId"], "State": "FAILED"}},
    )
    aws.answer(
        "backup",
        "DescribeBackupVault",
        lambda p: {"BackupVaultName": p["BackupVaultName"], "MinRetentionDays": 7},
    )
    aws.answer("sns", "Publish", lambda _: {"MessageId": "alert"})


def test_given_the_sample_backup_of_this_account_when_handled_then_it_is_copied_once(
    handlers: tuple[ModuleType, ModuleType, CannedAws],
) -> None:
    # Positive control for the property above: a genuine event does start a copy
    copy_handler, _, aws = handlers
    aws.reset_counts()
    event = read_event("backup-completed-ebs-lag-plan.json")
    copy_handler.lambda_handler(sqs_batch({"m": event}), FakeLambdaContext())
    assert [r["DestinationBackupVaultArn"] for r in copy_requests(aws)] == [LAG_VAULT_ARN]


def test_given_the_sample_throttled_copy_when_tracked_then_it_is_retried_into_its_vault(
    handlers: tuple[ModuleType, ModuleType, CannedAws],
) -> None:
    # Positive control for the tracking property: a genuine failure is retried
    _, tracking_handler, aws = handlers
    aws.reset_counts()
    event = read_event("copy-job-failed-throttled.json")
    tracking_handler.lambda_handler(after_backoff(event), FakeLambdaContext())
    assert [r["DestinationBackupVaultArn"] for r in copy_requests(aws)] == [MANAGED_VAULT_ARN]
