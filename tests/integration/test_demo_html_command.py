"""``python -m demo --html FILE``: the offline copy-status page of the simulated day."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo import cli
from tests.html_check import fetches, read_page

# Two resources (an EBS volume and an EC2 instance) for one hour: one hourly recovery point.
TINY = ["--resources", "2", "--hours", "1", "--seed", "5"]

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def test_given_a_clean_run_when_html_is_asked_then_the_page_shows_the_reports_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    html, report = tmp_path / "page" / "demo.html", tmp_path / "demo.json"
    # When
    status = cli.main([*TINY, "--html", str(html), "--json", str(report)])
    # Then
    assert status == 0
    assert capsys.readouterr().out.rstrip().endswith(f"HTML report written to {html}")
    document = json.loads(report.read_text("utf-8"))
    page = read_page(html.read_text("utf-8"))
    assert page.problems == []
    assert fetches(page) == []
    assert set(page.sections) == {"coverage", "oldest", "copies", "failures", "unprotected"}
    points = document["recovery_points"]
    assert all(entry["state"] != "skipped" for p in points for entry in p["ledger"])  # in scope
    protected = sum(p["outcome"] == "protected" for p in points)
    assert page.text_by_id["coverage-percent"] == f"{100 * protected / len(points):.1f} %"
    started = sum(row["copies_started"] for row in document["copy_status"])
    assert f"started {started} protected {protected}" in page.sections["copies"]
    assert "Backup copies of backup-copy-demo" in page.text


def test_given_every_event_lost_when_html_is_asked_then_the_page_lists_the_lost_points(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given EventBridge drops every event and no reconciler runs: the ledger never hears of it
    monkeypatch.setitem(cli.FAULT_PROFILES, "lossy", {"drop_event_rate": 1.0})
    html = tmp_path / "demo.html"
    # When
    status = cli.main([*TINY, "--faults", "lossy", "--no-run-scheduled", "--html", str(html)])
    # Then
    assert status == 1
    page = read_page(html.read_text("utf-8"))
    assert page.text_by_id["coverage-percent"] == "0.0 %"
    assert "no-ledger-entry" in page.sections["unprotected"]
    assert "alarm above 24 h" in page.sections["oldest"]  # the template's default threshold
    assert "PROMISE BROKEN: no-lost-recovery-point (1)" in page.text
