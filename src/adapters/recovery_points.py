"""AWS Backup reads of the reconciler and the key guard: vault listings and vault keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from adapters.aws_errors import translated
from core.kernel.recovery_points import ListedRecoveryPoint, RecoveryPointPage

if TYPE_CHECKING:
    from mypy_boto3_backup import BackupClient


class RecoveryPointLister:
    """ListRecoveryPointsByBackupVault, one page in memory at a time."""

    def __init__(self, client: BackupClient) -> None:
        self._client = client

    def recovery_point_pages(
        self,
        vault_name: str,
        *,
        created_after: datetime | None,
        start_token: str | None,
        page_size: int,
    ) -> Iterator[RecoveryPointPage]:
        token = start_token
        while True:
            page = self.page(vault_name, created_after, token, page_size)
            yield page
            if page.next_token is None:
                return
            token = page.next_token

    def page(
        self, vault_name: str, created_after: datetime | None, token: str | None, page_size: int
    ) -> RecoveryPointPage:
        request: dict[str, Any] = {"BackupVaultName": vault_name, "MaxResults": page_size}
        if created_after is not None:
            request["ByCreatedAfter"] = created_after
        if token is not None:
            request["NextToken"] = token
        with translated("ListRecoveryPointsByBackupVault"):
            answer = self._client.list_recovery_points_by_backup_vault(**request)
        items = tuple(listed_recovery_point(item) for item in answer.get("RecoveryPoints", []))
        return RecoveryPointPage(items, token, answer.get("NextToken") or None)


def listed_recovery_point(item: Mapping[str, Any]) -> ListedRecoveryPoint:
    created_by = item.get("CreatedBy") or {}
    return ListedRecoveryPoint(
        arn=item["RecoveryPointArn"],
        vault_name=item["BackupVaultName"],
        vault_arn=item["BackupVaultArn"],
        resource_arn=item.get("ResourceArn", ""),
        resource_type=item.get("ResourceType", "unknown"),
        status=str(item.get("Status", "")),
        creation_date=item["CreationDate"],
        backup_plan_id=created_by.get("BackupPlanId") or None,
        encryption_key_arn=item.get("EncryptionKeyArn") or None,
        size_in_bytes=item.get("BackupSizeInBytes"),
    )


class BackupVaultKeys:
    """DescribeBackupVault → the vault's EncryptionKeyArn."""

    def __init__(self, client: BackupClient) -> None:
        self._client = client

    def encryption_key_arn(self, vault_name: str) -> str | None:
        with translated("DescribeBackupVault"):
            vault = self._client.describe_backup_vault(BackupVaultName=vault_name)
        return vault.get("EncryptionKeyArn") or None
