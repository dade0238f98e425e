"""The emulator's records, and their answers in the shapes of the AWS Backup API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator.arns import resource_name_of

VAULT = "BACKUP_VAULT"
LAG_VAULT = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"


def present(values: dict[str, Any]) -> dict[str, Any]:
    """The items whose value is not None (AWS leaves absent fields out of its answers)."""
    return {key: value for key, value in values.items() if value is not None}


@dataclass(slots=True)
class VaultExtras:
    """What moto's vault record lacks."""

    vault_type: str = VAULT
    access_policy: str | None = None
    encryption_key_arn: str | None = None  # LAG only: a CMK chosen at creation


@dataclass(slots=True)
class ResourceInfo:
    """A protected resource the emulator knows (for backup jobs and plan selections)."""

    arn: str
    resource_type: str
    encryption_key_arn: str | None
    tags: dict[str, str] = field(default_factory=dict)
    size_in_bytes: int = 10 * 2**30


@dataclass(slots=True)
class RecoveryPoint:
    arn: str
    vault_name: str
    vault_arn: str
    vault_type: str
    resource_arn: str
    resource_type: str
    creation_date: datetime
    completion_date: datetime
    encryption_key_arn: str | None
    encryption_key_type: str | None
    lifecycle: dict[str, Any] = field(default_factory=dict)
    storage_class: str = "WARM"
    status: str = "COMPLETED"
    iam_role_arn: str | None = None
    created_by: dict[str, str] | None = None
    source_backup_vault_arn: str | None = None
    parent_recovery_point_arn: str | None = None
    is_parent: bool = False
    size_in_bytes: int = 10 * 2**30
    fully_managed: bool = False

    def calculated_lifecycle(self) -> dict[str, datetime]:
        calculated = {}
        cold = self.lifecycle.get("MoveToColdStorageAfterDays")
        delete = self.lifecycle.get("DeleteAfterDays")
        if cold is not None:
            calculated["MoveToColdStorageAt"] = self.creation_date + timedelta(days=cold)
        if delete is not None:
            calculated["DeleteAt"] = self.creation_date + timedelta(days=delete)
        return calculated

    def to_api(self) -> dict[str, Any]:
        return present(
            {
                "RecoveryPointArn": self.arn,
                "BackupVaultName": self.vault_name,
                "BackupVaultArn": self.vault_arn,
                "SourceBackupVaultArn": self.source_backup_vault_arn,
                "ResourceArn": self.resource_arn,
                "ResourceType": self.resource_type,
                "ResourceName": resource_name_of(self.resource_arn),
                "CreatedBy": self.created_by,
                "IamRoleArn": self.iam_role_arn,
                "Status": self.status,
                "CreationDate": self.creation_date,
                "InitiationDate": self.creation_date,
                "CompletionDate": self.completion_date,
                "BackupSizeInBytes": self.size_in_bytes,
                "CalculatedLifecycle": self.calculated_lifecycle() or None,
                "Lifecycle": self.lifecycle or None,
                "EncryptionKeyArn": self.encryption_key_arn,
                "EncryptionKeyType": self.encryption_key_type,
                "IsEncrypted": self.encryption_key_arn is not None,
                "StorageClass": self.storage_class,
                "ParentRecoveryPointArn": self.parent_recovery_point_arn,
                "IsParent": self.is_parent,
                "VaultType": self.vault_type,
            }
        )


@dataclass(slots=True)
class Job:
    """What backup and copy jobs share: identity, timing, state."""

    job_id: str
    account: str
    region: str
    resource_arn: str
    resource_type: str
    iam_role_arn: str
    creation_date: datetime
    duration: timedelta
    lifecycle: dict[str, Any]
    size_in_bytes: int
    created_by: dict[str, str] | None = None
    state: str = "CREATED"
    status_message: str | None = None
    started_at: datetime | None = None
    completion_date: datetime | None = None

    def due(self) -> datetime | None:
        if self.state != "RUNNING" or self.started_at is None:
            return None
        return self.started_at + self.duration


