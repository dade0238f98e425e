"""`python -m demo` (what `make demo` runs): its output, its JSON, its exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo import cli

# Two resources (an EBS volume and an EC2 instance) for one hour: one hourly recovery point.
TINY = ["--resources", "2", "--hours", "1", "--seed", "5"]

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def test_given_a_clean_run_when_the_command_ends_then_it_prints_the_report_and_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # When
    status = cli.main([*TINY, "--json", str(tmp_path / "report.json")])
    # Then
    printed = capsys.readouterr().out
    document = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert status == 0
    assert "Copy status by resource type and target" in printed
    assert "all promises kept" in printed
    assert document["promises_kept"] is True
    assert document["run"]["resources"] == 2
    assert len(document["recovery_points"]) == 1


def test_given_every_event_lost_when_the_command_ends_then_it_says_so_and_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: EventBridge drops every event, and nothing (no reconciler run) heals it
    monkeypatch.setitem(cli.FAULT_PROFILES, "lossy", {"drop_event_rate": 1.0})
    # When
    status = cli.main([*TINY, "--faults", "lossy", "--no-run-scheduled"])
    # Then
    printed = capsys.readouterr().out
    assert status == 1
    assert "BROKEN  no-lost-recovery-point" in printed
    assert "PROMISE BROKEN" in printed


def test_given_every_event_lost_when_the_reconciler_runs_at_day_end_then_nothing_is_lost(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: EventBridge drops every event; the template's reconciler runs (the default)
    monkeypatch.setitem(cli.FAULT_PROFILES, "lossy", {"drop_event_rate": 1.0})
    # When
    status = cli.main([*TINY, "--faults", "lossy"])
    # Then: the reconciler found every recovery point the events never announced
    printed = capsys.readouterr().out
    assert "KEPT    no-lost-recovery-point" in printed
    assert status == 0


def test_given_an_empty_estate_when_asked_then_the_command_refuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # When
    with pytest.raises(SystemExit) as raised:
        cli.main(["--resources", "0"])
    # Then
    assert raised.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
