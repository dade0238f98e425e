"""StartBackupJob: states, the recovery point it leaves, the vault lock rule."""

from __future__ import annotations

import re
from typing import Any

import emulator
from tests.emulator.emulator_testkit import ROLE_ARN, Vaults

VOLUME = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"


def _start(backup: Any, vault: str, lifecycle: dict[str, int] | None = None) -> dict[str, Any]:
    extra = {"Lifecycle": lifecycle} if lifecycle else {}
    return dict(
        backup.start_backup_job(
            BackupVaultName=vault, ResourceArn=VOLUME, IamRoleArn=ROLE_ARN, **extra
        )
    )


def test_given_a_new_backup_job_when_described_then_it_is_created_with_a_native_arn(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    started = _start(backup, vaults.daily)
    # When
    job = backup.describe_backup_job(BackupJobId=started["BackupJobId"])
    # Then
    assert job["State"] == "CREATED"
    assert job["ResourceType"] == "EBS"
    assert re.fullmatch(
        r"arn:aws:ec2:us-east-1::snapshot/snap-[0-9a-f]{17}", started["RecoveryPointArn"]
    )


def test_given_a_backup_job_when_advanced_twice_then_it_completes_and_its_point_exists(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    started = _start(backup, vaults.daily, {"DeleteAfterDays": 3})
    # When
    emulator.advance_jobs()
    running = backup.describe_backup_job(BackupJobId=started["BackupJobId"])["State"]
    emulator.advance_jobs()
    # Then
    job = backup.describe_backup_job(BackupJobId=started["BackupJobId"])
    point = backup.describe_recovery_point(
        BackupVaultName=vaults.daily, RecoveryPointArn=started["RecoveryPointArn"]
    )
    assert (running, job["State"]) == ("RUNNING", "COMPLETED")
    assert point["Lifecycle"] == {"DeleteAfterDays": 3}
    assert point["EncryptionKeyArn"] == vaults.cmk_arn


def test_given_a_registered_resource_under_aws_ebs_when_backed_up_then_its_key_is_kept(
    backup: Any, vaults: Vaults
) -> None:
    # Given (encryption.html: types that are not fully managed keep the resource's own key)
    ebs_key = emulator.aws_managed_key_arn("alias/aws/ebs")
    emulator.register_resource(VOLUME, encryption_key_arn=ebs_key)
    started = _start(backup, vaults.daily)
    # When
    emulator.settle()
    # Then
    point = backup.describe_recovery_point(
        BackupVaultName=vaults.daily, RecoveryPointArn=started["RecoveryPointArn"]
    )
    assert point["EncryptionKeyArn"] == ebs_key


def test_given_a_locked_vault_when_the_backup_retention_is_too_long_then_the_job_fails(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    started = _start(backup, vaults.locked, {"DeleteAfterDays": 100})
    # When
    emulator.settle()
    # Then (lag-vault-primary-backup.html, "Troubleshooting")
    job = backup.describe_backup_job(BackupJobId=started["BackupJobId"])
    assert job["State"] == "FAILED"
    assert job["StatusMessage"] == (
        "Backup job failed because the lifecycle is outside the valid range for backup vault."
    )


def test_given_the_clock_advances_past_the_job_duration_then_the_backup_completes(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    started = _start(backup, vaults.daily)
    # When
    emulator.advance_clock(hours=1)
    # Then
    job = backup.describe_backup_job(BackupJobId=started["BackupJobId"])
    assert job["State"] == "COMPLETED"
    assert job["CreationDate"] < job["CompletionDate"] <= emulator.now()


def test_given_backup_jobs_when_listed_by_state_then_only_that_state_returns(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    first = _start(backup, vaults.daily)["BackupJobId"]
    emulator.advance_jobs(2)
    _start(backup, vaults.daily)
    # When
    listed = backup.list_backup_jobs(ByState="COMPLETED")["BackupJobs"]
    # Then
    assert [job["BackupJobId"] for job in listed] == [first]
