"""``copyctl status --html``: the status walk's findings as the offline copy-status report.

Coverage and the unprotected list come from the status document (what ``--json`` prints); copies
by outcome and failures are counted from the findings, one per recovery point, by the ledger
entry that decides where the point stands.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from copyctl.html_model import CopyRow, CoverageRow, StatusPicture, UnprotectedPoint
from copyctl.html_report import render_html
from core.reconcile.coverage import NO_TARGET, Finding, Standing

# Where a started copy stands, as a CopyRow field.
_COPY_OUTCOME = {
    Standing.PROTECTED: "protected",
    Standing.KEY_DEPENDENT: "key_dependent",
    Standing.FAILED: "failed",
    Standing.IN_FLIGHT: "in_flight",
}


def write_status_html(
    path: Path,
    document: Mapping[str, Any],
    findings: Iterable[Finding],
    generated_at: datetime,
    *,
    title: str = "Backup copy status",
) -> None:
    picture = status_picture(document, findings, generated_at, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(picture), encoding="utf-8")


def status_picture(
    document: Mapping[str, Any],
    findings: Iterable[Finding],
    generated_at: datetime,
    *,
    title: str = "Backup copy status",
) -> StatusPicture:
    every = list(findings)
    scope = document["scope"]
    since = scope["created_after"] or "any time"
    notes = [] if scope["complete"] else ["incomplete: the walk stopped before the end"]
    return StatusPicture(
        title=title,
        source=f"copyctl status: vaults {', '.join(scope['vaults'])}, "
        f"recovery points created after {since}",
        generated_at=generated_at,
        coverage=[
            CoverageRow.of_counts(row["vault"], row["resource_type"], row["target"], row)
            for row in document["coverage"]
        ],
        copies=copy_rows(every),
        failures=dict(Counter(f.reason for f in every if f.standing is Standing.FAILED)),
        unprotected=[unprotected_point(row) for row in document["unprotected"]],
        notes=notes,
    )


def copy_rows(findings: Iterable[Finding]) -> list[CopyRow]:
    """Copies by resource type and target, by outcome; explained skips under target ``none``."""
    outcomes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    skips: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in findings:
        resource_type = finding.point.resource_type
        outcome = _COPY_OUTCOME.get(finding.standing)
        if finding.target != NO_TARGET and outcome:
            counts = outcomes[(resource_type, finding.target)]
            counts["started"] += 1
            counts[outcome] += 1
        elif finding.target == NO_TARGET and finding.standing is not Standing.UNPROTECTED:
            skips[resource_type][finding.reason] += 1
    rows = [_copy_row(kind, target, counts) for (kind, target), counts in outcomes.items()]
    rows += [CopyRow(kind, NO_TARGET, skipped=dict(reasons)) for kind, reasons in skips.items()]
    return sorted(rows, key=lambda row: (row.resource_type, row.target))


def _copy_row(resource_type: str, target: str, counts: Counter[str]) -> CopyRow:
    return CopyRow(
        resource_type,
        target,
        started=counts["started"],
        protected=counts["protected"],
        key_dependent=counts["key_dependent"],
        failed=counts["failed"],
        in_flight=counts["in_flight"],
    )


def unprotected_point(row: Mapping[str, Any]) -> UnprotectedPoint:
    return UnprotectedPoint(
        recovery_point=row["recovery_point_arn"],
        vault=row["vault"],
        resource_type=row["resource_type"],
        standing=row["standing"],
        target=row["target"],
        reason=row["reason"],
        explanation=row["explanation"],
        age_seconds=row["age_seconds"],
        stuck=row["stuck"],
    )
