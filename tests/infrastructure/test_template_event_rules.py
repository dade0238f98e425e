"""The EventBridge rules match exactly the events that announce a recovery point to protect.

Patterns are read from template.yaml, rendered to concrete vault names and ARNs, and matched with
moto's EventBridge pattern engine (moto's TestEventPattern API is a stub). Event shapes follow
https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html and
../shared/docs/aws-backup-facts.md section 7.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from tests.infrastructure.expectations import ACCOUNT, dr_vault_arn
from tests.samples import read_event
from tests.template_loader import RenderedStack, render

REGION = "us-east-1"


def _pattern(stack: RenderedStack, rule: str) -> EventPattern:
    return EventPattern.load(json.dumps(stack.properties(rule)["EventPattern"]))


def _vault_arn(stack: RenderedStack, logical_id: str) -> str:
    name = stack.properties(logical_id)["BackupVaultName"]
    return f"arn:aws:backup:{stack.region}:{stack.account}:backup-vault:{name}"


def backup_job_event(vault_name: str, vault_arn: str, state: str = "COMPLETED") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "0f3a5b4e-0000-4000-8000-000000000001",
        "detail-type": "Backup Job State Change",
        "source": "aws.backup",
        "account": ACCOUNT,
        "time": "2026-10-01T07:45:12Z",
        "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}::snapshot/snap-0a1b2c3d4e5f60718"],
        "detail": {
            "backupJobId": "4f2c1a6e-9a7b-4c11-8d0e-1f2a3b4c5d6e",
            "backupSizeInBytes": "8589934592",
            "backupVaultArn": vault_arn,
            "backupVaultName": vault_name,
            "bytesTransferred": "8589934592",
            "creationDate": "2026-10-01T07:20:00.000Z",
            "completionDate": "2026-10-01T07:45:00.000Z",
            "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/BackupServiceRole",
            "resourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0a1b2c3d4e5f60718",
            "resourceType": "EBS",
            "state": state,
            "createdBy": {
                "backupPlanId": "mainbackupplan-0000-plan-id",
                "backupPlanArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:x",
                "backupPlanVersion": "v1",
                "backupPlanRuleId": "rule-1",
            },
        },
    }


def copy_job_event(
    source_arn: str, destination_arn: str, state: str = "COMPLETED"
) -> dict[str, Any]:
    completed = state == "COMPLETED"
    return {
        "version": "0",
        "id": "0f3a5b4e-0000-4000-8000-000000000002",
        "detail-type": "Copy Job State Change",
        "source": "aws.backup",
        "account": ACCOUNT,
        "time": "2026-10-01T08:10:00Z",
        "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}::snapshot/snap-0a1b2c3d4e5f60718"],
        "detail": {
            "copyJobId": "C7A1B2C3-0000-4000-8000-000000000003",
            "backupSizeInBytes": 8589934592,
            "creationDate": "2026-10-01T07:50:00.000Z",
            "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/BackupServiceRole",
            "resourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0a1b2c3d4e5f60718",
            "resourceType": "EBS",
            "sourceBackupVaultArn": source_arn,
            "destinationBackupVaultArn": destination_arn,
            # An empty object until the copy completes (facts section 7)
            "destinationRecoveryPointArn": (
                f"arn:aws:ec2:{REGION}::snapshot/snap-0ffee0000000000001" if completed else {}
            ),
            "state": state,
        },
    }


@pytest.fixture(scope="module")
def primary() -> RenderedStack:
    return render(parameters={"StackRole": "primary"}, region=REGION, account=ACCOUNT)


@pytest.fixture(scope="module")
def dr() -> RenderedStack:
    return render(parameters={"StackRole": "dr"}, region=REGION, account=ACCOUNT)


# --- BackupCompletedRule ---------------------------------------------------------------------


@pytest.mark.parametrize("vault", ["HourlyVault", "DailyVault", "MonthlyVault"])
def test_completed_backup_in_a_source_vault_is_routed(primary: RenderedStack, vault: str) -> None:
    # Given a completed backup job in a source vault / When EventBridge evaluates the rule
    event = backup_job_event(
        primary.properties(vault)["BackupVaultName"], _vault_arn(primary, vault)
    )
    # Then it matches
    assert _pattern(primary, "BackupCompletedRule").matches_event(event)


def test_completed_backup_in_the_dr_vault_is_routed_by_the_dr_stack(dr: RenderedStack) -> None:
    event = backup_job_event(dr.properties("DrVault")["BackupVaultName"], _vault_arn(dr, "DrVault"))
    assert _pattern(dr, "BackupCompletedRule").matches_event(event)


@pytest.mark.parametrize(
    "state", ["CREATED", "PENDING", "RUNNING", "ABORTED", "FAILED", "EXPIRED", "PARTIAL"]
)
def test_unfinished_or_failed_backups_are_ignored(primary: RenderedStack, state: str) -> None:
    event = backup_job_event(
        primary.properties("DailyVault")["BackupVaultName"],
        _vault_arn(primary, "DailyVault"),
        state,
    )
    assert not _pattern(primary, "BackupCompletedRule").matches_event(event)


@pytest.mark.parametrize(
    "vault_name",
    [
        "backup-copy-orchestrator-test-lag",
        "backup-copy-orchestrator-test-managed-key",
        "Default",
        "someone-elses-vault",
    ],
)
def test_backups_outside_the_source_vaults_are_ignored(
    primary: RenderedStack, vault_name: str
) -> None:
    # The destination vaults are never sources: no copy loops.
    arn = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{vault_name}"
    assert not _pattern(primary, "BackupCompletedRule").matches_event(
        backup_job_event(vault_name, arn)
    )


def test_hourly_vault_is_not_a_source_of_the_dr_stack(
    primary: RenderedStack, dr: RenderedStack
) -> None:
    event = backup_job_event(
        primary.properties("HourlyVault")["BackupVaultName"], _vault_arn(primary, "HourlyVault")
    )
    assert not _pattern(dr, "BackupCompletedRule").matches_event(event)


def test_backup_rule_ignores_other_sources_and_detail_types(primary: RenderedStack) -> None:
    pattern = _pattern(primary, "BackupCompletedRule")
    event = backup_job_event(
        primary.properties("DailyVault")["BackupVaultName"], _vault_arn(primary, "DailyVault")
    )
    forged = copy.deepcopy(event) | {"source": "my.application"}
    restore = copy.deepcopy(event) | {"detail-type": "Restore Job State Change"}
    assert pattern.matches_event(event)
    assert not pattern.matches_event(forged)
    assert not pattern.matches_event(restore)


# --- CopyIntoSourceVaultCompletedRule --------------------------------------------------------


def test_completed_copy_into_the_dr_vault_is_routed(dr: RenderedStack) -> None:
    # Given the primary daily rule's copy into the DR vault completed
    primary_daily = (
        f"arn:aws:backup:us-east-2:{ACCOUNT}:backup-vault:backup-copy-orchestrator-prod-daily"
    )
    event = copy_job_event(primary_daily, _vault_arn(dr, "DrVault"))
    # Then the DR stack treats the copy as a new recovery point to protect
    assert _pattern(dr, "CopyIntoSourceVaultCompletedRule").matches_event(event)
    # And a Backup Job rule would never have seen it
    assert not _pattern(dr, "BackupCompletedRule").matches_event(event)


@pytest.mark.parametrize("vault", ["HourlyVault", "DailyVault", "MonthlyVault"])
def test_completed_copy_into_a_primary_source_vault_is_routed(
    primary: RenderedStack, vault: str
) -> None:
    event = copy_job_event(
        f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:elsewhere", _vault_arn(primary, vault)
    )
    assert _pattern(primary, "CopyIntoSourceVaultCompletedRule").matches_event(event)


@pytest.mark.parametrize("state", ["CREATED", "RUNNING", "FAILED", "PARTIAL"])
def test_unfinished_or_failed_copies_are_ignored(dr: RenderedStack, state: str) -> None:
    event = copy_job_event(
        "arn:aws:backup:us-east-1:111122223333:backup-vault:x", _vault_arn(dr, "DrVault"), state
    )
    assert not _pattern(dr, "CopyIntoSourceVaultCompletedRule").matches_event(event)


@pytest.mark.parametrize("role", ["primary", "dr"])
@pytest.mark.parametrize("destination", ["LagVault", "ManagedKeyVault"])
def test_the_orchestrators_own_copies_trigger_nothing(role: str, destination: str) -> None:
    # Given a copy the orchestrator made out of a source vault into a destination vault
    stack = render(parameters={"StackRole": role}, region=REGION, account=ACCOUNT)
    source = "HourlyVault" if role == "primary" else "DrVault"
    event = copy_job_event(_vault_arn(stack, source), _vault_arn(stack, destination))
    # Then neither rule routes it back: no loops
    for rule in ("BackupCompletedRule", "CopyIntoSourceVaultCompletedRule"):
        assert not _pattern(stack, rule).matches_event(event), rule


def test_copy_rule_ignores_backup_job_events(primary: RenderedStack) -> None:
    event = backup_job_event(
        primary.properties("DailyVault")["BackupVaultName"], _vault_arn(primary, "DailyVault")
    )
    event["detail"]["destinationBackupVaultArn"] = _vault_arn(primary, "DailyVault")
    assert not _pattern(primary, "CopyIntoSourceVaultCompletedRule").matches_event(event)


# --- DrCopyEventsForwardingRule (primary stack): DR copies' events, forwarded to the DR Region --
# Which Region's bus receives a cross-Region copy's event is not settled by AWS's pages: the
# primary stack forwards what its Region receives, and the DR stack listens to its own bus.

FORWARDED = "DrCopyEventsForwardingRule"


FORWARDING_STACK = "backup-copy-orchestrator-test"


def dr_copy_fixture() -> dict[str, Any]:
    """events/copy-completed-into-dr-vault.json, as AWS shapes it, into the vault that the test
    stack's naming rule gives its DR vault (``<stack name>-dr`` in the fixture's DR Region)."""
    event = read_event("copy-completed-into-dr-vault.json")
    destination = event["detail"]["destinationBackupVaultArn"]
    event["detail"]["destinationBackupVaultArn"] = dr_vault_arn(
        FORWARDING_STACK, region=destination.split(":")[3]
    )
    return event


@pytest.fixture(scope="module")
def forwarding() -> RenderedStack:
    """The primary stack in the copy's source Region, copying into the fixture's DR vault."""
    fixture = dr_copy_fixture()["detail"]
    source_region = fixture["sourceBackupVaultArn"].split(":")[3]
    return render(
        parameters={"DrRegion": fixture["destinationBackupVaultArn"].split(":")[3]},
        region=source_region,
        account=ACCOUNT,
        stack_name=FORWARDING_STACK,
    )


def test_a_completed_copy_into_the_dr_vault_is_forwarded(forwarding: RenderedStack) -> None:
    # Given the completed copy into the DR vault, as the source Region's bus would receive it
    event = dr_copy_fixture()
    event["region"] = forwarding.region
    # When EventBridge evaluates the primary stack's forwarding rule / Then it matches
    assert _pattern(forwarding, FORWARDED).matches_event(event)


@pytest.mark.parametrize("state", ["CREATED", "RUNNING", "FAILED", "PARTIAL"])
def test_unfinished_or_failed_dr_copies_are_not_forwarded(
    forwarding: RenderedStack, state: str
) -> None:
    event = dr_copy_fixture()
    event["detail"]["state"] = state
    event["detail"]["destinationRecoveryPointArn"] = {}  # an empty object until COMPLETED
    assert not _pattern(forwarding, FORWARDED).matches_event(event)


@pytest.mark.parametrize(
    "destination",
    [
        f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:backup-copy-orchestrator-test-lag",
        f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:dr",  # same name, the source Region
        "arn:aws:backup:us-east-1:999988887777:backup-vault:dr",  # same name, another account
    ],
)
def test_copies_into_other_vaults_are_not_forwarded(
    forwarding: RenderedStack, destination: str
) -> None:
    event = dr_copy_fixture()
    event["detail"]["destinationBackupVaultArn"] = destination
    assert not _pattern(forwarding, FORWARDED).matches_event(event)


def test_other_sources_and_detail_types_are_not_forwarded(forwarding: RenderedStack) -> None:
    pattern, event = _pattern(forwarding, FORWARDED), dr_copy_fixture()
    assert not pattern.matches_event(copy.deepcopy(event) | {"source": "my.application"})
    assert not pattern.matches_event(
        copy.deepcopy(event) | {"detail-type": "Backup Job State Change"}
    )


def test_the_forwarded_event_is_routed_by_the_dr_stack_s_copy_rule() -> None:
    # Given the DR stack, and the completed copy into its DR vault as the source Region raised
    # it: forwarding keeps source, detail-type and detail, and the Region it originated in
    dr = render(parameters={"StackRole": "dr"}, region="us-east-1", account=ACCOUNT)
    event = dr_copy_fixture()
    event["detail"]["destinationBackupVaultArn"] = _vault_arn(dr, "DrVault")
    event["region"] = "us-west-2"
    # When the DR Region's bus evaluates its rules / Then the copy rule takes it
    assert _pattern(dr, "CopyIntoSourceVaultCompletedRule").matches_event(event)


def test_the_target_is_the_dr_region_default_bus_with_a_role_and_a_dead_letter_queue(
    forwarding: RenderedStack,
) -> None:
    (target,) = forwarding.properties(FORWARDED)["Targets"]
    # The Region is DrRegion; the bus is this account's default bus there
    assert target["Arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    assert target["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/DrCopyEventsForwardingRole"
    assert target["DeadLetterConfig"] == {
        "Arn": f"arn:aws:sqs:{forwarding.region}:{ACCOUNT}:CopyDeadLetterQueue"
    }
    # Not documented for event-bus targets: left out, so EventBridge's default (24 h) applies
    assert "RetryPolicy" not in target


def test_the_forwarding_role_may_only_put_events_on_the_dr_region_default_bus(
    forwarding: RenderedStack,
) -> None:
    role = forwarding.properties("DrCopyEventsForwardingRole")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statements == [
        {
            "Sid": "PutEventsOnTheDrRegionDefaultBusOnly",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default",
        }
    ]


@pytest.mark.parametrize(
    "parameters", [{"StackRole": "dr"}, {"StackRole": "primary"}], ids=["dr", "primary-no-dr"]
)
def test_no_forwarding_without_a_dr_vault_to_copy_to(parameters: dict[str, str]) -> None:
    stack = render(parameters=parameters, account=ACCOUNT)
    assert FORWARDED not in stack.resources
    assert "DrCopyEventsForwardingRole" not in stack.resources


# --- BackupJobProblemRule ----------------------------------------------------------------------


def _problem_in(stack: RenderedStack, vault: str, state: str) -> dict[str, Any]:
    event = backup_job_event(stack.properties(vault)["BackupVaultName"], _vault_arn(stack, vault))
    event["detail"]["state"], event["resources"] = state, []
    return event


@pytest.mark.parametrize("state", ["FAILED", "EXPIRED", "ABORTED"])
@pytest.mark.parametrize("vault", ["HourlyVault", "DailyVault", "MonthlyVault"])
def test_a_backup_that_wrote_nothing_in_a_source_vault_is_reported(
    primary: RenderedStack, vault: str, state: str
) -> None:
    # Given a backup job of a source vault that failed, expired or was aborted
    # Then the problem rule matches it (and the copy rule does not)
    event = _problem_in(primary, vault, state)
    assert _pattern(primary, "BackupJobProblemRule").matches_event(event)
    assert not _pattern(primary, "BackupCompletedRule").matches_event(event)


def test_a_failed_backup_in_the_dr_vault_is_reported_by_the_dr_stack(dr: RenderedStack) -> None:
    assert _pattern(dr, "BackupJobProblemRule").matches_event(_problem_in(dr, "DrVault", "FAILED"))


@pytest.mark.parametrize("state", ["CREATED", "PENDING", "RUNNING", "ABORTING", "COMPLETED"])
def test_backups_in_progress_or_done_are_no_problem(primary: RenderedStack, state: str) -> None:
    event = _problem_in(primary, "DailyVault", state)
    assert not _pattern(primary, "BackupJobProblemRule").matches_event(event)


def test_failed_backups_outside_the_source_vaults_are_not_ours(primary: RenderedStack) -> None:
    arn = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:someone-elses-vault"
    event = backup_job_event("someone-elses-vault", arn, "FAILED")
    assert not _pattern(primary, "BackupJobProblemRule").matches_event(event)


def test_the_failed_backup_sample_is_reported(primary: RenderedStack) -> None:
    # Given events/backup-failed-ebs.json, in this stack's hourly vault
    event = copy.deepcopy(read_event("backup-failed-ebs.json"))
    name = primary.properties("HourlyVault")["BackupVaultName"]
    event["account"], event["region"] = ACCOUNT, REGION
    event["detail"]["backupVaultName"] = name
    event["detail"]["backupVaultArn"] = _vault_arn(primary, "HourlyVault")
    assert _pattern(primary, "BackupJobProblemRule").matches_event(event)


def test_backup_problems_go_to_the_tracking_queue_with_its_dead_letter_queue(
    primary: RenderedStack,
) -> None:
    (target,) = primary.properties("BackupJobProblemRule")["Targets"]
    assert target["Arn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingQueue"
    assert target["DeadLetterConfig"] == {
        "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingDeadLetterQueue"
    }
