"""Fault knobs: what can go wrong in AWS that the orchestrator must survive.

Set per test with ``emulator.set_faults(...)``; reset with ``emulator.reset_faults()`` (and by every
moto reset). In server mode: ``POST /moto-api/emulator/faults`` or the $EMULATOR_FAULTS JSON.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

FAULTS_ENV = "EMULATOR_FAULTS"
HoldState = Literal["CREATED", "RUNNING"]


@dataclass(slots=True)
class Faults:
    throttle_rate: float = 0.0
    """Share of AWS Backup API calls answered with ThrottlingException (HTTP 400)."""
    server_error_rate: float = 0.0
    """Share of AWS Backup API calls answered with ServiceUnavailableException (HTTP 503)."""
    operations: list[str] = field(default_factory=list)
    """Operation names (e.g. "StartCopyJob") the two rates apply to; empty means all."""
    copy_failure_rate: float = 0.0
    """Share of copy jobs that end FAILED with a transient-looking message."""
    backup_failure_rate: float = 0.0
    """Share of backup jobs that end FAILED with a transient-looking message."""
    drop_event_rate: float = 0.0
    """Share of EventBridge events never delivered."""
    duplicate_event_rate: float = 0.0
    """Share of EventBridge events delivered twice."""
    reorder_events: bool = False
    """Hold events and deliver them shuffled at the end of each tick or on flush_events()."""
    hold_copy_jobs_in: HoldState | None = None
    """Copy jobs in this state stay there (AWS keeps troubled copy jobs CREATED for hours)."""

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        return cls(**values)

    @classmethod
    def from_environment(cls) -> Faults:
        raw = os.environ.get(FAULTS_ENV)
        return cls.from_mapping(json.loads(raw)) if raw else cls()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def request_fault(self, operation: str, rng: random.Random) -> str | None:
        """The error code to answer this API call with, or None."""
        if self.operations and operation not in self.operations:
            return None
        if self.throttle_rate and rng.random() < self.throttle_rate:
            return "ThrottlingException"
        if self.server_error_rate and rng.random() < self.server_error_rate:
            return "ServiceUnavailableException"
        return None
