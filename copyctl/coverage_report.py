"""What ``copyctl status`` and ``copyctl reconcile`` print: documents first, text from them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from copyctl.html_page import duration
from core.reconcile.coverage import Action, Coverage, Finding, Standing
from core.reconcile.reconciler import RunOutcome, RunReport
from core.tracking.stuck_copies import is_stuck

COLUMNS = (
    Standing.PROTECTED,
    Standing.IN_FLIGHT,
    Standing.FAILED,
    Standing.KEY_DEPENDENT,
    Standing.UNPROTECTABLE,
    Standing.UNPROTECTED,
    Standing.SKIPPED,
)
_TABLE = (
    ("vault", "vault"),
    ("resource type", "resource_type"),
    ("target", "target"),
    ("in-scope", "in-scope"),
    *((standing.value, standing.value) for standing in COLUMNS),
)


@dataclass(frozen=True)
class ReportContext:
    now: datetime
    stuck_after_minutes: int


def coverage_document(
    report: RunReport, vaults: Iterable[str], findings: Iterable[Finding], context: ReportContext
) -> dict[str, Any]:
    coverage = report.coverage
    return {
        "scope": {
            "vaults": list(vaults),
            "created_after": _iso(report.created_after),
            "complete": report.outcome is RunOutcome.COMPLETE,
        },
        "coverage": coverage_rows(coverage),
        "totals": _totals(coverage),
        "oldest_unprotected_age_seconds": round(
            coverage.oldest_unprotected_age_seconds(context.now)
        ),
        "unprotected": [finding_row(f, context) for f in findings if f.standing.lacks_protection],
    }


def reconcile_document(
    report: RunReport, vaults: Iterable[str], findings: list[Finding], context: ReportContext
) -> dict[str, Any]:
    def rows(action: Action) -> list[dict[str, Any]]:
        return [finding_row(f, context) for f in findings if f.action is action]

    return {
        **coverage_document(report, vaults, findings, context),
        "copies": rows(Action.WOULD_COPY) + rows(Action.COPY_STARTED),
        "retries": rows(Action.WOULD_RETRY) + rows(Action.RETRY_STARTED),
        "settled": rows(Action.SETTLED),
        "errors": rows(Action.ERROR),
    }


def coverage_rows(coverage: Coverage) -> list[dict[str, Any]]:
    rows = []
    for (vault, resource_type, target), tally in sorted(coverage.tallies.items()):
        in_scope = sum(n for s, n in tally.counts.items() if s.in_scope)
        rows.append(
            {
                "vault": vault,
                "resource_type": resource_type,
                "target": target,
                "in-scope": in_scope,
                **{s.value: tally.counts[s] for s in COLUMNS},
            }
        )
    return rows


def finding_row(finding: Finding, context: ReportContext) -> dict[str, Any]:
    point, entry = finding.point, finding.entry
    stuck = entry is not None and is_stuck(entry, context.now, context.stuck_after_minutes)
    return {
        "recovery_point_arn": point.arn,
        "vault": point.vault_name,
        "resource_type": point.resource_type,
        "created": point.creation_date.isoformat(),
        "age_seconds": round((context.now - point.creation_date).total_seconds()),
        "standing": finding.standing.value,
        "target": finding.target,
        "reason": finding.reason,
        "explanation": finding.explanation,
        "action": finding.action.value,
        "copy_job_id": finding.copy_job_id,
        "stuck": stuck,
        "request": finding.request,
    }


def print_json(document: dict[str, Any], out: TextIO) -> None:
    json.dump(document, out, indent=2, default=str)
    out.write("\n")


def print_coverage(document: dict[str, Any], out: TextIO) -> None:
    scope = document["scope"]
    since = scope["created_after"] or "any time"
    out.write(f"Vaults {', '.join(scope['vaults'])}: recovery points created after {since}\n")
    if not scope["complete"]:
        out.write("(incomplete: the walk stopped before the end)\n")
    header = [title for title, _ in _TABLE]
    table = [[str(row[key]) for _, key in _TABLE] for row in document["coverage"]]
    print_table(header, table, out)
    totals = document["totals"]
    out.write("total: " + ", ".join(f"{name} {n}" for name, n in totals.items()) + "\n")
    age = document["oldest_unprotected_age_seconds"]
    if age:
        out.write(f"oldest unprotected: {duration(age)} old\n")
    print_findings("Not protected", document["unprotected"], out)


def print_reconcile(
    document: dict[str, Any], dry_run: bool, out: TextIO, *, retry_failed: bool = False
) -> None:
    verb = "Would copy" if dry_run else "Copies started"
    print_findings(verb, document["copies"], out, show_request=dry_run)
    if retry_failed:
        verb = "Failed copies that would be retried" if dry_run else "Failed copies retried"
        print_findings(verb, document["retries"], out, show_request=dry_run)
    print_findings("Copy jobs that had finished unnoticed, now tracked", document["settled"], out)
    print_findings("Errors", document["errors"], out)
    out.write("\n")
    print_coverage(document, out)


def print_findings(
    title: str, rows: list[dict[str, Any]], out: TextIO, *, show_request: bool = False
) -> None:
    out.write(f"\n{title}: {len(rows)}\n")
    for row in rows:
        flag = " STUCK" if row["stuck"] else ""
        out.write(
            f"- {row['recovery_point_arn']}\n"
            f"    {row['vault']} {row['resource_type']}, {duration(row['age_seconds'])} old: "
            f"{row['standing']}{flag} → {row['target']} ({row['reason']})\n"
        )
        if row["explanation"]:
            out.write(f"    why: {row['explanation']}\n")
        if row["copy_job_id"]:
            out.write(f"    copy job: {row['copy_job_id']}\n")
        if show_request and row["request"]:
            lifecycle = row["request"]["Lifecycle"]
            out.write(f"    StartCopyJob lifecycle: {json.dumps(lifecycle)}\n")


def print_table(header: list[str], table: list[list[str]], out: TextIO) -> None:
    widths = [max([len(h), *(len(r[i]) for r in table)]) for i, h in enumerate(header)]
    for row in (header, *table):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip() + "\n")


def _totals(coverage: Coverage) -> dict[str, int]:
    totals = coverage.totals()
    return coverage.metric_counts() | {
        Standing.UNPROTECTED.value: totals[Standing.UNPROTECTED],
        Standing.SKIPPED.value: totals[Standing.SKIPPED],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
