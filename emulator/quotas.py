"""The concurrency quotas a job counts against (aws-backup-limits.html)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from emulator import arns
from emulator.models import LAG_VAULT, CopyJob

QuotaKey = tuple[str, str, str, str]  # quota, destination account and Region, resource type


@lru_cache(maxsize=4096)
def _account_and_region(vault_arn: str) -> tuple[str, str]:
    parsed = arns.parse(vault_arn)
    return parsed.account, parsed.region


def quota_keys(job: Any) -> tuple[QuotaKey, ...]:
    """Per destination Region: 100 concurrent copies of fully managed types, and per-type limits
    on copies into logically air-gapped vaults. Backup jobs count against neither."""
    if not isinstance(job, CopyJob):
        return ()
    place = _account_and_region(job.destination_vault_arn)
    keys: list[QuotaKey] = []
    if job.fully_managed:
        keys.append(("fully-managed", *place, ""))
    if job.destination_vault_type == LAG_VAULT:
        keys.append(("lag", *place, job.resource_type))
    return tuple(keys)
