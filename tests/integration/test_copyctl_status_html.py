"""``copyctl status --html FILE`` on the emulator: the page shows what ``--json`` says."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

import emulator
from copyctl.__main__ import main
from tests.html_check import Page, fetches, read_page
from tests.integration.reconciler_estate import build_estate
from tests.samples import ACCOUNT, REGION

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def copyctl(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    assert err.getvalue() == ""
    return code, out.getvalue()


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Two points copied and protected, one never copied, one continuous (unprotectable).

    One estate for the module, whose tests only read it (module scope: the conftest's
    credentials fixture is per test, so the fake ones are set here too).
    """
    path = tmp_path_factory.mktemp("status-html") / "env.json"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**FAKE_CREDENTIALS, "MOTO_ACCOUNT_ID": ACCOUNT}.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        emulator.install()
        with mock_aws():
            path.write_text(json.dumps(build_estate().env), encoding="utf-8")
            _seed_and_copy(str(path))
            yield str(path)


def _seed_and_copy(env_file: str) -> None:
    for _ in range(2):
        emulator.seed_recovery_point("daily", resource_type="S3")
    emulator.seed_recovery_point("hourly", resource_type="S3", continuous=True)
    copyctl("reconcile", "--env", env_file)  # starts the two copies
    emulator.settle()  # the copy jobs complete
    copyctl("reconcile", "--env", env_file)  # tracks them: protected
    emulator.seed_recovery_point("daily", resource_type="S3")


@pytest.fixture(scope="module")
def estate_status(
    env_file: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Page]:
    html = tmp_path_factory.mktemp("status-html") / "report" / "status.html"
    # When
    code, out = copyctl("status", "--env", env_file, "--json", "--html", str(html))
    # Then
    assert code == 0
    return json.loads(out), read_page(html.read_text("utf-8"))


def test_given_an_estate_when_status_html_then_the_page_is_well_formed_and_offline(
    estate_status: tuple[dict[str, Any], Page],
) -> None:
    _, page = estate_status
    assert page.problems == []
    assert fetches(page) == []
    assert set(page.sections) == {"coverage", "oldest", "copies", "failures", "unprotected"}


def test_given_an_estate_when_status_html_then_coverage_is_the_documents(
    estate_status: tuple[dict[str, Any], Page],
) -> None:
    document, page = estate_status
    totals = document["totals"]
    # 2 protected of 4 in scope: the unprotectable and the uncopied point count in scope
    assert (totals["protected"], totals["in-scope"]) == (2, 4)
    assert page.text_by_id["coverage-percent"] == "50.0 %"
    assert "2 protected of 4 in scope" in page.sections["coverage"]


def test_given_an_estate_when_status_html_then_copies_and_skips_are_counted(
    estate_status: tuple[dict[str, Any], Page],
) -> None:
    _, page = estate_status
    copies = page.sections["copies"]
    assert "S3 managed 2 2 0 0 0" in copies  # started, protected, key-dependent, failed, in flight
    assert "copy-to-managed 2" in copies
    assert "skip-continuous 1" in copies


def test_given_an_estate_when_status_html_then_every_unprotected_point_is_listed(
    estate_status: tuple[dict[str, Any], Page],
) -> None:
    document, page = estate_status
    listed = page.sections["unprotected"]
    assert f"Not protected ({len(document['unprotected'])})" in listed
    for row in document["unprotected"]:
        assert f"{row['recovery_point_arn']} {row['vault']} S3 {row['standing']}" in listed
    oldest_hours = document["oldest_unprotected_age_seconds"] / 3600
    assert page.text_by_id["oldest-hours"] == f"{oldest_hours:.1f}"
    assert "no-ledger-entry" in page.sections["oldest"]


def test_given_status_as_text_when_html_is_asked_then_it_says_where_it_wrote(
    env_file: str, tmp_path: Path
) -> None:
    code, out = copyctl("status", "--env", env_file, "--html", str(tmp_path / "s.html"))
    assert code == 0
    assert "Not protected: 2" in out
    assert out.rstrip().endswith(f"HTML report written to {tmp_path / 's.html'}")
    assert (tmp_path / "s.html").read_text("utf-8").startswith("<!DOCTYPE html>")
