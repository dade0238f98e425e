"""The demo's report as the offline page's input (demo.html_report), on a hand-made report."""

from __future__ import annotations

from typing import Any

from copyctl.html_model import CopyRow, CoverageRow
from demo.html_report import demo_picture
from demo.report import CopyStatusRow, PromiseCheck, Report

END = "2026-11-02T00:00:00+00:00"


def point(arn: str, ledger: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "recovery_point_arn": arn,
        "resource_arn": f"resource-of-{arn}",
        "resource_type": "RDS",
        "vault": "daily",
        "created": "2026-11-01T06:00:00+00:00",
        "outcome": "?",  # the report's own rule; the page judges the ledger afresh
        "ledger": ledger,
        **fields,
    }


def entry(target: str, state: str, reason: str = "r", explanation: str | None = None) -> dict:
    return {
        "target": target,
        "state": state,
        "reason": reason,
        "explanation": explanation,
        "copy_job_id": None,
    }


def report(points: list[dict[str, Any]], **fields: Any) -> Report:
    base: dict[str, Any] = {
        "by_type": [],
        "copy_status": [],
        "unprotected": [],
        "not_backed_up": [],
        "promises": [],
        "recovery_points": points,
        "run": {"start": "2026-11-01T00:00:00+00:00", "end": END, "notes": []},
    }
    return Report(**(base | fields))


def test_given_a_lag_refusal_that_fell_back_when_pictured_then_it_is_protected_by_managed() -> None:
    # Given LAG refused the copy and the managed-key vault's copy was verified
    ledger = [entry("lag", "failed", "lag-rejected"), entry("managed", "protected", "verified")]
    # When
    picture = demo_picture(report([point("p1", ledger)]), title="t", alarm_hours=None)
    # Then
    assert picture.coverage == [CoverageRow("daily", "RDS", "managed", protected=1)]
    assert picture.unprotected == []
    assert picture.failures == {}


def test_given_points_left_unprotected_when_pictured_then_listed_with_reason_and_age() -> None:
    # Given a copy failed for good, an unprotectable skip, and a point the ledger never saw
    points = [
        point("failed", [entry("managed", "failed", "permanent", "refused")]),
        point("continuous", [entry("none", "unprotectable", "skip-continuous")]),
        point("lost", [], created="2026-11-01T18:00:00+00:00"),
    ]
    # When
    picture = demo_picture(report(points), title="t", alarm_hours=24)
    # Then
    listed = {
        p.recovery_point: (p.standing, p.target, p.reason, p.age_seconds)
        for p in picture.unprotected
    }
    assert listed == {
        "failed": ("failed", "managed", "permanent", 18 * 3600),
        "continuous": ("unprotectable", "none", "skip-continuous", 18 * 3600),
        "lost": ("unprotected", "none", "no-ledger-entry", 6 * 3600),
    }
    assert picture.failures == {"permanent": 1}
    oldest = picture.oldest_unprotected
    assert oldest is not None
    assert oldest.recovery_point == "failed"  # the unprotectable one waits for no copy
    assert picture.in_scope == 3
    assert picture.alarm_hours == 24


def test_given_a_skip_that_is_not_ours_when_pictured_then_it_is_out_of_scope() -> None:
    points = [point("child", [entry("none", "skipped", "skip-composite-child")])]
    picture = demo_picture(report(points), title="t", alarm_hours=None)
    assert picture.coverage == [CoverageRow("daily", "RDS", "none", skipped=1)]
    assert picture.in_scope == 0
    assert picture.unprotected == []


def test_given_copy_status_rows_when_pictured_then_copies_are_the_rows() -> None:
    row = CopyStatusRow("EBS", "lag", recovery_points=3, copies_started=4, copies_completed=3)
    row.copies_failed, row.protected, row.skips = 1, 3, {"skip-cold": 2}
    picture = demo_picture(report([], copy_status=[row]), title="t", alarm_hours=None)
    assert picture.copies == [
        CopyRow("EBS", "lag", started=4, protected=3, failed=1, skipped={"skip-cold": 2})
    ]


def test_given_a_broken_promise_when_pictured_then_the_page_notes_it() -> None:
    broken = PromiseCheck("no-lost-recovery-point", "every point has an entry", ["p1", "p2"])
    picture = demo_picture(report([], promises=[broken]), title="t", alarm_hours=None)
    assert "PROMISE BROKEN: no-lost-recovery-point (2)" in picture.notes
