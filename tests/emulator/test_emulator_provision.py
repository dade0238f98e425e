"""Provisioning the emulator from a SAM template: the fixture here, the project's when it exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import emulator
from emulator.cloudformation.provision import Provisioned, from_template
from tests.emulator.emulator_testkit import ROLE_ARN, drain

FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"
PROJECT_TEMPLATE = Path(__file__).parents[2] / "template.yaml"


@pytest.fixture
def stack(mocked: None) -> Provisioned:
    return from_template(FIXTURE)


def test_given_the_primary_role_when_provisioned_then_the_dr_vault_is_skipped(
    stack: Provisioned,
) -> None:
    # Then
    assert stack.conditions == {"IsDrRole": False, "IsPrimaryRole": True}
    assert stack.skipped["DrVault"] == "condition IsDrRole is false"
    assert "DrVault" not in stack


def test_given_the_dr_role_when_provisioned_then_the_dr_vault_exists_and_gets_plan_copies(
    mocked: None, backup: Any
) -> None:
    # When
    stack = from_template(FIXTURE, {"DeploymentRole": "dr"})
    # Then
    plan = backup.get_backup_plan(BackupPlanId=stack.ref("MainBackupPlan"))["BackupPlan"]
    daily = next(rule for rule in plan["Rules"] if rule["RuleName"] == "daily")
    assert stack.ref("DrVault") == "dr"
    assert [a["DestinationBackupVaultArn"] for a in daily["CopyActions"]] == [stack.arn("DrVault")]
    assert stack.outputs["DrVaultName"] == "dr"


def test_given_locked_cmk_vaults_when_described_then_key_and_lock_come_from_the_template(
    stack: Provisioned, backup: Any
) -> None:
    # When
    hourly = backup.describe_backup_vault(BackupVaultName=stack.ref("HourlyVault"))
    # Then
    assert hourly["EncryptionKeyArn"] == stack.arn("BackupVaultKey")
    assert (hourly["Locked"], hourly["MinRetentionDays"], hourly["MaxRetentionDays"]) == (
        True,
        1,
        35,
    )
    assert [stack.ref(v) for v in ("HourlyVault", "DailyVault", "MonthlyVault")] == [
        "hourly",
        "daily",
        "monthly",
    ]


def test_given_the_lag_and_managed_vaults_when_described_then_types_and_keys_are_right(
    stack: Provisioned, backup: Any, kms: Any
) -> None:
    # When
    lag = backup.describe_backup_vault(BackupVaultName=stack.ref("LagVault"))
    managed = backup.describe_backup_vault(BackupVaultName=stack.ref("ManagedKeyVault"))
    # Then
    assert (lag["VaultType"], lag["MinRetentionDays"], lag["MaxRetentionDays"]) == (
        "LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
        7,
        400,
    )
    key = kms.describe_key(KeyId=managed["EncryptionKeyArn"])["KeyMetadata"]
    assert key["KeyManager"] == "AWS"


def test_given_a_vault_access_policy_in_the_template_when_read_then_it_is_the_document(
    stack: Provisioned, backup: Any
) -> None:
    # When
    policy = backup.get_backup_vault_access_policy(BackupVaultName=stack.ref("HourlyVault"))
    # Then
    assert json.loads(policy["Policy"])["Statement"][0]["Sid"] == "DenyDelete"


def test_given_the_plans_and_selections_when_listed_then_they_match_the_template(
    stack: Provisioned, backup: Any
) -> None:
    # When
    plans = {p["BackupPlanName"] for p in backup.list_backup_plans()["BackupPlansList"]}
    selection = backup.get_backup_selection(
        BackupPlanId=stack.ref("MainBackupPlan"), SelectionId=stack.ref("MainSelection")
    )
    # Then
    assert plans == {"main", "ec2"}
    assert selection["BackupSelection"]["IamRoleArn"] == stack.arn("BackupRole")
    assert selection["BackupSelection"]["NotResources"] == [
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:s3:::*",
    ]


def test_given_the_copy_queue_when_provisioned_then_its_redrive_points_at_the_dlq(
    stack: Provisioned, sqs: Any
) -> None:
    # When
    attributes = sqs.get_queue_attributes(
        QueueUrl=sqs.get_queue_url(QueueName=stack.attribute("CopyQueue", "QueueName"))["QueueUrl"],
        AttributeNames=["All"],
    )["Attributes"]
    # Then
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == stack.arn(
        "CopyDeadLetterQueue"
    )
    assert attributes["VisibilityTimeout"] == "180"


def test_given_the_template_rules_when_a_backup_completes_then_the_copy_queue_gets_the_event(
    stack: Provisioned, backup: Any, sqs: Any
) -> None:
    # Given
    started = backup.start_backup_job(
        BackupVaultName=stack.ref("DailyVault"),
        ResourceArn="arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1",
        IamRoleArn=ROLE_ARN,
    )
    # When
    emulator.settle()
    # Then
    (event,) = drain(sqs, stack.ref("CopyQueue"))
    assert event["resources"] == [started["RecoveryPointArn"]]
    assert drain(sqs, stack.ref("TrackingQueue")) == []


def test_given_the_template_rules_when_a_copy_into_lag_completes_then_tracking_gets_events(
    stack: Provisioned, backup: Any, sqs: Any
) -> None:
    # Given
    source = emulator.seed_recovery_point(stack.ref("DailyVault"), resource_type="S3")
    backup.start_copy_job(
        RecoveryPointArn=source,
        SourceBackupVaultName=stack.ref("DailyVault"),
        DestinationBackupVaultArn=stack.arn("LagVault"),
        IamRoleArn=ROLE_ARN,
        Lifecycle={"DeleteAfterDays": 30},
    )
    # When
    emulator.settle()
    # Then
    states = [e["detail"]["state"] for e in drain(sqs, stack.ref("TrackingQueue"))]
    assert states == ["CREATED", "RUNNING", "COMPLETED"]


def test_given_types_without_handlers_when_provisioned_then_they_are_skipped_with_a_note(
    stack: Provisioned,
) -> None:
    # Then
    assert stack.skipped["Dashboard"] == "AWS::CloudWatch::Dashboard: not emulated"
    assert any("ReconcilerSchedule: scheduled rule" in note for note in stack.notes)


def test_given_sam_globals_when_a_function_is_read_then_its_environment_is_evaluated(
    stack: Provisioned,
) -> None:
    # Then
    environment = stack.attribute("CopyFunction", "EnvironmentVariables")
    assert environment == {
        "LOG_LEVEL": "INFO",
        "LAG_VAULT_ARN": stack.arn("LagVault"),
        "SOURCE_VAULT_NAMES": "hourly,daily,monthly",
    }


def test_given_the_plans_when_a_day_passes_then_registered_resources_are_backed_up_by_schedule(
    stack: Provisioned, backup: Any
) -> None:
    # Given
    emulator.register_resource("arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1")
    emulator.register_resource("arn:aws:ec2:us-east-1:123456789012:instance/i-1")
    # When
    emulator.advance_clock(days=1)
    # Then
    jobs = backup.list_backup_jobs(ByState="COMPLETED")["BackupJobs"]
    by_vault = {(j["ResourceType"], j["BackupVaultName"]) for j in jobs}
    assert by_vault == {("EFS", "hourly"), ("EFS", "daily"), ("EC2", "daily")}
    # The fixture's rules give no StartWindowMinutes (480 minutes then): every hourly firing
    # whose window overlaps the daily rule's [07:20, 15:20) gives way to it (00:20 to 14:20),
    # as AWS Backup does for overlapping rules of one plan (emulator.rules.outranks).
    assert sum(1 for j in jobs if j["BackupVaultName"] == "hourly") == 24 - 15


@pytest.mark.skipif(not PROJECT_TEMPLATE.exists(), reason="template.yaml not written yet")
def test_given_the_project_template_when_provisioned_then_its_vaults_and_queues_exist(
    mocked: None, backup: Any
) -> None:
    # When
    stack = from_template(PROJECT_TEMPLATE)
    # Then (tolerant: the template is written in parallel, resources may come and go)
    vault_types = ("AWS::Backup::BackupVault", "AWS::Backup::LogicallyAirGappedBackupVault")
    vaults = [r for t in vault_types for r in stack.of_type(t).values()]
    listed = {v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]}
    assert {v.ref for v in vaults} <= listed
    for logical_id in ("LagVault", "ManagedKeyVault"):
        if logical_id in stack:
            assert stack.ref(logical_id) in listed


@pytest.mark.skipif(not PROJECT_TEMPLATE.exists(), reason="template.yaml not written yet")
def test_given_globals_referring_to_resources_when_provisioned_then_functions_see_them(
    mocked: None,
) -> None:
    # Given the project template, whose SAM Globals give every function the ledger table and the
    # alert topic / When provisioned (resources ordered by what Globals refer to, too)
    stack = from_template(PROJECT_TEMPLATE, {"AlertEmail": "oncall@example.com"})
    # Then each function's environment holds the provisioned names, not unresolved references
    for function in ("CopyFunction", "TrackingFunction"):
        environment = stack.attribute(function, "EnvironmentVariables")
        assert environment["ALERT_TOPIC_ARN"] == stack.arn("AlertTopic")
        assert environment["LEDGER_TABLE_NAME"] == stack.ref("LedgerTable")
        assert environment["LAG_VAULT_ARN"] == stack.arn("LagVault")
    # And the types the emulator does not model are skipped, each with its reason
    for logical_id in ("AlertEmailSubscription", "TrackingQueuesPolicy", "CopyFailedAlarm"):
        assert stack.skipped[logical_id].endswith(": not emulated")
