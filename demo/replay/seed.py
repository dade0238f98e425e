"""Put into the emulator the recovery points a replayed event names, so that the handlers' AWS
calls about them (DescribeRecoveryPoint, StartCopyJob) find them, as they would in AWS where the
event follows the backup or copy that made them.

Only recovery points in a vault of the replay's account and Region that exists (a vault of the
template) are seeded; a foreign vault stays unknown, as it is to the stacks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import emulator
from demo.replay.world import ReplayWorld
from emulator import arns
from emulator.backend import backend_for
from emulator.events import BACKUP_JOB_STATE_CHANGE, COPY_JOB_STATE_CHANGE


def seed_named_recovery_points(event: Any, world: ReplayWorld) -> list[str]:
    """Seed what ``event`` (vault names already the stacks') refers to; the ARNs seeded."""
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        return []
    if (event.get("account"), event.get("region")) != (world.account, world.region):
        return []
    seeded = []
    for vault_name, recovery_point_arn in _references(event):
        if _seed(world, vault_name, recovery_point_arn, event["detail"]):
            seeded.append(recovery_point_arn)
    return seeded


def unknown_copy_job(event: Any, world: ReplayWorld) -> str | None:
    """The copy job a copy job event names, when the emulator never ran it (a sample's job)."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict) or event.get("detail-type") != COPY_JOB_STATE_CHANGE:
        return None
    job_id = detail.get("copyJobId")
    known = backend_for(world.account, world.region).copy_jobs
    return job_id if isinstance(job_id, str) and job_id not in known else None


def _references(event: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(vault name, recovery point ARN) of each recovery point the event names."""
    detail = event["detail"]
    resources = [arn for arn in event.get("resources") or [] if isinstance(arn, str)]
    if event.get("detail-type") == BACKUP_JOB_STATE_CHANGE:
        vault = detail.get("backupVaultName")
        return [(vault if isinstance(vault, str) else None, arn) for arn in resources[:1]]
    if event.get("detail-type") != COPY_JOB_STATE_CHANGE:
        return []
    found = [(_vault_name(detail.get("sourceBackupVaultArn")), arn) for arn in resources[:1]]
    destination = detail.get("destinationRecoveryPointArn")
    if isinstance(destination, str):
        found.append((_vault_name(detail.get("destinationBackupVaultArn")), destination))
    return found


def _vault_name(vault_arn: Any) -> str | None:
    if not isinstance(vault_arn, str):
        return None
    try:
        return arns.vault_name(vault_arn)
    except (ValueError, IndexError):
        return None


def _seed(world: ReplayWorld, vault_name: str | None, arn: str, detail: dict[str, Any]) -> bool:
    backend = backend_for(world.account, world.region)
    resource_type = detail.get("resourceType")
    if vault_name not in backend.moto.vaults or not isinstance(resource_type, str):
        return False
    if arn in backend.vault_points(vault_name):
        return False  # an event replayed twice: the recovery point is already there
    options: dict[str, Any] = {
        "resource_type": resource_type,
        "recovery_point_arn": arn,
        "continuous": arns.is_continuous(arn),
        "dynamodb_advanced": not arns.is_dynamodb_native_backup(arn),
        "lifecycle": _lifecycle(backend.retention_range(vault_name)[0]),
    }
    if isinstance(detail.get("resourceArn"), str):
        options["resource_arn"] = detail["resourceArn"]
    if created := _moment(detail.get("creationDate")):
        options["creation_date"] = created
    if isinstance(detail.get("createdBy"), dict):
        options["created_by"] = detail["createdBy"]
    if size := _size(detail.get("backupSizeInBytes")):
        options["size_in_bytes"] = size
    emulator.seed_recovery_point(vault_name, account=world.account, region=world.region, **options)
    return True


def _lifecycle(lock_minimum_days: int | None) -> dict[str, int]:
    """The template locks each source vault at the retention its plan rule gives its recovery
    points (HourlyRetentionDays, ...), so the lock's minimum is the seeded point's retention."""
    return {"DeleteAfterDays": lock_minimum_days} if lock_minimum_days else {}


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _size(value: Any) -> int | None:
    """Backup job events carry the size as a string, copy job events as a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
