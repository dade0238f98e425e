"""The offline copy-status page (copyctl.html_report): escaped, complete, the input's numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from copyctl import dashboard_guidance as guidance
from copyctl.html_model import CopyRow, CoverageRow, StatusPicture, UnprotectedPoint
from copyctl.html_report import MAX_LISTED, render_html
from tests.html_check import Page, fetches, read_page

HOSTILE = "<script>alert('x')</script>&\"quoted\""
NOW = datetime(2026, 11, 2, tzinfo=UTC)
RDS_POINT = "arn:aws:rds:us-east-1:111122223333:snapshot:awsbackup:job-1"


def waiting(arn: str, hours: float, standing: str = "failed") -> UnprotectedPoint:
    return UnprotectedPoint(
        recovery_point=arn,
        vault="daily",
        resource_type="RDS",
        standing=standing,
        target="managed",
        reason="permanent",
        explanation="the vault refused it",
        age_seconds=hours * 3600,
    )


def picture(**changes: object) -> StatusPicture:
    base: dict[str, object] = {
        "title": "Backup copies of demo",
        "source": "a test",
        "generated_at": NOW,
        "coverage": [
            CoverageRow("daily", "EBS", "lag", protected=6, in_flight=1),
            CoverageRow("daily", "RDS", "managed", failed=1),
            CoverageRow("hourly", "DynamoDB", "none", unprotectable=2, skipped=5),
        ],
        "copies": [
            CopyRow("EBS", "lag", started=7, protected=6, in_flight=1),
            CopyRow("RDS", "managed", started=1, failed=1),
            CopyRow("DynamoDB", "none", skipped={"skip-not-copyable": 2, "skip-cold": 1}),
        ],
        "failures": {"permanent": 1, "retries-exhausted": 3},
        "unprotected": [
            waiting(RDS_POINT, 30),
            waiting("arn:aws:ec2:us-east-1::snapshot/snap-2", 2, "in-flight"),
            waiting("arn:aws:dynamodb:older-but-unprotectable", 90, "unprotectable"),
        ],
        "alarm_hours": 24.0,
    }
    return StatusPicture(**(base | changes))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def page() -> Page:
    return read_page(render_html(picture()))


def plain(markdown: str) -> str:
    return " ".join(markdown.replace("**", "").split())


# --- well formed and self-contained -----------------------------------------------------------


def test_given_a_picture_when_rendered_then_the_html_is_one_balanced_document() -> None:
    # When
    html = render_html(picture())
    page = read_page(html)
    # Then
    assert html.startswith("<!DOCTYPE html>")
    assert page.problems == []
    assert [page.tags.count(tag) for tag in ("html", "head", "body")] == [1, 1, 1]
    assert page.tags.index("title") < page.tags.index("body")


def test_given_a_picture_when_rendered_then_nothing_is_fetched_and_nothing_runs(
    page: Page,
) -> None:
    html = render_html(picture())
    assert fetches(page) == []
    assert "url(" not in html
    assert "@import" not in html
    assert not [name for _, name, _ in page.attributes if name.startswith("on")]


# --- escaping ---------------------------------------------------------------------------------


def test_given_names_with_markup_when_rendered_then_they_are_text_not_elements() -> None:
    # Given names, reasons and explanations as AWS could return them
    hostile = picture(
        title=HOSTILE,
        coverage=[CoverageRow(HOSTILE, HOSTILE, HOSTILE, failed=1)],
        copies=[CopyRow(HOSTILE, HOSTILE, started=1, failed=1, skipped={HOSTILE: 1})],
        failures={HOSTILE: 1},
        unprotected=[
            UnprotectedPoint(HOSTILE, HOSTILE, HOSTILE, "failed", HOSTILE, HOSTILE, HOSTILE, 60.0)
        ],
        notes=[HOSTILE],
    )
    # When
    html = render_html(hostile)
    page = read_page(html)
    # Then the markup is shown as text, never parsed as elements or attributes
    assert "script" not in page.tags
    assert "<script>" not in html
    assert page.problems == []
    assert page.text.count(HOSTILE) >= 8


def test_given_a_long_name_in_a_chart_when_rendered_then_the_whole_name_is_kept_escaped() -> None:
    long_reason = "<b>" + "x" * 60
    page = read_page(render_html(picture(failures={long_reason: 2})))
    assert "b" not in page.tags
    assert long_reason in page.sections["failures"]


# --- every section, with the dashboard's words --------------------------------------------------


@pytest.mark.parametrize(
    ("section", "texts"),
    [
        ("coverage", guidance.COVERAGE),
        ("oldest", guidance.OLDEST_UNPROTECTED),
        ("copies", guidance.COPIES),
        ("failures", guidance.FAILURES),
        ("unprotected", guidance.UNPROTECTED),
    ],
)
def test_given_a_picture_when_rendered_then_each_section_says_what_good_looks_like(
    page: Page, section: str, texts: tuple[str, ...]
) -> None:
    assert section in page.sections
    for text in texts:
        assert plain(text) in page.sections[section]


def test_given_a_picture_when_rendered_then_the_overview_and_chart_titles_are_shown(
    page: Page,
) -> None:
    assert plain(guidance.OVERVIEW[0]) in page.text
    captions = {title for tag, name, title in page.attributes if name == "aria-label"}
    assert set(guidance.WIDGET_TITLES) - {guidance.COVERAGE_TITLE} <= captions
    assert guidance.COVERAGE_TITLE in page.sections["coverage"]


# --- the numbers are the input's ---------------------------------------------------------------


def test_given_coverage_rows_when_rendered_then_protected_of_in_scope_is_the_percentage(
    page: Page,
) -> None:
    # 6 protected of 10 in scope (7 + 1 + 2; the 5 skipped are out of scope)
    assert page.text_by_id["coverage-percent"] == "60.0 %"
    assert "6 protected of 10 in scope" in page.sections["coverage"]
    assert "daily EBS lag 7 6" in page.sections["coverage"]
    assert "total 10 6" in page.sections["coverage"]


def test_given_unprotected_points_when_rendered_then_the_oldest_waiting_one_is_shown(
    page: Page,
) -> None:
    # The 90 h old point is unprotectable: it waits for no copy, so the 30 h failed one is oldest
    assert page.text_by_id["oldest-hours"] == "30.0"
    assert RDS_POINT in page.sections["oldest"]
    assert "alarm above 24 h" in page.sections["oldest"]
    assert "older-but-unprotectable" not in page.sections["oldest"]


def test_given_copy_rows_when_rendered_then_every_outcome_count_is_shown(page: Page) -> None:
    copies = page.sections["copies"]
    assert "EBS lag 7 6 0 0 1" in copies
    assert "RDS managed 1 0 0 1 0" in copies
    assert "skip-cold 1, skip-not-copyable 2" in copies
    assert "started 8 protected 6 key-dependent 0 failed 1 in flight 1" in copies  # all targets
    assert "lag 7 started, 6 protected, 1 in flight" in copies
    assert "managed 1 started, 1 failed" in copies
    assert "RDS 1 started, 1 failed" in copies
    assert "copy-to-lag 7" in copies
    assert "copy-to-managed 1" in copies


def test_given_failures_when_rendered_then_each_reason_has_its_count(page: Page) -> None:
    failures = page.sections["failures"]
    assert "retries-exhausted 3" in failures
    assert "permanent 1" in failures


def test_given_unprotected_points_when_rendered_then_each_is_listed_with_reason_and_age(
    page: Page,
) -> None:
    listed = page.sections["unprotected"]
    assert "Not protected (3)" in listed
    assert f"{RDS_POINT} daily RDS failed managed permanent the vault refused it 30h00m" in listed
    assert "3d18h" in listed  # 90 hours


# --- edges -------------------------------------------------------------------------------------


def test_given_nothing_in_scope_when_rendered_then_it_says_so_and_stays_well_formed() -> None:
    page = read_page(
        render_html(picture(coverage=[], copies=[], failures={}, unprotected=[], alarm_hours=None))
    )
    assert page.problems == []
    assert page.text_by_id["coverage-percent"] == "n/a"
    assert "no recovery point waits for a copy" in page.sections["oldest"]
    assert "No copy failed." in page.sections["failures"]
    assert "Every recovery point in scope is protected." in page.sections["unprotected"]


def test_given_no_alarm_threshold_when_rendered_then_the_oldest_has_no_alarm_line() -> None:
    html = render_html(picture(alarm_hours=None))
    page = read_page(html)
    assert "alarm threshold: not known here" in page.sections["oldest"]
    assert 'class="marker"' not in html


def test_given_more_points_than_listed_when_rendered_then_the_rest_is_counted() -> None:
    points = [waiting(f"arn:point-{n:04d}", 1) for n in range(MAX_LISTED + 3)]
    page = read_page(render_html(picture(unprotected=points)))
    listed = page.sections["unprotected"]
    assert f"Not protected ({MAX_LISTED + 3})" in listed
    assert "and 3 more" in listed
    assert len(re.findall(r"arn:point-\d{4}", listed)) == MAX_LISTED
