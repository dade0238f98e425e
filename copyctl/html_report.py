"""The copy-status report as one self-contained HTML page: the dashboard's figures, offline.

Pure: a ``StatusPicture`` in, a string out. CSS and SVG are inline; no script, nothing fetched.
Every text is escaped: resource names, reasons and explanations come from AWS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from html import escape

from copyctl import dashboard_guidance as guidance
from copyctl import html_page as part
from copyctl.html_charts import Bar, Marker, StackedRow, bar_chart, number, stacked_bar_chart
from copyctl.html_model import CopyRow, StatusPicture, UnprotectedPoint
from core.reconcile.coverage import Standing

MAX_LISTED = 500  # unprotected points listed; copyctl status --json has them all
_TONE = {
    Standing.PROTECTED: "good",
    Standing.IN_FLIGHT: "info",
    Standing.KEY_DEPENDENT: "dependent",
    Standing.FAILED: "bad",
    Standing.UNPROTECTABLE: "warn",
    Standing.UNPROTECTED: "bad",
    Standing.SKIPPED: "neutral",
}
# Where started copies ended: (title, CopyRow field, tone).
_ENDS = (
    ("protected", "protected", "good"),
    ("key-dependent", "key_dependent", "dependent"),
    ("failed", "failed", "bad"),
    ("in flight", "in_flight", "info"),
)
_OUTCOMES = (("started", "started", "neutral"), *_ENDS)


def render_html(picture: StatusPicture) -> str:
    body = "".join(
        [
            _header(picture),
            _coverage(picture),
            _oldest(picture),
            _copies(picture),
            _failures(picture),
            _unprotected(picture),
            _footer(),
        ]
    )
    return part.page(picture.title, body)


# ---- sections ---------------------------------------------------------------------------------


def _header(picture: StatusPicture) -> str:
    notes = "".join(f"<li>{escape(note)}</li>" for note in picture.notes)
    return (
        f"<header><h1>{escape(picture.title)}</h1>"
        f'<p class="source">{escape(picture.source)}</p>'
        f'<p class="source">generated {escape(picture.generated_at.isoformat())}</p>'
        + (f'<ul class="notes">{notes}</ul>' if notes else "")
        + part.what_good_looks_like(guidance.OVERVIEW)
        + "</header>"
    )


def _coverage(picture: StatusPicture) -> str:
    totals, in_scope = picture.totals(), picture.in_scope
    protected = totals[Standing.PROTECTED]
    figure = part.figure(
        "coverage-percent",
        guidance.COVERAGE_TITLE,
        part.percent(protected, in_scope),
        f"{protected} protected of {in_scope} in scope",
    )
    states = [Bar("in-scope", in_scope, "info")] + [
        Bar(standing.value, totals[standing], _TONE[standing]) for standing in Standing
    ]
    headers = ["vault", "resource type", "target", "in scope", "protected", "coverage"]
    rows: list[list[part.Cell]] = [
        [
            row.vault,
            row.resource_type,
            row.target,
            row.in_scope,
            row.protected,
            part.ratio(row.protected, row.in_scope),
            *(row.count(s) for s in Standing if s is not Standing.PROTECTED),
        ]
        for row in picture.coverage
    ]
    total: list[part.Cell] = ["total", "", "", in_scope, protected, part.ratio(protected, in_scope)]
    total += [totals[s] for s in Standing if s is not Standing.PROTECTED]
    headers += [s.value for s in Standing if s is not Standing.PROTECTED]
    return part.section(
        "coverage",
        "Coverage per vault, resource type and target",
        guidance.COVERAGE,
        figure
        + part.chart(guidance.STATES_TITLE, bar_chart(guidance.STATES_TITLE, states))
        + part.table(headers, rows, total=total),
    )


def _oldest(picture: StatusPicture) -> str:
    oldest, alarm = picture.oldest_unprotected, picture.alarm_hours
    if oldest is None or oldest.age_seconds is None:
        content = '<p class="empty" id="oldest-hours">None: no recovery point waits for a copy.</p>'
        return part.section("oldest", guidance.OLDEST_TITLE, guidance.OLDEST_UNPROTECTED, content)
    hours = oldest.age_seconds / 3600
    over = alarm is not None and hours > alarm
    threshold = (
        f"alarm above {number(alarm)} h" if alarm is not None else "alarm threshold: not known here"
    )
    marker = Marker(alarm, f"alarm {number(alarm)} h") if alarm is not None else None
    chart = bar_chart(
        guidance.OLDEST_TITLE,
        [Bar("oldest unprotected", round(hours, 1), "bad" if over else "warn", f"{hours:.1f} h")],
        marker=marker,
    )
    content = (
        part.figure("oldest-hours", "hours", f"{hours:.1f}", threshold)
        + part.chart(guidance.OLDEST_TITLE, chart)
        + part.table(
            ["recovery point", "vault", "resource type", "standing", "target", "reason"],
            [_point_cells(oldest)[:6]],
        )
    )
    return part.section("oldest", guidance.OLDEST_TITLE, guidance.OLDEST_UNPROTECTED, content)


def _copies(picture: StatusPicture) -> str:
    copies = [row for row in picture.copies if row.is_copy]
    legend = [Bar(title, 0, tone) for title, _, tone in _ENDS]
    charts = [
        (guidance.RESULTS_TITLE, bar_chart(guidance.RESULTS_TITLE, _outcome_bars(copies))),
        (_BY_TARGET, stacked_bar_chart(_BY_TARGET, _stacked(copies, _target), legend)),
        (_BY_TYPE, stacked_bar_chart(_BY_TYPE, _stacked(copies, _resource_type), legend)),
        (
            guidance.DECISIONS_TITLE,
            bar_chart(guidance.DECISIONS_TITLE, _decision_bars(picture.copies)),
        ),
    ]
    headers = ["resource type", "target", *(title for title, _, _ in _OUTCOMES), "skipped"]
    rows: list[list[part.Cell]] = [
        [
            row.resource_type,
            row.target,
            *(_count(row, name) for _, name, _ in _OUTCOMES),
            _skips(row.skipped),
        ]
        for row in picture.copies
    ]
    content = "".join(part.chart(title, svg) for title, svg in charts) + part.table(headers, rows)
    return part.section("copies", "Copies by outcome", guidance.COPIES, content)


def _failures(picture: StatusPicture) -> str:
    failures = sorted(picture.failures.items(), key=lambda item: (-item[1], item[0]))
    if not failures:
        content = '<p class="empty">No copy failed.</p>'
    else:
        bars = [Bar(reason, count, "bad") for reason, count in failures]
        svg = bar_chart(_FAILED_FOR_GOOD, bars)
        content = part.chart(_FAILED_FOR_GOOD, svg) + part.table(
            ["reason", "recovery points"], [[reason, count] for reason, count in failures]
        )
    content += f'<p class="more">{escape(_FAILURES_ON_THE_DASHBOARD)}</p>'
    return part.section("failures", "Failures by reason", guidance.FAILURES, content)


def _unprotected(picture: StatusPicture) -> str:
    points = sorted(picture.unprotected, key=lambda p: (-(p.age_seconds or 0.0), p.recovery_point))
    if not points:
        content = '<p class="empty">Every recovery point in scope is protected.</p>'
    else:
        headers = ["recovery point", "vault", "resource type", "standing", "target", "reason"]
        headers += ["why", "age"]
        content = part.table(headers, [_point_cells(point) for point in points[:MAX_LISTED]])
        if len(points) > MAX_LISTED:
            more = len(points) - MAX_LISTED
            content += f'<p class="more">… and {more} more (copyctl status --json lists all).</p>'
    title = f"Not protected ({len(points)})"
    return part.section("unprotected", title, guidance.UNPROTECTED, content)


def _footer() -> str:
    return f"<footer><p>Only on the dashboard: {escape(guidance.DASHBOARD_ONLY)}.</p></footer>"


def _point_cells(point: UnprotectedPoint) -> list[part.Cell]:
    standing = f"{point.standing} (stuck)" if point.stuck else point.standing
    age = "?" if point.age_seconds is None else part.duration(point.age_seconds)
    return [
        point.recovery_point,
        point.vault,
        point.resource_type,
        standing,
        point.target,
        point.reason,
        point.explanation,
        age,
    ]


def _count(row: CopyRow, name: str) -> int:
    return int(getattr(row, name))


def _outcome_bars(rows: Sequence[CopyRow]) -> list[Bar]:
    return [Bar(title, sum(_count(r, name) for r in rows), tone) for title, name, tone in _OUTCOMES]


_FAILED_FOR_GOOD = "Copies failed for good, by reason"
_FAILURES_ON_THE_DASHBOARD = (
    f"The dashboard's “{guidance.FAILURES_TITLE}” also counts the failed copy jobs that were "
    "retried or fell back to the managed-key vault: they are not failures for good."
)
_BY_TARGET = "Copies by target (LAG or managed-key vault), by outcome"
_BY_TYPE = "Copies by resource type, by outcome"


def _target(row: CopyRow) -> str:
    return row.target


def _resource_type(row: CopyRow) -> str:
    return row.resource_type


def _stacked(rows: Sequence[CopyRow], key: Callable[[CopyRow], str]) -> list[StackedRow]:
    groups: dict[str, list[CopyRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [_stacked_row(name, members) for name, members in sorted(groups.items())]


def _stacked_row(name: str, rows: Sequence[CopyRow]) -> StackedRow:
    started = sum(row.started for row in rows)
    ends = [Bar(t, sum(_count(r, field) for r in rows), tone) for t, field, tone in _ENDS]
    shown = ", ".join([f"{started} started", *(f"{b.text} {b.label}" for b in ends if b.value)])
    return StackedRow(name, started, ends, shown)


def _decision_bars(rows: Sequence[CopyRow]) -> list[Bar]:
    decisions: Counter[str] = Counter()
    for row in rows:
        if row.is_copy:
            decisions[f"copy-to-{row.target}"] += row.started
        decisions.update(row.skipped)
    ordered = sorted(decisions.items(), key=lambda item: (not item[0].startswith("copy-"), item))
    return [
        Bar(reason, n, "info" if reason.startswith("copy-") else "neutral") for reason, n in ordered
    ]


def _skips(skipped: Mapping[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in sorted(skipped.items()))
