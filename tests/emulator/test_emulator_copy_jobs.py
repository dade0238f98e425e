"""StartCopyJob and its AWS rules: what is refused, what fails, and which key a copy ends under."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import emulator
from tests.emulator.emulator_testkit import NO_RETRIES, ROLE_ARN, Vaults, error_of

StartCopy = Callable[..., str]
RETENTION_MESSAGE = (
    "Copy job failed. The retention specified in the job is not within the range specified "
    "for the target Backup Vault."
)


def _finished(backup: Any, copy_job_id: str) -> dict[str, Any]:
    emulator.settle()
    return dict(backup.describe_copy_job(CopyJobId=copy_job_id)["CopyJob"])


def _copy_point(backup: Any, job: dict[str, Any]) -> dict[str, Any]:
    vault_name = job["DestinationBackupVaultArn"].rsplit(":", 1)[1]
    return dict(
        backup.describe_recovery_point(
            BackupVaultName=vault_name, RecoveryPointArn=job["DestinationRecoveryPointArn"]
        )
    )


# ---- completed copies and their keys ----------------------------------------------------------


def test_given_an_ebs_point_when_copied_into_the_lag_vault_then_it_ends_under_an_aws_owned_key(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    job = _finished(backup, start_copy(source, vaults.lag))
    # Then
    copy = _copy_point(backup, job)
    assert job["State"] == "COMPLETED"
    assert job["DestinationEncryptionKeyArn"] == emulator.aws_owned_key_arn()
    assert copy["EncryptionKeyType"] == "AWS_OWNED_KMS_KEY"
    assert copy["VaultType"] == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
    assert copy["RecoveryPointArn"].startswith(
        "arn:aws:backup:us-east-1:123456789012:recovery-point:"
    )


def test_given_a_fully_managed_point_when_copied_to_aws_backup_vault_then_it_takes_that_key(
    backup: Any, kms: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    # When
    job = _finished(backup, start_copy(source, vaults.managed))
    # Then
    key = job["DestinationEncryptionKeyArn"]
    assert key == emulator.aws_managed_key_arn("alias/aws/backup")
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyManager"] == "AWS"
    assert _copy_point(backup, job)["EncryptionKeyArn"] == key


def test_given_a_copy_when_completed_then_it_keeps_the_source_creation_date(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    created = datetime(2026, 2, 20, 7, 20)
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3", creation_date=created)
    # When
    job = _finished(backup, start_copy(source, vaults.lag))
    # Then
    assert _copy_point(backup, job)["CreationDate"].replace(tzinfo=None) == created


def test_given_an_ebs_point_when_copied_to_aws_backup_vault_by_default_then_the_copy_fails(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given (encryption.html#copy-encryption: aws/backup "cannot be used" for these types)
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    job = _finished(backup, start_copy(source, vaults.managed))
    # Then
    assert job["State"] == "FAILED"
    assert "cannot encrypt EBS backups" in job["StatusMessage"]


def test_given_keep_source_key_policy_when_ebs_is_copied_to_aws_backup_vault_then_cmk_stays(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    emulator.configure(managed_vault_policy="keep-source-key")
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    job = _finished(backup, start_copy(source, vaults.managed))
    # Then
    assert job["State"] == "COMPLETED"
    assert job["DestinationEncryptionKeyArn"] == vaults.cmk_arn


def test_given_reencrypt_policy_when_ebs_is_copied_to_aws_backup_vault_then_it_takes_aws_backup(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    emulator.configure(managed_vault_policy="reencrypt")
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    job = _finished(backup, start_copy(source, vaults.managed))
    # Then
    assert job["DestinationEncryptionKeyArn"] == emulator.aws_managed_key_arn("alias/aws/backup")


def test_given_an_ebs_point_when_copied_into_an_aws_ebs_keyed_vault_then_it_takes_aws_ebs(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    job = _finished(backup, start_copy(source, vaults.ebs_keyed))
    # Then
    assert job["DestinationEncryptionKeyArn"] == emulator.aws_managed_key_arn("alias/aws/ebs")


def test_given_the_aws_owned_key_is_exposed_when_kms_describes_it_then_key_manager_is_aws(
    backup: Any, kms: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    emulator.configure(aws_owned_key_in_kms=True)
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    job = _finished(backup, start_copy(source, vaults.lag))
    # When
    metadata = kms.describe_key(KeyId=job["DestinationEncryptionKeyArn"])["KeyMetadata"]
    # Then
    assert metadata["KeyManager"] == "AWS"


def test_given_the_default_when_kms_describes_the_aws_owned_key_then_it_is_not_found(
    kms: Any,
) -> None:
    # When
    with pytest.raises(ClientError) as raised:
        kms.describe_key(KeyId=emulator.aws_owned_key_arn())
    # Then
    assert error_of(raised)[0] == "NotFoundException"


# ---- copies that fail --------------------------------------------------------------------------


@pytest.mark.parametrize("days", [3, 401])
def test_given_retention_outside_the_lag_range_when_copied_then_the_job_fails_with_aws_text(
    backup: Any, vaults: Vaults, start_copy: StartCopy, days: int
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    # When
    job = _finished(backup, start_copy(source, vaults.lag, Lifecycle={"DeleteAfterDays": days}))
    # Then (lag-vault-primary-backup.html, "Troubleshooting")
    assert (job["State"], job["StatusMessage"]) == ("FAILED", RETENTION_MESSAGE)


def test_given_retention_outside_a_vault_lock_range_when_copied_then_the_job_fails(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    # When
    job = _finished(backup, start_copy(source, vaults.locked, Lifecycle={"DeleteAfterDays": 90}))
    # Then (vault-lock.html)
    assert (job["State"], job["StatusMessage"]) == ("FAILED", RETENTION_MESSAGE)


def test_given_an_rds_instance_point_when_copied_into_the_lag_vault_then_the_job_fails(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given (backup-feature-availability.html: RDS is not LAG-capable)
    source = emulator.seed_recovery_point(vaults.daily, resource_type="RDS")
    # When
    job = _finished(backup, start_copy(source, vaults.lag))
    # Then
    assert job["State"] == "FAILED"
    assert "Resource type RDS is not supported by logically air-gapped" in job["StatusMessage"]


def test_given_a_source_under_aws_ebs_when_copied_into_the_lag_vault_then_the_job_fails(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given (lag-vault-primary-backup.html: sources under AWS managed keys are refused)
    source = emulator.seed_recovery_point(
        vaults.daily,
        resource_type="EBS",
        encryption_key_arn=emulator.aws_managed_key_arn("alias/aws/ebs"),
    )
    # When
    job = _finished(backup, start_copy(source, vaults.lag))
    # Then
    assert job["State"] == "FAILED"
    assert "AWS managed key" in job["StatusMessage"]


def test_given_a_missing_destination_vault_when_copied_then_the_job_fails(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    # When
    job = _finished(backup, start_copy(source, "nowhere"))
    # Then
    assert job["State"] == "FAILED"
    assert "does not exist" in job["StatusMessage"]


# ---- copies refused at once --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "message_part"),
    [
        ({"resource_type": "RDS", "continuous": True}, "continuous backups"),
        ({"resource_type": "S3", "storage_class": "COLD"}, "cold storage"),
        ({"resource_type": "DynamoDB", "dynamodb_advanced": False}, "without advanced features"),
        (
            {
                "resource_type": "RDS",
                "resource_arn": "arn:aws:rds:us-east-1:123456789012:cluster:maz",
            },
            "Multi-AZ DB cluster",
        ),
        ({"resource_type": "Redshift Serverless"}, "Redshift Serverless"),
    ],
    ids=["continuous", "cold", "dynamodb-native", "rds-multi-az-cluster", "redshift-serverless"],
)
def test_given_an_uncopyable_point_when_start_copy_job_then_invalid_request(
    vaults: Vaults, start_copy: StartCopy, seed: dict[str, Any], message_part: str
) -> None:
    # Given (API_StartCopyJob.html, recov-point-create-a-copy.html)
    source = emulator.seed_recovery_point(vaults.daily, **seed)
    # When
    with pytest.raises(ClientError) as raised:
        start_copy(source, vaults.managed)
    # Then
    code, message = error_of(raised)
    assert code == "InvalidRequestException"
    assert message_part in message


def test_given_an_unknown_source_point_when_start_copy_job_then_resource_not_found(
    vaults: Vaults, start_copy: StartCopy
) -> None:
    # When
    with pytest.raises(ClientError) as raised:
        start_copy("arn:aws:ec2:us-east-1::snapshot/snap-404", vaults.lag)
    # Then
    assert error_of(raised)[0] == "ResourceNotFoundException"


def test_given_cold_transition_too_close_to_deletion_when_copying_then_invalid_parameter(
    vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    # When
    with pytest.raises(ClientError) as raised:
        start_copy(
            source, vaults.lag, Lifecycle={"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 30}
        )
    # Then (API_Lifecycle.html)
    assert error_of(raised)[0] == "InvalidParameterValueException"


# ---- idempotency and listing --------------------------------------------------------------------


def test_given_the_same_idempotency_token_when_start_copy_job_twice_then_one_job(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    first = start_copy(source, vaults.lag, IdempotencyToken="rp-lag")
    # When
    second = start_copy(source, vaults.lag, IdempotencyToken="rp-lag")
    # Then
    assert first == second
    assert len(backup.list_copy_jobs()["CopyJobs"]) == 1


def test_given_a_token_reused_with_other_parameters_when_start_copy_job_then_refused(
    vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    start_copy(source, vaults.lag, IdempotencyToken="rp-lag")
    # When
    with pytest.raises(ClientError) as raised:
        start_copy(source, vaults.managed, IdempotencyToken="rp-lag")
    # Then
    assert error_of(raised)[0] == "InvalidRequestException"


def test_given_copies_to_two_vaults_when_listed_by_destination_and_state_then_filters_apply(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    to_lag = start_copy(source, vaults.lag)
    emulator.settle()
    start_copy(source, vaults.managed)
    # When
    by_vault = backup.list_copy_jobs(ByDestinationVaultArn=vaults.arn(vaults.lag))["CopyJobs"]
    by_state = backup.list_copy_jobs(ByState="CREATED")["CopyJobs"]
    by_source = backup.list_copy_jobs(BySourceRecoveryPointArn=source)["CopyJobs"]
    # Then
    assert [job["CopyJobId"] for job in by_vault] == [to_lag]
    assert [job["DestinationBackupVaultArn"] for job in by_state] == [vaults.arn(vaults.managed)]
    assert len(by_source) == 2


def test_given_five_copy_jobs_when_listed_two_by_two_then_pages_cover_them_once(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    started = {
        start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
        for _ in range(5)
    }
    # When
    pages = backup.get_paginator("list_copy_jobs").paginate(PaginationConfig={"PageSize": 2})
    listed = [job["CopyJobId"] for page in pages for job in page["CopyJobs"]]
    # Then
    assert sorted(listed) == sorted(started)


def test_given_a_vault_in_another_region_when_copied_there_then_the_copy_lives_in_that_region(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    backup_west = boto3.client("backup", region_name="us-west-2", config=NO_RETRIES)
    backup_west.create_backup_vault(BackupVaultName="west", EncryptionKeyArn=vaults.cmk_arn)
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    job = backup.start_copy_job(
        RecoveryPointArn=source,
        SourceBackupVaultName=vaults.daily,
        DestinationBackupVaultArn="arn:aws:backup:us-west-2:123456789012:backup-vault:west",
        IamRoleArn=ROLE_ARN,
        Lifecycle={"DeleteAfterDays": 30},
    )
    finished = _finished(backup, job["CopyJobId"])
    # Then
    assert finished["DestinationRecoveryPointArn"].startswith("arn:aws:ec2:us-west-2::snapshot/")
    copy = backup_west.describe_recovery_point(
        BackupVaultName="west", RecoveryPointArn=finished["DestinationRecoveryPointArn"]
    )
    assert copy["EncryptionKeyArn"] == vaults.cmk_arn
