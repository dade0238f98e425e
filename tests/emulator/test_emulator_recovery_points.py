"""Recovery points: seeding, ARN shapes, describe, list (paging, filters), lifecycle updates."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

import emulator
from tests.emulator.emulator_testkit import Vaults, error_of


@pytest.mark.parametrize(
    ("resource_type", "arn_pattern"),
    [
        ("EBS", r"arn:aws:ec2:us-east-1::snapshot/snap-[0-9a-f]{17}"),
        ("EC2", r"arn:aws:ec2:us-east-1::image/ami-[0-9a-f]{17}"),
        ("RDS", r"arn:aws:rds:us-east-1:\d{12}:snapshot:awsbackup:job-[0-9a-f-]{36}"),
        ("Aurora", r"arn:aws:rds:us-east-1:\d{12}:cluster-snapshot:awsbackup:job-[0-9a-f-]{36}"),
        ("S3", r"arn:aws:backup:us-east-1:\d{12}:recovery-point:[0-9a-f-]{36}"),
        ("EFS", r"arn:aws:backup:us-east-1:\d{12}:recovery-point:[0-9a-f-]{36}"),
        ("DynamoDB", r"arn:aws:backup:us-east-1:\d{12}:recovery-point:[0-9a-f-]{36}"),
    ],
)
def test_given_a_resource_type_when_seeded_then_the_recovery_point_has_its_native_arn(
    vaults: Vaults, resource_type: str, arn_pattern: str
) -> None:
    # When
    arn = emulator.seed_recovery_point(vaults.daily, resource_type=resource_type)
    # Then
    assert re.fullmatch(arn_pattern, arn)


def test_given_dynamodb_without_advanced_features_when_seeded_then_the_arn_is_a_table_backup(
    vaults: Vaults,
) -> None:
    # When
    arn = emulator.seed_recovery_point(
        vaults.daily,
        resource_type="DynamoDB",
        resource_arn="arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        dynamodb_advanced=False,
    )
    # Then
    assert re.fullmatch(r"arn:aws:dynamodb:us-east-1:\d{12}:table/orders/backup/\d{13}-\w{8}", arn)


def test_given_a_continuous_backup_when_seeded_then_the_arn_says_continuous(vaults: Vaults) -> None:
    # When
    arn = emulator.seed_recovery_point(vaults.daily, resource_type="RDS", continuous=True)
    # Then
    assert ":recovery-point:continuous:" in arn


def test_given_a_seeded_recovery_point_when_described_then_every_seeded_fact_comes_back(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    created = datetime(2026, 2, 1, 7, 20, tzinfo=UTC)
    arn = emulator.seed_recovery_point(
        vaults.daily,
        resource_type="EFS",
        creation_date=created,
        lifecycle={"DeleteAfterDays": 30},
        delete_after_event="DELETE_AFTER_COPY",
        parent_recovery_point_arn="arn:aws:backup:us-east-1:123456789012:recovery-point:parent",
    )
    # When
    point = backup.describe_recovery_point(BackupVaultName=vaults.daily, RecoveryPointArn=arn)
    # Then
    assert point["CreationDate"] == created
    assert point["Lifecycle"] == {"DeleteAfterDays": 30, "DeleteAfterEvent": "DELETE_AFTER_COPY"}
    assert point["CalculatedLifecycle"]["DeleteAt"] == datetime(2026, 3, 3, 7, 20, tzinfo=UTC)
    assert point["EncryptionKeyArn"] == vaults.cmk_arn
    assert point["EncryptionKeyType"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert point["VaultType"] == "BACKUP_VAULT"
    assert point["StorageClass"] == "WARM"
    assert point["ParentRecoveryPointArn"].endswith(":recovery-point:parent")


def test_given_an_ebs_arn_with_a_slash_when_described_then_it_is_found(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    arn = emulator.seed_recovery_point(vaults.daily, resource_type="EBS")
    # When
    point = backup.describe_recovery_point(BackupVaultName=vaults.daily, RecoveryPointArn=arn)
    # Then
    assert point["RecoveryPointArn"] == arn
    assert point["ResourceType"] == "EBS"


def test_given_an_unknown_recovery_point_when_described_then_resource_not_found(
    backup: Any, vaults: Vaults
) -> None:
    # When
    with pytest.raises(ClientError) as raised:
        backup.describe_recovery_point(
            BackupVaultName=vaults.daily, RecoveryPointArn="arn:aws:ec2:us-east-1::snapshot/snap-0"
        )
    # Then
    assert error_of(raised)[0] == "ResourceNotFoundException"


def test_given_five_recovery_points_when_listed_two_by_two_then_pages_cover_them_once(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    seeded = {emulator.seed_recovery_point(vaults.daily) for _ in range(5)}
    # When
    pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
        BackupVaultName=vaults.daily, PaginationConfig={"PageSize": 2}
    )
    listed = [[p["RecoveryPointArn"] for p in page["RecoveryPoints"]] for page in pages]
    # Then
    assert [len(page) for page in listed] == [2, 2, 1]
    assert {arn for page in listed for arn in page} == seeded


def test_given_mixed_types_and_dates_when_listed_with_filters_then_only_matches_return(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    emulator.seed_recovery_point(
        vaults.daily, resource_type="S3", creation_date=datetime(2026, 1, 1)
    )
    recent_s3 = emulator.seed_recovery_point(
        vaults.daily, resource_type="S3", creation_date=datetime(2026, 2, 15)
    )
    emulator.seed_recovery_point(
        vaults.daily, resource_type="EBS", creation_date=datetime(2026, 2, 15)
    )
    # When
    listed = backup.list_recovery_points_by_backup_vault(
        BackupVaultName=vaults.daily, ByResourceType="S3", ByCreatedAfter=datetime(2026, 2, 1)
    )
    # Then
    assert [p["RecoveryPointArn"] for p in listed["RecoveryPoints"]] == [recent_s3]


def test_given_a_recovery_point_when_its_lifecycle_is_updated_then_the_delete_date_follows(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    arn = emulator.seed_recovery_point(vaults.daily, creation_date=datetime(2026, 2, 1))
    # When
    answer = backup.update_recovery_point_lifecycle(
        BackupVaultName=vaults.daily, RecoveryPointArn=arn, Lifecycle={"DeleteAfterDays": 10}
    )
    # Then
    assert answer["CalculatedLifecycle"]["DeleteAt"] == datetime(2026, 2, 11, tzinfo=UTC)


def test_given_cold_storage_under_ninety_days_before_deletion_when_updating_then_refused(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    arn = emulator.seed_recovery_point(vaults.daily)
    # When
    with pytest.raises(ClientError) as raised:
        backup.update_recovery_point_lifecycle(
            BackupVaultName=vaults.daily,
            RecoveryPointArn=arn,
            Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 60},
        )
    # Then (API_Lifecycle.html: DeleteAfterDays >= MoveToColdStorageAfterDays + 90)
    assert error_of(raised)[0] == "InvalidParameterValueException"


def test_given_a_locked_vault_when_retention_is_set_beyond_its_maximum_then_refused(
    backup: Any, vaults: Vaults
) -> None:
    # Given
    arn = emulator.seed_recovery_point(vaults.locked, lifecycle={"DeleteAfterDays": 30})
    # When
    with pytest.raises(ClientError) as raised:
        backup.update_recovery_point_lifecycle(
            BackupVaultName=vaults.locked, RecoveryPointArn=arn, Lifecycle={"DeleteAfterDays": 90}
        )
    # Then
    assert error_of(raised)[0] == "InvalidRequestException"
