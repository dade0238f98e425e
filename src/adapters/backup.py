"""AWS Backup adapter: the calls the copy and tracking paths make, in domain terms."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from adapters.aws_errors import error_code, translated
from core.kernel.copy_jobs import CopyJobFacts, RecoveryPointKey, VaultRetention
from core.kernel.errors import PermanentError
from core.kernel.lag_plans import PlanIdentity
from core.kernel.models import (
    RecoveryPointFacts,
    SourceLifecycle,
    StartCopyJobRequest,
    StorageClass,
)

if TYPE_CHECKING:
    from mypy_boto3_backup import BackupClient
    from mypy_boto3_backup.type_defs import LifecycleTypeDef


class BackupGateway:
    def __init__(self, client: BackupClient) -> None:
        self._client = client

    def recovery_point_of_job(self, backup_job_id: str) -> str:
        with translated("DescribeBackupJob", permanent=_not_found):
            job = self._client.describe_backup_job(BackupJobId=backup_job_id)
        arn = job.get("RecoveryPointArn")
        if not arn:
            raise PermanentError("no-recovery-point", f"backup job {backup_job_id} has none")
        return arn

    def describe_recovery_point(
        self, vault_name: str, recovery_point_arn: str
    ) -> RecoveryPointFacts:
        with translated("DescribeRecoveryPoint", permanent=_not_found):
            answer = self._client.describe_recovery_point(
                BackupVaultName=vault_name, RecoveryPointArn=recovery_point_arn
            )
        return recovery_point_facts(answer)

    def start_copy_job(self, request: StartCopyJobRequest) -> str:
        wanted = request["Lifecycle"]
        lifecycle: LifecycleTypeDef = {"DeleteAfterDays": wanted["DeleteAfterDays"]}
        if "MoveToColdStorageAfterDays" in wanted:
            lifecycle["MoveToColdStorageAfterDays"] = wanted["MoveToColdStorageAfterDays"]
        with translated("StartCopyJob"):
            answer = self._client.start_copy_job(
                RecoveryPointArn=request["RecoveryPointArn"],
                SourceBackupVaultName=request["SourceBackupVaultName"],
                DestinationBackupVaultArn=request["DestinationBackupVaultArn"],
                IamRoleArn=request["IamRoleArn"],
                IdempotencyToken=request["IdempotencyToken"],
                Lifecycle=lifecycle,
            )
        return answer["CopyJobId"]

    def plan_identity(self, plan_id: str) -> PlanIdentity:
        """The plan's name and tags; a plan deleted since its backup ran is known by id only."""
        try:
            with translated("GetBackupPlan"):
                plan = self._client.get_backup_plan(BackupPlanId=plan_id)
        except PermanentError as error:
            if error.reason != "ResourceNotFoundException":
                raise
            return PlanIdentity(plan_id)
        return PlanIdentity(
            plan_id, plan["BackupPlan"]["BackupPlanName"], self._tags(plan["BackupPlanArn"])
        )

    def _tags(self, resource_arn: str) -> dict[str, str]:
        # botocore has no ListTags paginator for AWS Backup: follow NextToken by hand.
        with translated("ListTags"):
            page = self._client.list_tags(ResourceArn=resource_arn)
        tags = dict(page.get("Tags", {}))
        while token := page.get("NextToken"):
            with translated("ListTags"):
                page = self._client.list_tags(ResourceArn=resource_arn, NextToken=token)
            tags.update(page.get("Tags", {}))
        return tags

    # --- copy tracking ----------------------------------------------------------------------

    def describe_copy_job(self, copy_job_id: str) -> CopyJobFacts:
        with translated("DescribeCopyJob", permanent=_not_found):
            job = self._client.describe_copy_job(CopyJobId=copy_job_id)["CopyJob"]
        return CopyJobFacts(
            copy_job_id=job.get("CopyJobId", copy_job_id),
            state=str(job.get("State", "")),
            destination_recovery_point_arn=job.get("DestinationRecoveryPointArn"),
            destination_key_arn=job.get("DestinationEncryptionKeyArn"),
            destination_vault_type=job.get("DestinationVaultType"),
            status_message=job.get("StatusMessage"),
            message_category=job.get("MessageCategory"),
            delete_after_days=job.get("DestinationRecoveryPointLifecycle", {}).get(
                "DeleteAfterDays"
            ),
        )

    def recovery_point_key(self, vault_name: str, recovery_point_arn: str) -> RecoveryPointKey:
        with translated("DescribeRecoveryPoint", permanent=_not_found):
            answer = self._client.describe_recovery_point(
                BackupVaultName=vault_name, RecoveryPointArn=recovery_point_arn
            )
        return RecoveryPointKey(
            key_arn=answer.get("EncryptionKeyArn"),
            key_type=answer.get("EncryptionKeyType"),
            vault_type=answer.get("VaultType"),
            is_encrypted=answer.get("IsEncrypted"),
        )

    def vault_retention(self, vault_name: str) -> VaultRetention:
        with translated("DescribeBackupVault"):
            vault = self._client.describe_backup_vault(BackupVaultName=vault_name)
        return VaultRetention(vault.get("MinRetentionDays"), vault.get("MaxRetentionDays"))


def recovery_point_facts(answer: Mapping[str, Any]) -> RecoveryPointFacts:
    """DescribeRecoveryPoint's answer as domain facts (the reconciler reuses it for list pages)."""
    lifecycle = answer.get("Lifecycle", {})
    calculated = answer.get("CalculatedLifecycle", {})
    created: datetime = answer["CreationDate"]
    return RecoveryPointFacts(
        arn=answer["RecoveryPointArn"],
        status=str(answer.get("Status", "COMPLETED")),
        storage_class=StorageClass(answer.get("StorageClass", "WARM")),
        lifecycle=SourceLifecycle(
            delete_after_days=lifecycle.get("DeleteAfterDays"),
            move_to_cold_storage_after_days=lifecycle.get("MoveToColdStorageAfterDays"),
            delete_after_event=lifecycle.get("DeleteAfterEvent"),
        ),
        creation_date=created,
        delete_at=calculated.get("DeleteAt"),
        encryption_key_arn=answer.get("EncryptionKeyArn"),
        parent_recovery_point_arn=answer.get("ParentRecoveryPointArn"),
        is_parent=bool(answer.get("IsParent", False)),
    )


def _not_found(error: Any) -> bool:
    # A recovery point that cannot be found may still be settling in; only other codes are final.
    return error_code(error) != "ResourceNotFoundException"
