"""The offline copy-status page in a real browser: Debian's chromium, headless.

The DOM chromium builds (``--dump-dom``) must hold the figures, the charts and, as text, the
markup-like names; a screenshot must come out. Without chromium (Debian: ``apt-get install
chromium``) these tests skip on a developer's machine and fail in CI (``CI`` set), where .ci/run
installs the browser; the suite itself installs nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from copyctl.html_model import CopyRow, CoverageRow, StatusPicture, UnprotectedPoint
from copyctl.html_report import render_html
from tests.html_check import Page, find_chromium, headless, read_page

HOSTILE_VAULT = "<img src=x onerror=alert(1)>vault"
FAILED_POINT = "arn:aws:rds:us-east-1:111122223333:snapshot:awsbackup:job-<b>1</b>"


def chromium() -> str:
    return find_chromium()


PICTURE = StatusPicture(
    title="Backup copies of browser-check",
    source="a test",
    generated_at=datetime(2026, 11, 2, tzinfo=UTC),
    coverage=[
        CoverageRow(HOSTILE_VAULT, "EBS", "lag", protected=17, in_flight=1),
        CoverageRow("daily", "RDS", "managed", failed=2),
    ],
    copies=[
        CopyRow("EBS", "lag", started=18, protected=17, in_flight=1),
        CopyRow("RDS", "managed", started=2, failed=2),
    ],
    failures={"permanent": 2},
    unprotected=[
        UnprotectedPoint(FAILED_POINT, "daily", "RDS", "failed", "managed", "permanent", "", 99000)
    ],
    alarm_hours=24,
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Page, Path]:
    browser = chromium()
    folder = tmp_path_factory.mktemp("browser")
    page = folder / "status.html"
    page.write_text(render_html(PICTURE), encoding="utf-8")
    dom = headless(browser, folder / "profile", "--dump-dom", page.as_uri()).stdout
    return read_page(dom), folder


def test_given_the_page_when_chromium_renders_it_then_the_dom_holds_the_key_figures(
    rendered: tuple[Page, Path],
) -> None:
    dom, _ = rendered
    assert dom.text_by_id["coverage-percent"] == "85.0 %"  # 17 of 20
    assert dom.text_by_id["oldest-hours"] == "27.5"
    assert "alarm 24 h" in dom.sections["oldest"]
    assert "permanent 2" in dom.sections["failures"]
    assert "lag 18 started, 17 protected, 1 in flight" in dom.sections["copies"]


def test_given_the_page_when_chromium_renders_it_then_charts_are_svg_and_names_are_text(
    rendered: tuple[Page, Path],
) -> None:
    dom, _ = rendered
    assert dom.tags.count("svg") >= 6
    assert dom.tags.count("rect") > 20
    assert "img" not in dom.tags
    assert "script" not in dom.tags
    assert HOSTILE_VAULT in dom.sections["coverage"]
    assert FAILED_POINT in dom.sections["unprotected"]


def test_given_the_page_when_chromium_takes_a_screenshot_then_an_image_comes_out(
    rendered: tuple[Page, Path],
) -> None:
    _, folder = rendered
    shot = folder / "status.png"
    page = (folder / "status.html").as_uri()
    headless(
        chromium(),
        folder / "profile",
        "--window-size=1280,2000",
        f"--screenshot={shot}",
        page,
    )
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert shot.stat().st_size > 10_000  # a blank page is a few hundred bytes


def test_given_ci_and_no_browser_when_one_is_looked_for_then_the_test_fails_not_skips(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given CI and a PATH without any browser (and /usr/bin/chromium not found either)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("tests.html_check.BROWSERS", ("chromium", "chromium-browser"))
    # When / Then: a failure, which CI reports red (a skip would pass unnoticed)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        find_chromium()


def test_given_no_ci_and_no_browser_when_one_is_looked_for_then_the_test_skips(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a developer's machine without a browser
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("tests.html_check.BROWSERS", ("chromium", "chromium-browser"))
    # When / Then
    with pytest.raises(pytest.skip.Exception):
        find_chromium()
