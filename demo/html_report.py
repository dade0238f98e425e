"""The demo's report as the offline copy-status page (``python -m demo --html FILE``).

Where each recovery point stands is judged from its ledger entries by the reconciler's own rule
(``core.reconcile.coverage.judge``), so the coverage figures are the dashboard's ``Coverage``
metric will show; copies by outcome are the demo's copy-status rows (AWS Backup's copy jobs and
the ledger).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from copyctl.html_model import CopyRow, CoverageRow, StatusPicture, UnprotectedPoint
from copyctl.html_report import render_html
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.reconcile.coverage import NO_TARGET, Standing, judge
from demo.report import CopyStatusRow, Report

ALARM_PARAMETER = "OldestUnprotectedAlarmHours"


@dataclass(frozen=True, slots=True)
class _Judged:
    point: dict[str, Any]
    standing: Standing
    target: str
    reason: str
    explanation: str


def write_demo_html(
    report: Report, path: Path, *, stack_name: str, parameters: dict[str, Any]
) -> None:
    picture = demo_picture(
        report, title=f"Backup copies of {stack_name}", alarm_hours=_hours(parameters)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(picture), encoding="utf-8")


def demo_picture(report: Report, *, title: str, alarm_hours: float | None) -> StatusPicture:
    run = report.run
    end = _moment(run.get("end"))
    judged = [_judge(point) for point in report.recovery_points]
    return StatusPicture(
        title=title,
        source=f"python -m demo: one simulated day {run.get('start', '?')} -> "
        f"{run.get('end', '?')}, {run.get('resources', '?')} resources, "
        f"seed {run.get('seed', '?')}, faults {run.get('faults', 'none')}",
        generated_at=end or datetime.now().astimezone(),
        coverage=_coverage(judged),
        copies=[_copy_row(row) for row in report.copy_status],
        failures=_failures(judged),
        unprotected=[
            _unprotected(item, end)
            for item in judged
            if item.standing.is_unprotected or item.standing is Standing.UNPROTECTABLE
        ],
        alarm_hours=alarm_hours,
        notes=[*run.get("notes", []), *_broken(report)],
    )


def standing_counts(report: Report) -> Counter[str]:
    """How many of the report's recovery points stand where (``copyctl status``'s totals)."""
    return Counter(_judge(point).standing.value for point in report.recovery_points)


def _judge(point: dict[str, Any]) -> _Judged:
    entries = [_entry(point["recovery_point_arn"], view) for view in point["ledger"]]
    judgement = judge(entries)
    entry = judgement.entry
    if entry is None:
        # The reconciler's words for a point nothing in the ledger explains.
        return _Judged(point, judgement.standing, NO_TARGET, "no-ledger-entry", "no ledger entry")
    return _Judged(
        point,
        judgement.standing,
        entry.destination_vault_arn,
        entry.reason,
        entry.explanation or "",
    )


def _entry(recovery_point_arn: str, view: dict[str, Any]) -> LedgerEntry:
    """A ledger entry from the report's view of it; the destination is the target's label."""
    return LedgerEntry(
        recovery_point_arn=recovery_point_arn,
        destination_vault_arn=view["target"],
        state=LedgerState(view["state"]),
        reason=view["reason"] or "",
        attempts=0,
        explanation=view["explanation"],
    )


def _coverage(judged: list[_Judged]) -> list[CoverageRow]:
    counts: dict[tuple[str, str, str], Counter[str]] = {}
    for item in judged:
        key = (item.point["vault"], item.point["resource_type"], item.target)
        counts.setdefault(key, Counter())[item.standing.value] += 1
    return [CoverageRow.of_counts(*key, counts[key]) for key in sorted(counts)]


def _copy_row(row: CopyStatusRow) -> CopyRow:
    return CopyRow(
        row.resource_type,
        row.target,
        started=row.copies_started,
        protected=row.protected,
        key_dependent=row.key_dependent,
        failed=row.copies_failed,
        in_flight=row.copies_in_flight,
        skipped=dict(row.skips),
    )


def _failures(judged: list[_Judged]) -> dict[str, int]:
    """Recovery points whose copy failed for good, by reason (as ``copyctl status`` counts)."""
    return dict(Counter(item.reason for item in judged if item.standing is Standing.FAILED))


def _unprotected(item: _Judged, now: datetime | None) -> UnprotectedPoint:
    created = _moment(item.point.get("created"))
    age = (now - created).total_seconds() if now and created else None
    return UnprotectedPoint(
        recovery_point=item.point["recovery_point_arn"],
        vault=item.point["vault"],
        resource_type=item.point["resource_type"],
        standing=item.standing.value,
        target=item.target,
        reason=item.reason,
        explanation=item.explanation,
        age_seconds=max(0.0, age) if age is not None else None,
    )


def _broken(report: Report) -> list[str]:
    return [
        f"PROMISE BROKEN: {check.name} ({len(check.broken)})"
        for check in report.promises
        if not check.kept
    ]


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _hours(parameters: dict[str, Any]) -> float | None:
    value = parameters.get(ALARM_PARAMETER)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
