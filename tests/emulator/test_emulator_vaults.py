"""Vaults: logically air-gapped vaults, the aws/backup default key, access policies."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

import emulator
from tests.emulator.emulator_testkit import error_of


def test_given_a_lag_vault_when_described_then_it_reports_type_retention_and_aws_owned_key(
    backup: Any,
) -> None:
    # Given
    backup.create_logically_air_gapped_backup_vault(
        BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=400
    )
    # When
    vault = backup.describe_backup_vault(BackupVaultName="lag")
    # Then
    assert vault["VaultType"] == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
    assert (vault["MinRetentionDays"], vault["MaxRetentionDays"]) == (7, 400)
    assert vault["Locked"] is True
    assert vault["EncryptionKeyType"] == "AWS_OWNED_KMS_KEY"
    assert vault["EncryptionKeyArn"] == emulator.aws_owned_key_arn()


def test_given_min_retention_under_seven_days_when_creating_a_lag_vault_then_it_is_refused(
    backup: Any,
) -> None:
    # When
    with pytest.raises(ClientError) as raised:
        backup.create_logically_air_gapped_backup_vault(
            BackupVaultName="lag", MinRetentionDays=3, MaxRetentionDays=400
        )
    # Then (API_CreateLogicallyAirGappedBackupVault.html: the minimum accepted is 7 days)
    assert error_of(raised) == (
        "InvalidParameterValueException",
        "MinRetentionDays must be at least 7 days.",
    )


def test_given_a_vault_created_without_key_when_described_then_its_key_is_aws_managed(
    backup: Any, kms: Any
) -> None:
    # Given
    backup.create_backup_vault(BackupVaultName="managed")
    # When
    key_arn = backup.describe_backup_vault(BackupVaultName="managed")["EncryptionKeyArn"]
    # Then
    metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS"
    assert key_arn == emulator.aws_managed_key_arn("alias/aws/backup")


def test_given_an_access_policy_when_read_back_then_it_is_the_same_document(backup: Any) -> None:
    # Given
    backup.create_backup_vault(BackupVaultName="daily")
    policy = '{"Version":"2012-10-17","Statement":[]}'
    backup.put_backup_vault_access_policy(BackupVaultName="daily", Policy=policy)
    # When
    answer = backup.get_backup_vault_access_policy(BackupVaultName="daily")
    # Then
    assert answer["Policy"] == policy
    assert answer["BackupVaultArn"].endswith(":backup-vault:daily")


def test_given_a_deleted_access_policy_when_read_then_resource_not_found(backup: Any) -> None:
    # Given
    backup.create_backup_vault(BackupVaultName="daily")
    backup.put_backup_vault_access_policy(BackupVaultName="daily", Policy="{}")
    backup.delete_backup_vault_access_policy(BackupVaultName="daily")
    # When
    with pytest.raises(ClientError) as raised:
        backup.get_backup_vault_access_policy(BackupVaultName="daily")
    # Then
    assert error_of(raised)[0] == "ResourceNotFoundException"


def test_given_a_vault_with_recovery_points_when_deleted_then_invalid_request(backup: Any) -> None:
    # Given
    backup.create_backup_vault(BackupVaultName="daily")
    emulator.seed_recovery_point("daily")
    # When
    with pytest.raises(ClientError) as raised:
        backup.delete_backup_vault(BackupVaultName="daily")
    # Then
    assert error_of(raised)[0] == "InvalidRequestException"


def test_given_two_vault_types_when_listed_by_type_then_only_lag_vaults_return(backup: Any) -> None:
    # Given
    backup.create_backup_vault(BackupVaultName="daily")
    backup.create_logically_air_gapped_backup_vault(
        BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=30
    )
    # When
    listed = backup.list_backup_vaults(ByVaultType="LOGICALLY_AIR_GAPPED_BACKUP_VAULT")
    # Then
    assert [v["BackupVaultName"] for v in listed["BackupVaultList"]] == ["lag"]
