"""``copyctl status --org`` on moto: several accounts and Regions, one member without its role.

The organization's totals must be the sums of what ``copyctl status --stack`` reports for each
member stack on its own, and a member that cannot be reached is a row with its reason.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

import emulator
from copyctl.__main__ import main
from localrun.org_estate import HOME_REGION, Member, credentials_in, deploy
from tests.html_check import fetches, read_page

MEMBERS = [
    Member("111111111111", "us-east-1", "primary", protected=3, unprotected=1),
    Member("111111111111", "eu-west-1", "primary", protected=2, unprotected=0),
    Member("111111111111", "eu-west-1", "dr", protected=1, unprotected=1),
    Member("222222222222", "us-east-1", "primary", protected=2, unprotected=2),
    Member("222222222222", "eu-west-1", "primary", protected=4, unprotected=0),
    Member("333333333333", "us-east-1", "primary", protected=1, unprotected=1, reader=False),
]
REACHABLE = [member for member in MEMBERS if member.reader]


def copyctl(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    assert err.getvalue() == ""
    return code, out.getvalue()


@pytest.fixture
def organization(moto_organization_gaps: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The caller's account comes from its credentials: the default ones are the admin's.
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    emulator.install()
    with mock_aws():
        deploy(MEMBERS)
        yield


def _org(*extra: str) -> tuple[int, dict[str, Any]]:
    code, out = copyctl("status", "--org", "--region", HOME_REGION, "--json", *extra)
    return code, json.loads(out)


def _single(member_row: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``copyctl status --stack`` run inside the member's own account."""
    credentials = credentials_in(member_row["account"], member_row["region"])
    with monkeypatch.context() as inside:
        inside.setenv("AWS_ACCESS_KEY_ID", credentials["aws_access_key_id"])
        inside.setenv("AWS_SECRET_ACCESS_KEY", credentials["aws_secret_access_key"])
        inside.setenv("AWS_SESSION_TOKEN", credentials["aws_session_token"])
        code, out = copyctl(
            "status", "--stack", member_row["stack"], "--region", member_row["region"], "--json"
        )
    assert code == 0
    document: dict[str, Any] = json.loads(out)
    return document


def test_given_an_organization_when_status_org_then_every_member_is_a_row(
    organization: None,
) -> None:
    # When
    code, document = _org()
    # Then
    rows = {(r["account"], r["region"], r["stack_role"]): r for r in document["members"]}
    assert set(rows) == {(m.account, m.region, m.stack_role) for m in MEMBERS}
    assert (document["accounts"], document["regions"]) == (3, 2)
    for member in REACHABLE:
        totals = rows[(member.account, member.region, member.stack_role)]["totals"]
        assert totals["protected"] == member.protected
        assert totals["unprotected"] == member.unprotected
    assert code == 1  # unprotected points and an unreachable member


def test_given_a_member_without_its_role_when_status_org_then_it_is_a_row_with_the_reason(
    organization: None,
) -> None:
    # When
    _, document = _org()
    # Then
    (unreachable,) = document["unreachable"]
    assert (unreachable["account"], unreachable["region"]) == ("333333333333", "us-east-1")
    assert unreachable["reason"] == "AccessDenied"
    assert "backup-copy-org-reader-us-east-1-primary" in unreachable["explanation"]
    assert not document["fully_covered"]


def test_given_an_organization_when_status_org_then_totals_are_the_sums_of_member_reports(
    organization: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the org view
    _, document = _org()
    # When each reachable member is asked on its own
    singles = [_single(row, monkeypatch) for row in document["members"] if row["reachable"]]
    # Then
    summed: Counter[str] = Counter()
    for single in singles:
        summed.update(single["totals"])
    assert document["totals"] == dict(summed)
    assert document["totals"]["protected"] == sum(m.protected for m in REACHABLE)
    assert len(document["unprotected"]) == sum(len(s["unprotected"]) for s in singles)
    assert len(document["unprotected"]) == sum(m.unprotected for m in REACHABLE)


def test_given_one_worker_when_status_org_then_the_report_is_the_same(
    organization: None,
) -> None:
    _, parallel = _org()
    _, serial = _org("--max-workers", "1")

    def rows(document: dict[str, Any]) -> list[tuple[Any, ...]]:
        keys = ("account", "region", "stack_role", "stack", "reason", "totals", "coverage")
        return [tuple(str(member.get(key)) for key in keys) for member in document["members"]]

    assert serial["totals"] == parallel["totals"]
    assert rows(serial) == rows(parallel)


def test_given_an_organization_when_status_org_as_text_then_it_names_each_member(
    organization: None,
) -> None:
    code, out = copyctl("status", "--org", "--region", HOME_REGION)
    assert code == 1
    assert "6 member stacks in 3 accounts and 2 Regions; 1 unreachable" in out
    assert "333333333333 us-east-1 primary: AccessDenied" in out
    assert "Not protected in 222222222222 us-east-1 primary: 2" in out
    assert "The organization is NOT fully covered." in out


def test_given_an_organization_when_status_org_html_then_the_page_shows_the_org(
    organization: None, tmp_path: Path
) -> None:
    html = tmp_path / "org.html"
    _, document = _org("--html", str(html))
    page = read_page(html.read_text("utf-8"))
    assert page.problems == []
    assert fetches(page) == []
    assert {"coverage", "unprotected"} <= set(page.sections)
    assert f"Not protected ({len(document['unprotected'])})" in page.sections["unprotected"]
    assert "111111111111/eu-west-1/dr" in page.sections["coverage"]
    assert "333333333333/us-east-1/primary: unreachable (AccessDenied" in page.text


def test_given_stack_options_when_status_org_then_it_refuses_them(organization: None) -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["status", "--org", "--stack", "x"])
    assert code == 2
    assert "--stack" in err.getvalue()
