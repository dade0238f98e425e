"""A deployed stack, read through copyctl as an operator would (read-only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copyctl.__main__ import main

pytestmark = pytest.mark.e2e


def test_given_a_deployed_stack_when_status_is_asked_then_coverage_comes_back_as_json(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # When
    code = main(["status", "--stack", stack, "--json"])
    # Then
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert isinstance(json.loads(captured.out), dict)


def test_given_a_deployed_stack_when_reconciled_dry_then_it_lists_without_copying(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # When
    code = main(["reconcile", "--stack", stack, "--dry-run", "--json"])
    # Then
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert isinstance(json.loads(captured.out), dict)


def test_given_a_deployed_stack_when_the_html_report_is_written_then_it_is_a_page(
    stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # When
    page = f"{tmp_path}/status.html"
    code = main(["status", "--stack", stack, "--html", page])
    # Then
    assert code == 0, capsys.readouterr().err
    with open(page, encoding="utf-8") as handle:
        assert handle.read().lstrip().lower().startswith("<!doctype html>")
