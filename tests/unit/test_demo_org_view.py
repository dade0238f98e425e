"""The `--org` demo's promise org-view-adds-up: what breaks it (`demo.org_view.adds_up`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from demo.org_view import adds_up

A = ("111111111111", "us-east-1", "primary")
B = ("222222222222", "us-west-2", "dr")
EXPECTED = {
    A: Counter({"in-scope": 3, "protected": 2, "failed": 1}),
    B: Counter({"in-scope": 1, "protected": 1}),
}


def _row(key: tuple[str, str, str], totals: dict[str, int], **extra: Any) -> dict[str, Any]:
    account, region, role = key
    return {
        "account": account,
        "region": region,
        "stack_role": role,
        "reachable": True,
        "reason": "",
        "explanation": "",
        "totals": totals,
    } | extra


def _document(*rows: dict[str, Any]) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    for row in rows:
        totals.update(row["totals"])
    return {"members": list(rows), "totals": dict(totals)}


def test_given_the_same_counts_with_zeros_when_compared_then_it_adds_up() -> None:
    document = _document(
        _row(A, {"in-scope": 3, "protected": 2, "failed": 1, "key-dependent": 0}),
        _row(B, {"in-scope": 1, "protected": 1, "skipped": 0}),
    )
    assert adds_up(document, EXPECTED) == []


def test_given_a_member_counting_otherwise_when_compared_then_it_and_the_total_are_named() -> None:
    document = _document(
        _row(A, {"in-scope": 3, "protected": 3}), _row(B, {"in-scope": 1, "protected": 1})
    )
    broken = adds_up(document, EXPECTED)
    assert len(broken) == 2
    assert broken[0].startswith("111111111111/us-east-1/primary: copyctl")
    assert broken[1].startswith("organization totals:")


def test_given_an_unreachable_member_when_compared_then_its_reason_is_named() -> None:
    unreachable = _row(B, {}, reachable=False, reason="AccessDenied", explanation="no role")
    document = _document(_row(A, {"in-scope": 3, "protected": 2, "failed": 1}), unreachable)
    broken = adds_up(document, EXPECTED)
    assert "222222222222/us-west-2/dr: unreachable (AccessDenied: no role)" in broken


def test_given_a_missing_row_and_a_stranger_when_compared_then_both_are_named() -> None:
    stranger = ("333333333333", "eu-west-1", "primary")
    document = _document(_row(A, {"in-scope": 3, "protected": 2, "failed": 1}), _row(stranger, {}))
    broken = adds_up(document, EXPECTED)
    assert "222222222222/us-west-2/dr: no row" in broken
    assert "333333333333/eu-west-1/primary: a row, but no such instance" in broken


def test_given_copyctl_printed_nothing_when_compared_then_every_instance_is_missing() -> None:
    broken = adds_up({}, EXPECTED)
    assert broken[:2] == [
        "111111111111/us-east-1/primary: no row",
        "222222222222/us-west-2/dr: no row",
    ]
