"""Job state change events, delivered through a real EventBridge rule into SQS.

Shapes: https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

import emulator
from tests.emulator.emulator_testkit import ROLE_ARN, Vaults

Subscribe = Callable[..., Callable[[], list[dict[str, Any]]]]
StartCopy = Callable[..., str]
VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"
COMPLETED_BACKUPS = {
    "source": ["aws.backup"],
    "detail-type": ["Backup Job State Change"],
    "detail": {"state": ["COMPLETED"]},
}
COPY_EVENTS = {"source": ["aws.backup"], "detail-type": ["Copy Job State Change"]}


def _backup_volume(backup: Any, vault: str) -> dict[str, Any]:
    return dict(
        backup.start_backup_job(BackupVaultName=vault, ResourceArn=VOLUME, IamRoleArn=ROLE_ARN)
    )


def test_given_an_on_demand_backup_when_it_completes_then_the_rule_delivers_the_documented_shape(
    backup: Any, vaults: Vaults, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue(COMPLETED_BACKUPS)
    started = _backup_volume(backup, vaults.daily)
    # When
    emulator.settle()
    # Then
    (event,) = read()
    detail = event["detail"]
    assert event["source"] == "aws.backup"
    assert event["resources"] == [started["RecoveryPointArn"]]
    assert event["account"] == "123456789012"
    assert detail["backupJobId"] == started["BackupJobId"]
    assert detail["backupVaultName"] == vaults.daily
    assert detail["resourceType"] == "EBS"
    assert isinstance(detail["backupSizeInBytes"], str)
    assert "createdBy" not in detail


def test_given_a_backup_job_when_it_runs_then_created_and_running_events_have_no_resources(
    backup: Any, vaults: Vaults, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue({"source": ["aws.backup"], "detail-type": ["Backup Job State Change"]})
    _backup_volume(backup, vaults.daily)
    # When
    emulator.advance_jobs()
    # Then
    events = read()
    assert [(e["detail"]["state"], e["resources"]) for e in events] == [
        ("CREATED", []),
        ("RUNNING", []),
    ]


def test_given_a_copy_when_it_completes_then_events_follow_the_documented_copy_shape(
    vaults: Vaults, start_copy: StartCopy, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue(COPY_EVENTS)
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    job_id = start_copy(source, vaults.lag)
    # When
    emulator.settle()
    # Then
    created, running, completed = read()
    assert [e["resources"] for e in (created, running, completed)] == [[source]] * 3
    assert "copyJobId" not in created["detail"]
    assert running["detail"]["destinationRecoveryPointArn"] == {}
    assert completed["detail"]["copyJobId"] == job_id
    assert completed["detail"]["destinationRecoveryPointArn"].startswith("arn:aws:backup:")
    assert isinstance(completed["detail"]["backupSizeInBytes"], int)


def test_given_a_failed_copy_when_published_then_it_carries_the_status_message(
    vaults: Vaults, start_copy: StartCopy, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue({**COPY_EVENTS, "detail": {"state": ["FAILED"]}})
    source = emulator.seed_recovery_point(vaults.daily, resource_type="RDS")
    start_copy(source, vaults.lag)
    # When
    emulator.settle()
    # Then
    (failed,) = read()
    assert "not supported by logically air-gapped" in failed["detail"]["statusMessage"]
    assert failed["detail"]["destinationRecoveryPointArn"] == {}


def test_given_a_plan_backup_when_it_completes_then_the_event_names_its_plan(
    backup: Any, vaults: Vaults, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue(COMPLETED_BACKUPS)
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "hourly",
            "Rules": [
                {
                    "RuleName": "hourly",
                    "TargetBackupVaultName": vaults.daily,
                    "ScheduleExpression": "cron(20 * * * ? *)",
                }
            ],
        }
    )
    backup.create_backup_selection(
        BackupPlanId=plan["BackupPlanId"],
        BackupSelection={"SelectionName": "all", "IamRoleArn": ROLE_ARN, "Resources": ["*"]},
    )
    emulator.register_resource(VOLUME)
    # When
    emulator.advance_clock(hours=1)
    # Then
    (event,) = read()
    assert event["detail"]["createdBy"]["backupPlanId"] == plan["BackupPlanId"]
    assert set(event["detail"]["createdBy"]) == {
        "backupPlanId",
        "backupPlanArn",
        "backupPlanVersion",
        "backupPlanRuleId",
    }


def test_given_every_event_dropped_when_a_copy_completes_then_nothing_is_delivered(
    vaults: Vaults, start_copy: StartCopy, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue(COPY_EVENTS)
    emulator.set_faults(drop_event_rate=1.0)
    start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
    # When
    emulator.settle()
    # Then
    assert read() == []
    assert {e["fate"] for e in emulator.emitted_events()} == {"dropped"}


def test_given_every_event_duplicated_when_a_copy_completes_then_each_state_arrives_twice(
    vaults: Vaults, start_copy: StartCopy, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue(COPY_EVENTS)
    emulator.set_faults(duplicate_event_rate=1.0)
    start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
    # When
    emulator.settle()
    # Then
    states = sorted(e["detail"]["state"] for e in read())
    assert states == ["COMPLETED", "COMPLETED", "CREATED", "CREATED", "RUNNING", "RUNNING"]


def test_given_reordering_when_events_are_held_then_nothing_arrives_until_flushed(
    vaults: Vaults, start_copy: StartCopy, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue(COPY_EVENTS)
    emulator.set_faults(reorder_events=True)
    for _ in range(4):
        start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
    held = read()
    # When
    delivered = emulator.flush_events()
    # Then
    arrived = read()
    assert (held, delivered, len(arrived)) == ([], 4, 4)


def test_given_reordering_when_a_tick_ends_then_its_events_arrive_out_of_order(
    vaults: Vaults, start_copy: StartCopy, event_queue: Subscribe
) -> None:
    # Given
    read = event_queue(COPY_EVENTS)
    emulator.set_faults(reorder_events=True)
    for _ in range(5):
        start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
    # When
    emulator.settle()
    # Then
    states = [e["detail"]["state"] for e in read()]
    assert len(states) == 15
    assert states != sorted(states, key=["CREATED", "RUNNING", "COMPLETED"].index)


# --- Events forwarded to another Region's bus, and where cross-Region copies raise theirs ------


def test_given_a_rule_targeting_another_region_s_bus_when_it_matches_then_the_event_arrives_whole(
    backup: Any,
) -> None:
    # Given a rule in us-east-1 whose target is us-west-2's default bus, and a queue there
    account = emulator.api.default_account()
    east, west = (boto3.client("events", region_name=r) for r in ("us-east-1", "us-west-2"))
    sqs = boto3.client("sqs", region_name="us-west-2")
    queue = sqs.create_queue(QueueName="received")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    pattern = json.dumps({"source": ["aws.backup"]})
    east.put_rule(Name="forward", EventPattern=pattern)
    east.put_targets(
        Rule="forward",
        Targets=[{"Id": "bus", "Arn": f"arn:aws:events:us-west-2:{account}:event-bus/default"}],
    )
    west.put_rule(Name="receive", EventPattern=pattern)
    west.put_targets(
        Rule="receive", Targets=[{"Id": "q", "Arn": queue_arn["Attributes"]["QueueArn"]}]
    )
    # When an AWS Backup event is raised in us-east-1
    resources = [f"arn:aws:ec2:us-east-1::snapshot/snap-0{'1' * 16}"]
    east.put_events(
        Entries=[
            {
                "Source": "aws.backup",
                "DetailType": "Copy Job State Change",
                "Detail": json.dumps({"state": "COMPLETED"}),
                "Resources": resources,
            }
        ]
    )
    # Then us-west-2 receives it as raised: source, detail-type, resources and origin Region kept
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == ("aws.backup", "Copy Job State Change")
    assert (event["region"], event["account"]) == ("us-east-1", account)
    assert event["resources"] == resources


def test_given_an_unknown_choice_of_copy_event_regions_when_configured_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="cross_region_copy_events"):
        emulator.EmulatorConfig.from_mapping({"cross_region_copy_events": "nowhere"})
