"""Recovery points as ``ListRecoveryPointsByBackupVault`` lists them, one page at a time.

The reconciler walks the source vaults with these; it never holds more than one page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.kernel.config import Settings
from core.kernel.models import Origin, RecoveryPointEvent

# The statuses of a recovery point that finished (API_RecoveryPointByBackupVault.html); the
# decision accepts exactly these as copyable (core.copying.decision).
FINISHED_STATUSES = frozenset({"COMPLETED", "AVAILABLE"})


@dataclass(frozen=True, slots=True)
class ListedRecoveryPoint:
    arn: str
    vault_name: str
    vault_arn: str
    resource_arn: str
    resource_type: str
    status: str
    creation_date: datetime
    backup_plan_id: str | None  # None: an on-demand backup (no CreatedBy)
    encryption_key_arn: str | None  # None: unencrypted, or AWS did not say
    size_in_bytes: int | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True, slots=True)
class RecoveryPointPage:
    items: tuple[ListedRecoveryPoint, ...]
    token: str | None  # the NextToken that fetched this page; None: the vault's first page
    next_token: str | None  # None: the vault's last page


def as_event(point: ListedRecoveryPoint, settings: Settings) -> RecoveryPointEvent:
    """The event the live copy path would have received, had AWS delivered it."""
    return RecoveryPointEvent(
        origin=Origin.BACKUP_JOB,  # only an event without a recovery point ARN needs the origin
        job_id=f"reconciler:{point.vault_name}",
        state="COMPLETED",
        account=settings.account_id,
        region=settings.region,
        vault_name=point.vault_name,
        vault_arn=point.vault_arn,
        resource_arn=point.resource_arn,
        resource_type=point.resource_type,
        recovery_point_arn=point.arn,
        backup_plan_id=point.backup_plan_id,
        parent_job_id=None,
        creation_date=point.creation_date,
        size_in_bytes=point.size_in_bytes,
    )
