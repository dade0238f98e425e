"""Vaults under a service's AWS-managed key (aws/rds, aws/ebs): how KMS and copies answer.

AWS's rules (encryption.html#copy-encryption): for a type AWS Backup does not fully manage, the
destination key "must be a CMK or the managed key of the service that owns the underlying
resource"; a cross-Region copy is re-encrypted with the destination vault's key. Same Region into
the service's key is open in AWS's text: the emulator answers either way (service_key_vault_policy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

import emulator
from tests.emulator.emulator_testkit import ACCOUNT, NO_RETRIES, ROLE_ARN, Vaults

StartCopy = Callable[..., str]
WEST = "us-west-2"


def _finished(backup: Any, copy_job_id: str) -> dict[str, Any]:
    emulator.settle()
    return dict(backup.describe_copy_job(CopyJobId=copy_job_id)["CopyJob"])


@pytest.fixture
def rds_keyed(backup: Any, kms: Any) -> str:
    """A vault in us-east-1 under the account's aws/rds key, its ARN found through DescribeKey."""
    key_arn = kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]
    backup.create_backup_vault(BackupVaultName="rds-keyed", EncryptionKeyArn=key_arn)
    return "rds-keyed"


def _copy_daily_rds_point(backup: Any, vaults: Vaults, destination_vault_arn: str) -> str:
    """Seed an RDS recovery point (under the daily vault's CMK) and copy it; the copy job id."""
    source = emulator.seed_recovery_point(vaults.daily, resource_type="RDS")
    return str(
        backup.start_copy_job(
            RecoveryPointArn=source,
            SourceBackupVaultName=vaults.daily,
            DestinationBackupVaultArn=destination_vault_arn,
            IamRoleArn=ROLE_ARN,
            Lifecycle={"DeleteAfterDays": 30},
        )["CopyJobId"]
    )


def _west_rds_vault() -> tuple[Any, str, str]:
    """A us-west-2 vault under us-west-2's aws/rds key: (backup client, vault ARN, key ARN)."""
    kms_west = boto3.client("kms", region_name=WEST, config=NO_RETRIES)
    backup_west = boto3.client("backup", region_name=WEST, config=NO_RETRIES)
    key_arn = kms_west.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]
    backup_west.create_backup_vault(BackupVaultName="rds-west", EncryptionKeyArn=key_arn)
    return backup_west, f"arn:aws:backup:{WEST}:{ACCOUNT}:backup-vault:rds-west", key_arn


# ---- KMS: the AWS-managed service keys ---------------------------------------------------------


def test_given_no_rds_key_yet_when_kms_describes_alias_aws_rds_then_an_aws_managed_key_answers(
    kms: Any,
) -> None:
    # Given an account where nothing used aws/rds yet
    # When KMS DescribeKey is called on the predefined alias (API_DescribeKey.html: KMS
    # "associates the alias with an AWS managed key and returns its KeyId and Arn")
    metadata = kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]
    # Then the key is AWS-managed and is the one the alias names from now on
    assert metadata["KeyManager"] == "AWS"
    assert metadata["Arn"] == emulator.aws_managed_key_arn("alias/aws/rds")


def test_given_the_alias_arn_of_aws_fsx_when_described_then_the_key_is_aws_managed(
    kms: Any,
) -> None:
    # Given an alias moto does not reserve itself, named by its alias ARN
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/fsx"
    # When / Then
    assert kms.describe_key(KeyId=alias_arn)["KeyMetadata"]["KeyManager"] == "AWS"


def test_given_the_aws_rds_key_arn_when_a_vault_is_created_with_it_then_the_vault_reports_it(
    backup: Any, kms: Any, rds_keyed: str
) -> None:
    # Given a vault created with the key ARN that DescribeKey returned (fixture)
    # When / Then
    key_arn = kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]
    assert backup.describe_backup_vault(BackupVaultName=rds_keyed)["EncryptionKeyArn"] == key_arn


# ---- rule 1: aws/backup is refused for types that are not fully managed ------------------------


