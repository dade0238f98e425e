"""The reconciler's own settings, read where they are used (defaults apply elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.kernel.errors import ConfigError

DEFAULT_LOOK_BACK_DAYS = 35  # the daily plan's 30 days, and a margin
# ListRecoveryPointsByBackupVault accepts MaxResults 1-1000 (API_ListRecoveryPointsByBackupVault).
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
# Time kept back from the function's timeout: the last recovery point, the cursor and the metrics.
MINIMUM_SAFETY = timedelta(seconds=10)
SAFETY_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class ReconcileSettings:
    look_back_days: int | None = DEFAULT_LOOK_BACK_DAYS  # None: whole vaults
    page_size: int = DEFAULT_PAGE_SIZE


def load_reconcile_settings(env: Mapping[str, str]) -> ReconcileSettings:
    """``RECONCILE_LOOK_BACK_DAYS`` (0: whole vaults) and ``RECONCILE_PAGE_SIZE`` (1-1000)."""
    problems: list[str] = []
    look_back = _whole_number(env, "RECONCILE_LOOK_BACK_DAYS", DEFAULT_LOOK_BACK_DAYS, problems)
    page_size = _whole_number(env, "RECONCILE_PAGE_SIZE", DEFAULT_PAGE_SIZE, problems)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        problems.append(f"RECONCILE_PAGE_SIZE must be between 1 and {MAX_PAGE_SIZE}")
    if problems:
        raise ConfigError(problems)
    return ReconcileSettings(look_back_days=look_back or None, page_size=page_size)


def deadline_for(now: datetime, remaining_milliseconds: int) -> datetime:
    """When a run that may take ``remaining_milliseconds`` should stop starting new work."""
    remaining = timedelta(milliseconds=max(0, remaining_milliseconds))
    return now + remaining - max(MINIMUM_SAFETY, remaining * SAFETY_SHARE)


def _whole_number(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        problems.append(f"{name} must be a whole number, got {raw!r}")
        return default
    return int(raw)
