"""Copy jobs stuck in CREATED or RUNNING: found in the ledger, reported once per stuck period.

"Stuck" is measured from the entry's last transition (claim, start, running), so a copy that
was retried is judged by its current attempt. The reconciler calls ``StuckCopyReporter.report``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from core.kernel.alerts import AlertKind, alert_for_entry
from core.kernel.config import Settings
from core.kernel.ledger_states import IN_PROGRESS, LedgerEntry
from core.kernel.ports import AlertPort, TrackingLedgerPort


def stuck_cutoff(now: datetime, stuck_after_minutes: int) -> datetime:
    return now - timedelta(minutes=stuck_after_minutes)


def is_stuck(entry: LedgerEntry, now: datetime, stuck_after_minutes: int) -> bool:
    """In progress, and unchanged for at least ``stuck_after_minutes``."""
    if entry.state not in IN_PROGRESS or entry.updated_at is None:
        return False
    return entry.updated_at <= stuck_cutoff(now, stuck_after_minutes)


@dataclass(frozen=True, slots=True)
class StuckReport:
    stuck: list[LedgerEntry]
    newly_reported: list[LedgerEntry]


@dataclass
class StuckCopyReporter:
    settings: Settings
    ledger: TrackingLedgerPort
    alerts: AlertPort
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def report(self) -> StuckReport:
        now, minutes = self.clock(), self.settings.stuck_after_minutes
        candidates = self.ledger.in_progress_before(stuck_cutoff(now, minutes))
        stuck = [entry for entry in candidates if is_stuck(entry, now, minutes)]
        return StuckReport(stuck, [entry for entry in stuck if self._alert_once(entry)])

    def _alert_once(self, entry: LedgerEntry) -> bool:
        if not self.ledger.flag_stuck(entry):
            return False
        alert = replace(
            alert_for_entry(entry, AlertKind.STUCK, self.settings.region),
            reason=f"stuck-{entry.state.value}",
            detail=(
                f"{entry.state.value} for more than {self.settings.stuck_after_minutes} minutes "
                f"({entry.reason}: {entry.explanation or 'no explanation'})"
            ),
        )
        try:
            self.alerts.publish(alert)
        except Exception:
            self.ledger.unflag_stuck(entry)
            raise
        return True
