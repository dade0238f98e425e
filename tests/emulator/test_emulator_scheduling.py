"""When jobs move: one job per resource, concurrency quotas, holds, the clock, plans, lifecycles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import emulator
from tests.emulator.emulator_testkit import ROLE_ARN, Vaults

StartCopy = Callable[..., str]


def _state(backup: Any, copy_job_id: str) -> str:
    return str(backup.describe_copy_job(CopyJobId=copy_job_id)["CopyJob"]["State"])


def _states(backup: Any, job_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for job_id in job_ids:
        state = _state(backup, job_id)
        counts[state] = counts.get(state, 0) + 1
    return counts


def _copies(
    start_copy: StartCopy, source: str, resource_type: str, target: str, n: int
) -> list[str]:
    """``n`` copy jobs, each of a new recovery point of its own resource."""
    return [
        start_copy(emulator.seed_recovery_point(source, resource_type=resource_type), target)
        for _ in range(n)
    ]


def test_given_two_copies_of_one_resource_when_advanced_then_the_second_waits_in_created(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given (aws-backup-limits.html: one backup-or-copy job at a time per resource)
    bucket = "arn:aws:s3:::one-bucket"
    first = emulator.seed_recovery_point(vaults.daily, resource_type="S3", resource_arn=bucket)
    second = emulator.seed_recovery_point(vaults.daily, resource_type="S3", resource_arn=bucket)
    jobs = [start_copy(first, vaults.lag), start_copy(second, vaults.lag)]
    # When
    emulator.advance_jobs()
    # Then
    assert [_state(backup, job) for job in jobs] == ["RUNNING", "CREATED"]


def test_given_the_first_copy_of_a_resource_finishes_then_the_waiting_one_runs(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    bucket = "arn:aws:s3:::one-bucket"
    points = [
        emulator.seed_recovery_point(vaults.daily, resource_type="S3", resource_arn=bucket)
        for _ in range(2)
    ]
    jobs = [start_copy(point, vaults.lag) for point in points]
    # When
    emulator.advance_jobs(2)
    # Then
    assert [_state(backup, job) for job in jobs] == ["COMPLETED", "RUNNING"]


def test_given_101_fully_managed_copies_when_advanced_then_100_run_and_one_waits(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given (aws-backup-limits.html: 100 concurrent copies per destination Region)
    jobs = _copies(start_copy, vaults.daily, "S3", vaults.managed, 101)
    # When
    emulator.advance_jobs()
    # Then
    assert _states(backup, jobs) == {"RUNNING": 100, "CREATED": 1}


def test_given_21_ebs_copies_into_lag_when_advanced_then_20_run_and_one_waits(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given (aws-backup-limits.html: 20 concurrent EBS copies into LAG vaults)
    jobs = _copies(start_copy, vaults.daily, "EBS", vaults.lag, 21)
    # When
    emulator.advance_jobs()
    # Then
    assert _states(backup, jobs) == {"RUNNING": 20, "CREATED": 1}


def test_given_six_storage_gateway_copies_into_lag_when_advanced_then_five_run(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given (aws-backup-limits.html: 5 concurrent Storage Gateway copies into LAG vaults)
    jobs = _copies(start_copy, vaults.daily, "Storage Gateway", vaults.lag, 6)
    # When
    emulator.advance_jobs()
    # Then
    assert _states(backup, jobs) == {"RUNNING": 5, "CREATED": 1}


def test_given_a_full_lag_quota_for_ebs_then_waiting_s3_copies_behind_it_still_start(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given 25 EBS copies into LAG (quota 20) created before 3 S3 copies into the managed vault
    ebs = _copies(start_copy, vaults.daily, "EBS", vaults.lag, 25)
    s3 = _copies(start_copy, vaults.daily, "S3", vaults.managed, 3)
    # When
    emulator.advance_jobs()
    # Then the EBS lane stops at its quota and the S3 lane behind it is not skipped
    assert _states(backup, ebs) == {"RUNNING": 20, "CREATED": 5}
    assert _states(backup, s3) == {"RUNNING": 3}


def test_given_a_waiting_copy_when_a_running_one_finishes_then_it_takes_the_freed_slot(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given 21 EBS copies into LAG: 20 run, one waits
    jobs = _copies(start_copy, vaults.daily, "EBS", vaults.lag, 21)
    emulator.advance_jobs()
    # When the clock passes every running copy's end
    emulator.advance_clock(hours=24)
    # Then the waiting one ran too, in the slot a finished copy freed
    assert _states(backup, jobs) == {"COMPLETED": 21}


def test_given_copies_held_in_created_when_settled_then_they_stay_created(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    emulator.set_faults(hold_copy_jobs_in="CREATED")
    job = start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
    # When
    emulator.settle()
    emulator.advance_clock(hours=3)
    # Then
    assert _state(backup, job) == "CREATED"


def test_given_a_hold_in_running_is_released_then_the_copy_completes(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    emulator.set_faults(hold_copy_jobs_in="RUNNING")
    job = start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
    emulator.advance_clock(hours=3)
    held = _state(backup, job)
    # When
    emulator.reset_faults()
    emulator.advance_clock(minutes=1)
    # Then
    assert (held, _state(backup, job)) == ("RUNNING", "COMPLETED")


def test_given_the_same_seed_when_a_run_repeats_then_job_durations_repeat(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    def completion() -> timedelta:
        emulator.configure(seed=7)
        source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
        job = start_copy(source, vaults.lag)
        start = emulator.now()
        emulator.advance_clock(hours=2)
        finished = backup.describe_copy_job(CopyJobId=job)["CopyJob"]["CompletionDate"]
        return finished - start

    # When
    first, second = completion(), completion()
    # Then
    assert first == second
    assert timedelta(minutes=5) <= first <= timedelta(hours=1)


def test_given_a_lifecycle_when_the_clock_passes_its_dates_then_the_point_goes_cold_then_expires(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    arn = emulator.seed_recovery_point(
        vaults.daily, lifecycle={"MoveToColdStorageAfterDays": 1, "DeleteAfterDays": 91}
    )
    # When
    emulator.advance_clock(days=2)
    storage = backup.describe_recovery_point(BackupVaultName=vaults.daily, RecoveryPointArn=arn)
    emulator.advance_clock(days=90)
    # Then
    remaining = backup.list_recovery_points_by_backup_vault(BackupVaultName=vaults.daily)
    assert storage["StorageClass"] == "COLD"
    assert remaining["RecoveryPoints"] == []


def test_given_a_plan_and_a_selection_when_a_day_passes_then_each_rule_backs_up_on_schedule(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "main",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": vaults.daily,
                    "ScheduleExpression": "cron(20 7 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 30},
                    "CopyActions": [
                        {
                            "DestinationBackupVaultArn": vaults.arn(vaults.lag),
                            "Lifecycle": {"DeleteAfterDays": 30},
                        }
                    ],
                }
            ],
        }
    )
    backup.create_backup_selection(
        BackupPlanId=plan["BackupPlanId"],
        BackupSelection={"SelectionName": "all", "IamRoleArn": ROLE_ARN, "Resources": ["*"]},
    )
    emulator.register_resource("arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1")
    # When
    emulator.advance_clock(days=1)
    # Then
    backups = backup.list_backup_jobs()["BackupJobs"]
    copies = backup.list_copy_jobs()["CopyJobs"]
    assert [(job["State"], job["CreationDate"].hour) for job in backups] == [("COMPLETED", 7)]
    assert backups[0]["CreatedBy"]["BackupPlanId"] == plan["BackupPlanId"]
    assert [job["State"] for job in copies] == ["COMPLETED"]
    assert copies[0]["CreatedByBackupJobId"] == backups[0]["BackupJobId"]


def test_given_a_selection_excluding_ec2_when_the_plan_fires_then_ec2_is_not_backed_up(
    backup: Any, vaults: Vaults
) -> None:
    # Given
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
        BackupSelection={
            "SelectionName": "all-but-ec2",
            "IamRoleArn": ROLE_ARN,
            "Resources": ["*"],
            "NotResources": ["arn:aws:ec2:*:*:instance/*"],
        },
    )
    emulator.register_resource("arn:aws:ec2:us-east-1:123456789012:instance/i-1")
    emulator.register_resource("arn:aws:ec2:us-east-1:123456789012:volume/vol-1")
    # When
    emulator.advance_clock(hours=2)
    # Then
    jobs = backup.list_backup_jobs()["BackupJobs"]
    assert {job["ResourceType"] for job in jobs} == {"EBS"}
    assert len(jobs) == 2


def test_given_a_selection_when_read_back_then_get_and_list_return_it(backup: Any) -> None:
    # Given
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "p",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}],
        }
    )
    selection = backup.create_backup_selection(
        BackupPlanId=plan["BackupPlanId"],
        BackupSelection={"SelectionName": "s", "IamRoleArn": ROLE_ARN, "Resources": ["*"]},
    )
    # When
    got = backup.get_backup_selection(
        BackupPlanId=plan["BackupPlanId"], SelectionId=selection["SelectionId"]
    )
    listed = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])
    # Then
    assert got["BackupSelection"]["SelectionName"] == "s"
    assert [s["SelectionId"] for s in listed["BackupSelectionsList"]] == [selection["SelectionId"]]
