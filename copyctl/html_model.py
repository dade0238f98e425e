"""What the offline copy-status report shows: one shape, filled by ``copyctl status`` and the demo.

The standings are named as the reconciler names them (``core.reconcile.coverage.Standing``), as the
dashboard's ``Coverage`` metric reads; targets are the ledger's labels (lag, managed, override,
none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.reconcile.coverage import NO_TARGET, Standing


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """Recovery points of one (vault, resource type, target), by where they stand."""

    vault: str
    resource_type: str
    target: str
    protected: int = 0
    in_flight: int = 0
    key_dependent: int = 0
    failed: int = 0
    unprotectable: int = 0
    unprotected: int = 0
    skipped: int = 0  # not ours to copy: out of scope

    @classmethod
    def of_counts(
        cls, vault: str, resource_type: str, target: str, counts: Mapping[str, int]
    ) -> CoverageRow:
        """From counts keyed by standing name (``protected``, ``in-flight``, ...)."""
        return cls(
            vault,
            resource_type,
            target,
            **{_FIELD_OF[standing]: counts.get(standing.value, 0) for standing in Standing},
        )

    def count(self, standing: Standing) -> int:
        return int(getattr(self, _FIELD_OF[standing]))

    @property
    def in_scope(self) -> int:
        return sum(self.count(standing) for standing in Standing if standing.in_scope)


_FIELD_OF = {standing: standing.value.replace("-", "_") for standing in Standing}


@dataclass(frozen=True, slots=True)
class CopyRow:
    """Copies of one resource type to one target, by outcome; skips sit under target ``none``."""

    resource_type: str
    target: str
    started: int = 0
    protected: int = 0
    key_dependent: int = 0
    failed: int = 0
    in_flight: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)  # skip reason -> recovery points

    @property
    def is_copy(self) -> bool:
        return self.target != NO_TARGET


@dataclass(frozen=True, slots=True)
class UnprotectedPoint:
    """A recovery point without a key-independent copy, and why."""

    recovery_point: str  # its ARN
    vault: str
    resource_type: str
    standing: str  # a Standing name
    target: str
    reason: str
    explanation: str = ""
    age_seconds: float | None = None  # None: its creation date is not known
    stuck: bool = False  # in flight for longer than the tracking allows

    @property
    def awaits_copy(self) -> bool:
        """Should have a copy and has none yet (the ``OldestUnprotectedAgeSeconds`` rule)."""
        return Standing(self.standing).is_unprotected


@dataclass(frozen=True, slots=True)
class StatusPicture:
    """Everything the report shows, already counted."""

    title: str
    source: str  # what was read: "copyctl status, vaults daily, hourly", "one simulated day"
    generated_at: datetime
    coverage: Sequence[CoverageRow]
    copies: Sequence[CopyRow]
    failures: Mapping[str, int]  # recovery points whose copy failed for good, by reason
    unprotected: Sequence[UnprotectedPoint]
    alarm_hours: float | None = None  # the stack's OldestUnprotectedAlarmHours, when known
    notes: Sequence[str] = ()

    def totals(self) -> dict[Standing, int]:
        return {s: sum(row.count(s) for row in self.coverage) for s in Standing}

    @property
    def in_scope(self) -> int:
        return sum(row.in_scope for row in self.coverage)

    @property
    def oldest_unprotected(self) -> UnprotectedPoint | None:
        waiting = [p for p in self.unprotected if p.awaits_copy and p.age_seconds is not None]
        return max(waiting, key=lambda point: point.age_seconds or 0.0, default=None)