@dataclass(slots=True)
class BackupJob(Job):
    vault_name: str = ""
    vault_arn: str = ""
    vault_type: str = VAULT
    recovery_point_arn: str = ""
    encryption_key_arn: str | None = None
    plan_copy_actions: list[dict[str, Any]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        percent = "100.0" if self.state == "COMPLETED" else "0.0"
        return present(
            {
                "AccountId": self.account,
                "BackupJobId": self.job_id,
                "BackupVaultName": self.vault_name,
                "BackupVaultArn": self.vault_arn,
                "VaultType": self.vault_type,
                "RecoveryPointArn": self.recovery_point_arn,
                "RecoveryPointLifecycle": self.lifecycle or None,
                "EncryptionKeyArn": self.encryption_key_arn,
                "IsEncrypted": self.encryption_key_arn is not None,
                "ResourceArn": self.resource_arn,
                "ResourceType": self.resource_type,
                "ResourceName": resource_name_of(self.resource_arn),
                "CreationDate": self.creation_date,
                "InitiationDate": self.creation_date,
                "CompletionDate": self.completion_date,
                "State": self.state,
                "StatusMessage": self.status_message,
                "PercentDone": percent,
                "BackupSizeInBytes": self.size_in_bytes if self.state == "COMPLETED" else None,
                "IamRoleArn": self.iam_role_arn,
                "CreatedBy": self.created_by,
                "StartBy": self.creation_date + timedelta(hours=8),
                "BackupType": "FULL",
                "IsParent": False,
            }
        )


@dataclass(slots=True)
class CopyJob(Job):
    source_vault_arn: str = ""
    source_recovery_point_arn: str = ""
    destination_vault_arn: str = ""
    destination_vault_type: str = VAULT
    destination_recovery_point_arn: str | None = None
    destination_key_arn: str | None = None
    destination_key_type: str | None = None
    fully_managed: bool = False
    created_by_backup_job_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        return present(
            {
                "AccountId": self.account,
                "CopyJobId": self.job_id,
                "SourceBackupVaultArn": self.source_vault_arn,
                "SourceRecoveryPointArn": self.source_recovery_point_arn,
                "DestinationBackupVaultArn": self.destination_vault_arn,
                "DestinationVaultType": self.destination_vault_type,
                "DestinationRecoveryPointArn": self.destination_recovery_point_arn,
                "DestinationEncryptionKeyArn": self.destination_key_arn,
                "DestinationRecoveryPointLifecycle": self.lifecycle or None,
                "ResourceArn": self.resource_arn,
                "ResourceType": self.resource_type,
                "ResourceName": resource_name_of(self.resource_arn),
                "CreationDate": self.creation_date,
                "CompletionDate": self.completion_date,
                "State": self.state,
                "StatusMessage": self.status_message,
                "BackupSizeInBytes": self.size_in_bytes,
                "IamRoleArn": self.iam_role_arn,
                "CreatedBy": self.created_by,
                "CreatedByBackupJobId": self.created_by_backup_job_id,
                "IsParent": False,
            }
        )


@dataclass(slots=True)
class Selection:
    selection_id: str
    plan_id: str
    body: dict[str, Any]
    creation_date: datetime
    creator_request_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        return present(
            {
                "SelectionId": self.selection_id,
                "BackupPlanId": self.plan_id,
                "BackupSelection": self.body,
                "CreationDate": self.creation_date,
                "CreatorRequestId": self.creator_request_id,
            }
        )

    def to_list_api(self) -> dict[str, Any]:
        return present(
            {
                "SelectionId": self.selection_id,
                "SelectionName": self.body.get("SelectionName"),
                "BackupPlanId": self.plan_id,
                "CreationDate": self.creation_date,
                "CreatorRequestId": self.creator_request_id,
                "IamRoleArn": self.body.get("IamRoleArn"),
            }
        )
