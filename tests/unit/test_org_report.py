"""``copyctl status --org``'s arithmetic: member documents added up, unreachable members kept."""

from __future__ import annotations

import io
from typing import Any

from copyctl.org_report import MemberResult, exit_code, org_document, print_org


def _document(protected: int, unprotected: int, *, complete: bool = True) -> dict[str, Any]:
    """What ``copyctl status --stack --json`` prints, reduced to what the org view reads."""
    rows = [
        {
            "recovery_point_arn": f"arn:aws:backup:eu-west-1:111111111111:recovery-point:{n}",
            "vault": "daily",
            "resource_type": "S3",
            "age_seconds": 3600 * (n + 1),
            "standing": "unprotected",
            "target": "none",
            "reason": "no-ledger-entry",
            "explanation": "",
            "copy_job_id": None,
            "stuck": False,
        }
        for n in range(unprotected)
    ]
    totals = {
        "in-scope": protected + unprotected,
        "protected": protected,
        "in-flight": 0,
        "failed": 0,
        "unprotectable": 0,
        "key-dependent": 0,
        "unprotected": unprotected,
        "skipped": 0,
    }
    return {
        "scope": {"vaults": ["daily"], "created_after": None, "complete": complete},
        "coverage": [],
        "totals": totals,
        "oldest_unprotected_age_seconds": 3600 * unprotected,
        "unprotected": rows,
    }


def _member(account: str, region: str, document: dict[str, Any] | None, **kw: str) -> MemberResult:
    return MemberResult(account, region, "primary", "backup-primary", "stack-id", document, **kw)


def test_given_reachable_members_when_added_up_then_totals_are_their_sums() -> None:
    # Given
    members = [
        _member("111111111111", "eu-west-1", _document(3, 1)),
        _member("222222222222", "us-east-1", _document(2, 2)),
    ]
    # When
    document = org_document(members)
    # Then
    assert document["totals"]["protected"] == 5
    assert document["totals"]["unprotected"] == 3
    assert document["totals"]["in-scope"] == 8
    assert document["oldest_unprotected_age_seconds"] == 7200
    assert [row["account"] for row in document["unprotected"]] == ["111111111111"] + [
        "222222222222"
    ] * 2
    assert not document["fully_covered"]
    assert exit_code(document) == 1


def test_given_every_point_protected_when_added_up_then_fully_covered_and_exit_0() -> None:
    document = org_document([_member("111111111111", "eu-west-1", _document(4, 0))])
    assert document["fully_covered"]
    assert exit_code(document) == 0


def test_given_an_unreachable_member_when_added_up_then_it_is_a_row_and_not_covered() -> None:
    # Given one member fully protected and one whose role is missing
    members = [
        _member("111111111111", "eu-west-1", _document(4, 0)),
        _member("333333333333", "eu-west-1", None, reason="AccessDenied", explanation="no role"),
    ]
    # When
    document = org_document(members)
    # Then its totals count nothing, and it is named with its reason
    assert document["totals"]["protected"] == 4
    assert document["unreachable"] == [
        {
            "account": "333333333333",
            "region": "eu-west-1",
            "stack_role": "primary",
            "reason": "AccessDenied",
            "explanation": "no role",
        }
    ]
    assert exit_code(document) == 1


def test_given_an_incomplete_walk_when_added_up_then_not_covered() -> None:
    document = org_document([_member("111111111111", "eu-west-1", _document(4, 0, complete=False))])
    assert document["incomplete"] == [
        {"account": "111111111111", "region": "eu-west-1", "stack_role": "primary"}
    ]
    assert exit_code(document) == 1


def test_given_members_when_printed_then_one_row_each_and_the_verdict() -> None:
    members = [
        _member("222222222222", "us-east-1", _document(2, 1)),
        _member("333333333333", "eu-west-1", None, reason="AccessDenied", explanation="no role"),
    ]
    out = io.StringIO()
    print_org(org_document(members), out)
    text = out.getvalue()
    assert "2 member stacks in 2 accounts and 2 Regions; 1 unreachable" in text
    assert "unreachable: AccessDenied" in text
    assert "Not protected in 222222222222 us-east-1 primary: 1" in text
    assert text.rstrip().endswith("The organization is NOT fully covered.")
