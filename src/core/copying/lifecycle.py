"""The lifecycle of every copy: the source's retention, clamped into the destination's range.

Rules (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html and
lag-vault-primary-backup.html):
- a copy outside the destination vault's [min, max] retention fails, so always send an explicit
  ``DeleteAfterDays`` inside it (LAG vaults: min ≥ 7);
- ``DeleteAfterDays`` must be at least ``MoveToColdStorageAfterDays`` + 90;
- copies keep the source creation date, so retention counts from it.
"""

from __future__ import annotations

from math import ceil

from core.kernel.config import FOREVER_DAYS, Destination
from core.kernel.models import CopyLifecycle, RecoveryPointFacts, Target

COLD_STORAGE_MINIMUM_DAYS = 90
_SECONDS_PER_DAY = 86400


def source_retention_days(facts: RecoveryPointFacts) -> int | None:
    """Days the source is kept, or None when it is kept forever."""
    if facts.lifecycle.delete_after_days:
        return facts.lifecycle.delete_after_days
    if facts.delete_at is not None:
        seconds = (facts.delete_at - facts.creation_date).total_seconds()
        return max(1, ceil(seconds / _SECONDS_PER_DAY))
    return None


def copy_lifecycle(
    facts: RecoveryPointFacts, destination: Destination, target: Target
) -> CopyLifecycle:
    wanted = source_retention_days(facts) or destination.max_retention_days or FOREVER_DAYS
    cold_after = _cold_transition(facts, target)
    if cold_after is not None:
        wanted = max(wanted, cold_after + COLD_STORAGE_MINIMUM_DAYS)
    delete_after = _clamp(wanted, destination)
    if cold_after is None or delete_after < cold_after + COLD_STORAGE_MINIMUM_DAYS:
        return CopyLifecycle(DeleteAfterDays=delete_after)
    return CopyLifecycle(DeleteAfterDays=delete_after, MoveToColdStorageAfterDays=cold_after)


def _cold_transition(facts: RecoveryPointFacts, target: Target) -> int | None:
    # LAG vaults keep recovery points warm: a cold transition there is [derived] unsupported.
    if target is Target.LAG:
        return None
    return facts.lifecycle.move_to_cold_storage_after_days or None


def _clamp(days: int, destination: Destination) -> int:
    upper = destination.max_retention_days or FOREVER_DAYS
    return min(max(days, destination.min_retention_days), upper)
