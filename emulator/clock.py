"""The emulator's notion of "now": simulated, settable, only ever moved on purpose."""

from __future__ import annotations

import os
from datetime import UTC, datetime

START_TIME_ENV = "EMULATOR_START_TIME"


def _initial_time() -> datetime:
    configured = os.environ.get(START_TIME_ENV)
    if configured:
        return as_utc(datetime.fromisoformat(configured.replace("Z", "+00:00")))
    return datetime.now(UTC).replace(second=0, microsecond=0)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, as botocore sends them."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class SimulatedClock:
    """Starts at the wall clock's minute (or $EMULATOR_START_TIME) and moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = as_utc(start) if start else _initial_time()

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        moment = as_utc(moment)
        if moment < self._now:
            raise ValueError(f"the simulated clock cannot go back ({moment} < {self._now})")
        self._now = moment

    def reset_to(self, moment: datetime) -> None:
        """Set any time, even an earlier one (tests that seed history first)."""
        self._now = as_utc(moment)


def iso_ms(moment: datetime) -> str:
    """EventBridge detail timestamps: 2020-07-15T22:06:27.234Z."""
    moment = as_utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
