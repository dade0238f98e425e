"""The report as readable text tables, and as JSON (demo_html makes the HTML page from it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from demo.report import Report
from emulator.arns import resource_name_of

_MAX_CELL = 72


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    notes: Sequence[str | None] | None = None,
) -> str:
    """A plain-text table: text columns left-aligned, numbers right-aligned.

    ``notes``: a line of free text under each row (None: no line), indented by the first column.
    """
    last = len(headers) - 1  # the last column may run on: nothing follows it
    cells = [[_cell(value, whole=i == last) for i, value in enumerate(row)] for row in rows]
    widths = [
        max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)
    ]
    numeric = [
        bool(rows) and all(isinstance(row[i], int) for row in rows) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if numeric[i] else value.ljust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    lines = [line(headers), rule]
    for index, row in enumerate(cells):
        lines.append(line(row))
        note = notes[index] if notes else None
        if note:
            lines.append(" " * (widths[0] + 2) + note)
    return "\n".join(lines)


def _cell(value: object, *, whole: bool = False) -> str:
    text = "" if value is None else str(value)
    return text if whole or len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def render_text(report: Report) -> str:
    sections = [
        _heading(report),
        _section("Backups and outcome by resource type", _by_type(report)),
        _section("Copy status by resource type and target", _copy_status(report)),
        _section("Unprotected recovery points, by resource and reason", _unprotected(report)),
        _section("Resources without any backup", _not_backed_up(report)),
        _section("Promises", _promises(report)),
    ]
    return "\n\n".join(sections) + "\n"


def write_json(report: Report, path: str | Path) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report.as_dict(), indent=2, default=str) + "\n", "utf-8")


def _section(title: str, body: str) -> str:
    return f"{title}\n{'=' * len(title)}\n{body}"


def _heading(report: Report) -> str:
    run = report.run
    lines = [
        "Backup copy orchestrator - one simulated day on the local AWS Backup emulator",
        f"simulated day   {run.get('start', '?')} -> {run.get('end', '?')}",
        f"estate          {run.get('resources', '?')} resources, "
        f"{run.get('resource_types', '?')} resource types, seed {run.get('seed', '?')}, "
        f"faults {run.get('faults', 'none')}",
        f"functions       {_invocations(run)}",
        f"wall time       {run.get('wall_seconds', '?')} s",
    ]
    stats = run.get("invocations")
    skipped = stats.get("skipped_backoff_seconds") if isinstance(stats, dict) else None
    if skipped:
        lines.append(f"retry backoff   {skipped} s of botocore waits skipped (simulated time)")
    lines.extend(f"note            {note}" for note in run.get("notes", []))
    return "\n".join(lines)


def _invocations(run: dict[str, object]) -> str:
    stats = run.get("invocations")
    if not isinstance(stats, dict):
        return "?"
    records = stats.get("records", {})
    invocations = stats.get("invocations", {})
    parts = []
    for name in sorted(invocations):
        part = f"{name} {_count(invocations[name], 'invocation')}"
        if records.get(name):
            part += f" ({_count(records[name], 'record')})"
        parts.append(part)
    return "; ".join(parts) or "none invoked"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _by_type(report: Report) -> str:
    headers = (
        "resource type",
        "resources",
        "backups",
        "backups failed",
        "protected",
        "in flight",
        "unprotected",
        "lost",
    )
    rows = [
        (
            row.resource_type,
            row.resources,
            row.backups_completed,
            row.backups_failed,
            row.protected,
            row.in_flight,
            row.unprotected,
            row.lost,
        )
        for row in report.by_type
    ]
    totals = ("total", *(sum(int(row[i]) for row in rows) for i in range(1, len(headers))))
    return table(headers, [*rows, totals])


def _copy_status(report: Report) -> str:
    headers = (
        "resource type",
        "target",
        "recovery points",
        "copies started",
        "completed",
        "failed",
        "in flight",
        "verified",
        "key-dependent",
        "skips by reason",
    )
    rows = [
        (
            row.resource_type,
            row.target,
            row.recovery_points,
            row.copies_started,
            row.copies_completed,
            row.copies_failed,
            row.copies_in_flight,
            row.protected,
            row.key_dependent,
            ", ".join(f"{reason} {count}" for reason, count in sorted(row.skips.items())),
        )
        for row in report.copy_status
    ]
    return table(headers, rows)


def _unprotected(report: Report) -> str:
    if not report.unprotected:
        return "(none)"
    headers = ("resource type", "resource", "recovery points", "what happened", "reason")
    rows = [
        (
            group.resource_type,
            resource_name_of(group.resource_arn),
            group.recovery_points,
            group.path,
            group.reason,
        )
        for group in report.unprotected
    ]
    return table(headers, rows, notes=[group.explanation for group in report.unprotected])


def _not_backed_up(report: Report) -> str:
    if not report.not_backed_up:
        return "(none)"
    rows = [(r["resource_type"], r["resource_arn"], r["reason"]) for r in report.not_backed_up]
    return table(("resource type", "resource", "why"), rows)


def _promises(report: Report) -> str:
    lines = []
    for check in report.promises:
        mark = "KEPT  " if check.kept else "BROKEN"
        lines.append(f"{mark}  {check.name}: {check.promise}")
        lines.extend(f"          {detail}" for detail in check.broken[:20])
        if len(check.broken) > 20:
            lines.append(f"          ... and {len(check.broken) - 20} more")
    verdict = "all promises kept" if report.promises_kept else "PROMISE BROKEN: exit status 1"
    return "\n".join([*lines, "", verdict])