def test_given_an_rds_point_when_copied_into_an_aws_backup_vault_then_the_copy_fails_with_the_rule(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given an RDS recovery point under a CMK (default managed_vault_policy "fail")
    source = emulator.seed_recovery_point(vaults.daily, resource_type="RDS")
    # When it is copied into a vault under aws/backup
    job = _finished(backup, start_copy(source, vaults.managed))
    # Then the copy fails, and the message quotes AWS's rule
    assert job["State"] == "FAILED"
    assert (
        "must be a CMK or the managed key of the service that owns the underlying resource"
        in job["StatusMessage"]
    )


# ---- rule 2: cross-Region into the service's key is re-encrypted (documented) ------------------


def test_given_an_rds_point_when_copied_cross_region_into_an_aws_rds_vault_then_it_takes_that_key(
    backup: Any, vaults: Vaults
) -> None:
    # Given an RDS point in us-east-1 under a CMK, and a us-west-2 vault under aws/rds
    _, west_vault_arn, west_key = _west_rds_vault()
    # When it is copied there
    job_id = _copy_daily_rds_point(backup, vaults, west_vault_arn)
    job = _finished(backup, job_id)
    # Then the copy ends under us-west-2's aws/rds key
    assert job["State"] == "COMPLETED"
    assert job["DestinationEncryptionKeyArn"] == west_key


def test_given_keep_source_key_policy_when_copied_cross_region_into_aws_rds_then_still_reencrypted(
    backup: Any, vaults: Vaults
) -> None:
    # Given the same-Region switch set to the other answer
    emulator.configure(service_key_vault_policy="keep-source-key")
    backup_west, west_vault_arn, west_key = _west_rds_vault()
    # When the copy crosses Regions
    job_id = _copy_daily_rds_point(backup, vaults, west_vault_arn)
    job = _finished(backup, job_id)
    # Then the switch does not apply: the copy (and its recovery point) is under the west key
    copy = backup_west.describe_recovery_point(
        BackupVaultName="rds-west", RecoveryPointArn=job["DestinationRecoveryPointArn"]
    )
    assert copy["EncryptionKeyArn"] == west_key


# ---- rule 3: same Region into the service's key, both possible answers -------------------------


def test_given_the_default_policy_when_rds_is_copied_into_an_aws_rds_vault_then_it_takes_aws_rds(
    backup: Any, vaults: Vaults, start_copy: StartCopy, rds_keyed: str
) -> None:
    # Given the default service_key_vault_policy ("reencrypt")
    source = emulator.seed_recovery_point(vaults.daily, resource_type="RDS")
    # When copied in the same Region into the aws/rds vault
    job = _finished(backup, start_copy(source, rds_keyed))
    # Then the copy ends under aws/rds
    assert job["DestinationEncryptionKeyArn"] == emulator.aws_managed_key_arn("alias/aws/rds")


def test_given_keep_source_key_policy_when_rds_is_copied_into_an_aws_rds_vault_then_cmk_stays(
    backup: Any, vaults: Vaults, start_copy: StartCopy, rds_keyed: str
) -> None:
    # Given the other possible answer
    emulator.configure(service_key_vault_policy="keep-source-key")
    source = emulator.seed_recovery_point(vaults.daily, resource_type="RDS")
    # When
    job = _finished(backup, start_copy(source, rds_keyed))
    # Then the copy completes but stays under the source CMK (key-dependent)
    assert job["State"] == "COMPLETED"
    assert job["DestinationEncryptionKeyArn"] == vaults.cmk_arn


def test_given_keep_source_key_policy_when_ebs_is_copied_into_the_aws_rds_vault_then_it_fails(
    backup: Any, vaults: Vaults, start_copy: StartCopy, rds_keyed: str
) -> None:
    # Given an EBS point: aws/rds is another service's managed key, not EBS's
    emulator.configure(service_key_vault_policy="keep-source-key")
    source = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    job = _finished(backup, start_copy(source, rds_keyed))
    # Then the managed-vault rule applies (default "fail"), not the service-key switch
    assert job["State"] == "FAILED"


def test_given_an_unknown_service_key_policy_when_configured_then_it_is_refused() -> None:
    # Given / When / Then
    with pytest.raises(ValueError, match="service_key_vault_policy"):
        emulator.configure(service_key_vault_policy="sometimes")
