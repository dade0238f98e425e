"""``copyctl demo --events``: the subcommand's wiring to the emulator's replay, its JSON, and its
one-line errors (the outcomes of every fixture: tests/integration/test_demo_replay_events.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copyctl.__main__ import main
from tests.samples import EVENTS_DIR


def test_given_an_ebs_backup_when_replayed_then_the_json_shows_its_verified_lag_copy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the EBS backup of a plan that opts into the LAG vault
    event = EVENTS_DIR / "backup-completed-ebs-lag-plan.json"
    # When
    code = main(["demo", "--events", str(event), "--json"])
    # Then
    document = json.loads(capsys.readouterr().out)
    (item,) = document["events"]
    assert code == 0
    assert (document["account"], document["region"]) == ("111122223333", "us-east-1")
    assert document["vault_names"]["daily"] == "backup-copy-demo-daily"
    assert [d["reason"] for d in item["decisions"]] == ["copy-to-lag"]
    (job,) = item["copy_jobs"]
    assert (job["state"], job["tracked_state"]) == ("COMPLETED", "protected")
    assert [entry["State"] for entry in item["ledger"]] == ["protected"]
    assert item["parked"] == []


def test_given_a_file_that_is_not_json_when_replayed_then_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("{not json", encoding="utf-8")
    code = main(["demo", "--events", str(bad)])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("copyctl demo: malformed-event:")
    assert error.count("\n") == 1


def test_given_a_parameter_without_a_value_when_replayed_then_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = EVENTS_DIR / "backup-completed-ebs-lag-plan.json"
    code = main(["demo", "--events", str(event), "--parameter", "LogLevel"])
    assert code == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_given_no_event_file_when_run_then_argparse_refuses() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["demo"])
    assert exit_.value.code == 2
