"""``copyctl status --org`` against the emulator SERVER, after the ``--org`` demo's day.

A small organization (3 accounts x 2 primary Regions, and the DR Region) runs the demo's day in
the emulator; then one account loses its reader role (deleted, as an administrator could), the
emulator server starts on the same backends, and copyctl talks to it over HTTP
(``--endpoint-url``) from the management account, the demo's monitoring account. Its totals must
be the sums of the demo's own per-instance reports, the role-less account a row with
AccessDenied, and the page it writes must render in headless chromium.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from adapters.organization import READER_ROLE_PREFIX
from demo.org import OrgOptions, OrgResult, run_org
from demo.org_stack import in_account
from demo.org_view import Key, adds_up, expected_standings, run_status_org
from demo.run import demo_session
from tests.html_check import find_chromium, headless, read_page
from tests.local_server import emulator_server, free_port

ACCOUNTS, REGIONS = 3, 2


@dataclass(frozen=True)
class OrgStatus:
    day: OrgResult
    roleless: str  # the account whose reader roles were deleted
    exit_code: int
    document: dict[str, Any]
    errors: str
    argv: list[str]
    html: Path


@pytest.fixture(scope="module")
def org_status(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrgStatus]:
    folder = tmp_path_factory.mktemp("org-status")
    with demo_session():
        # Given: the demo's day across the organization (its own org view included)
        day = run_org(OrgOptions(accounts=ACCOUNTS, regions=REGIONS, resources=2))
        # and an account whose reader roles are gone
        roleless = day.organization.accounts[-1]
        _delete_reader_roles(roleless)
        # When: copyctl status --org runs against the emulator server
        with emulator_server() as endpoint:
            code, document, errors, argv = run_status_org(
                day.organization.management_account,
                endpoint_url=endpoint,
                html=folder / "org.html",
            )
        yield OrgStatus(day, roleless, code, document, errors, argv, folder / "org.html")


def _delete_reader_roles(account: str) -> None:
    with in_account(account, "us-east-1"):
        iam: Any = boto3.client("iam", region_name="us-east-1")
        for role in iam.list_roles()["Roles"]:
            if role["RoleName"].startswith(READER_ROLE_PREFIX):
                for policy in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
                    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName=policy)
                iam.delete_role(RoleName=role["RoleName"])


def _rows(document: dict[str, Any]) -> dict[Key, dict[str, Any]]:
    return {(r["account"], r["region"], r["stack_role"]): r for r in document["members"]}


def test_given_the_org_demo_when_its_day_ends_then_its_own_org_view_adds_up(
    org_status: OrgStatus,
) -> None:
    view = org_status.day.view
    assert view is not None
    assert view.check.broken == []
    assert len(view.document["members"]) == len(org_status.day.instances) == ACCOUNTS * 3
    assert view.document["unreachable"] == []


def test_given_the_server_when_status_org_then_it_went_over_http_without_an_error(
    org_status: OrgStatus,
) -> None:
    assert "--endpoint-url" in org_status.argv
    assert org_status.argv[org_status.argv.index("--endpoint-url") + 1].startswith("http://127.")
    assert org_status.errors == ""


def test_given_the_server_when_status_org_then_totals_are_the_sum_of_the_demo_reports(
    org_status: OrgStatus,
) -> None:
    expected = expected_standings(org_status.day.instances)
    reachable = {key: counts for key, counts in expected.items() if key[0] != org_status.roleless}
    document = org_status.document
    others = {
        **document,
        "members": [r for r in document["members"] if r["account"] != org_status.roleless],
    }
    # Then: each reachable member counts what its instance's report counts, the organization
    # totals are their sum, and something was counted at all
    assert adds_up(others, reachable) == []
    assert sum(reachable.values(), Counter[str]())["protected"] > 0


def test_given_an_account_without_its_role_when_status_org_then_its_rows_say_access_denied(
    org_status: OrgStatus,
) -> None:
    rows = _rows(org_status.document)
    theirs = {key: row for key, row in rows.items() if key[0] == org_status.roleless}
    assert len(theirs) == REGIONS + 1  # its primary instances and its DR instance
    assert {(row["reachable"], row["reason"]) for row in theirs.values()} == {
        (False, "AccessDenied")
    }
    unreachable = {
        (r["account"], r["region"], r["stack_role"]) for r in org_status.document["unreachable"]
    }
    assert unreachable == set(theirs)
    assert all(row["reachable"] for key, row in rows.items() if key not in theirs)


def test_given_an_unreachable_account_when_status_org_then_the_exit_code_says_not_covered(
    org_status: OrgStatus,
) -> None:
    assert org_status.document["fully_covered"] is False
    assert org_status.exit_code == 1


def test_given_the_org_page_when_chromium_renders_it_then_it_shows_the_organization(
    org_status: OrgStatus, tmp_path: Path
) -> None:
    browser = find_chromium()
    # When
    dom = headless(browser, tmp_path / "profile", "--dump-dom", org_status.html.as_uri()).stdout
    page = read_page(dom)
    # Then
    assert page.problems == []
    assert "script" not in page.tags
    assert page.tags.count("svg") >= 6
    member = next(r for r in org_status.document["members"] if r["reachable"])
    where = f"{member['account']}/{member['region']}/{member['stack_role']}"
    assert where in page.sections["coverage"]
    assert f"{org_status.roleless}/us-east-1/primary: unreachable (AccessDenied" in page.text
    shot = tmp_path / "org.png"
    headless(
        browser,
        tmp_path / "profile",
        "--window-size=1280,2000",
        f"--screenshot={shot}",
        org_status.html.as_uri(),
    )
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_given_no_server_at_the_endpoint_when_status_org_then_it_cannot_connect(
    org_status: OrgStatus,
) -> None:
    # The answers above came over HTTP: without a server behind the endpoint there are none.
    code, document, errors, _ = run_status_org(
        org_status.day.organization.management_account,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
    )
    assert (code, document) == (2, {})
    assert "Could not connect to the endpoint URL" in errors
