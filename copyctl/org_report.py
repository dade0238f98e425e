"""``copyctl status --org``: the member stacks' status documents, added up (pure, no AWS call).

Each reachable member brings the document ``copyctl status --stack`` prints for it
(``coverage_report.coverage_document``); an unreachable one brings the reason. The organization's
totals are the sums of the members' totals; it is fully covered when every member was read to the
end and no recovery point is waiting for a copy (in flight, failed, key-dependent or never seen).
Unprotectable points (continuous, cold, never-copyable types) are explained, not waiting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from copyctl.coverage_report import COLUMNS, print_findings, print_table
from copyctl.html_page import duration
from core.reconcile.coverage import Finding, Standing

# Standings a fully covered organization has none of (core.reconcile.coverage: is_unprotected).
WAITING = tuple(standing.value for standing in Standing if standing.is_unprotected)
_MEMBER_TABLE = (
    ("account", "account"),
    ("region", "region"),
    ("role", "stack_role"),
    ("in-scope", "in-scope"),
    *((standing.value, standing.value) for standing in COLUMNS),
    ("oldest unprotected", "oldest"),
    ("note", "note"),
)


@dataclass(frozen=True)
class MemberResult:
    """One member stack's status: its document, or why it could not be read."""

    account: str
    region: str
    stack_role: str
    stack_set: str
    stack_id: str | None
    document: Mapping[str, Any] | None = None
    reason: str = ""  # why unreachable: an AWS error code, or no-stack, ...
    explanation: str = ""
    findings: Sequence[Finding] = field(default=(), repr=False)  # kept for --html only

    @property
    def reachable(self) -> bool:
        return self.document is not None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.stack_role)


def org_document(results: Iterable[MemberResult]) -> dict[str, Any]:
    members = sorted(results, key=lambda result: result.key)
    reached = [m for m in members if m.document is not None]
    totals: Counter[str] = Counter()
    for member in reached:
        totals.update(_document(member)["totals"])
    unprotected = [
        {**_where(member), **row} for member in reached for row in _document(member)["unprotected"]
    ]
    document = {
        "members": [_member_row(member) for member in members],
        "totals": dict(totals),
        "oldest_unprotected_age_seconds": max(
            (_document(m)["oldest_unprotected_age_seconds"] for m in reached), default=0
        ),
        "accounts": len({m.account for m in members}),
        "regions": len({m.region for m in members}),
        "unreachable": [
            {**_where(m), "reason": m.reason, "explanation": m.explanation}
            for m in members
            if not m.reachable
        ],
        "incomplete": [_where(m) for m in reached if not _document(m)["scope"]["complete"]],
        "unprotected": unprotected,
    }
    document["fully_covered"] = fully_covered(document)
    return document


def fully_covered(document: Mapping[str, Any]) -> bool:
    """Every member read to the end, and no recovery point waiting for a copy."""
    waiting = sum(document["totals"].get(name, 0) for name in WAITING)
    return not document["unreachable"] and not document["incomplete"] and waiting == 0


def exit_code(document: Mapping[str, Any]) -> int:
    """0: the organization is fully covered; 1: it is not (what is missing is printed)."""
    return 0 if document["fully_covered"] else 1


def print_org(document: Mapping[str, Any], out: TextIO) -> None:
    members = document["members"]
    out.write(
        f"Organization: {len(members)} member stacks in {document['accounts']} accounts and "
        f"{document['regions']} Regions; {len(document['unreachable'])} unreachable\n\n"
    )
    header = [title for title, _ in _MEMBER_TABLE]
    print_table(header, [_member_cells(member) for member in members], out)
    for member in members:
        if member["reachable"]:
            _print_member(member, out)
    totals = document["totals"]
    out.write("\norganization total: " + ", ".join(f"{k} {n}" for k, n in totals.items()) + "\n")
    if age := document["oldest_unprotected_age_seconds"]:
        out.write(f"oldest unprotected: {duration(age)} old\n")
    out.write(f"\nUnreachable: {len(document['unreachable'])}\n")
    for row in document["unreachable"]:
        out.write(f"- {_label(row)}: {row['reason']}: {row['explanation']}\n")
    for row in document["incomplete"]:
        out.write(f"- {_label(row)}: incomplete (the walk stopped before the end)\n")
    for member in members:
        if member["reachable"] and member["unprotected"]:
            print_findings(f"Not protected in {_label(member)}", member["unprotected"], out)
    verdict = "fully covered" if document["fully_covered"] else "NOT fully covered"
    out.write(f"\nThe organization is {verdict}.\n")


def _print_member(member: Mapping[str, Any], out: TextIO) -> None:
    out.write(f"\n{_label(member)} ({member['stack']}): coverage\n")
    header = ["vault", "resource type", "target", "in-scope", *(s.value for s in COLUMNS)]
    keys = ["vault", "resource_type", "target", "in-scope", *(s.value for s in COLUMNS)]
    print_table(header, [[str(row[k]) for k in keys] for row in member["coverage"]], out)


def _member_row(member: MemberResult) -> dict[str, Any]:
    row: dict[str, Any] = {
        **_where(member),
        "stack_set": member.stack_set,
        "stack": member.stack_id,
        "reachable": member.reachable,
        "reason": member.reason,
        "explanation": member.explanation,
    }
    if member.document is None:
        return row | {"totals": {}, "coverage": [], "unprotected": []}
    return row | {
        "totals": member.document["totals"],
        "complete": member.document["scope"]["complete"],
        "vaults": member.document["scope"]["vaults"],
        "oldest_unprotected_age_seconds": member.document["oldest_unprotected_age_seconds"],
        "coverage": member.document["coverage"],
        "unprotected": member.document["unprotected"],
    }


def _member_cells(member: Mapping[str, Any]) -> list[str]:
    where = {key: member[key] for key in ("account", "region", "stack_role")}
    if not member["reachable"]:
        values = {**where, "note": f"unreachable: {member['reason']}"}
        return [str(values.get(key, "-")) for _, key in _MEMBER_TABLE]
    age = member["oldest_unprotected_age_seconds"]
    note = "" if member["complete"] else "incomplete"
    values = {**where, **member["totals"], "oldest": duration(age) if age else "-", "note": note}
    return [str(values.get(key, 0)) for _, key in _MEMBER_TABLE]


def _where(member: MemberResult | Mapping[str, Any]) -> dict[str, str]:
    if isinstance(member, MemberResult):
        return {"account": member.account, "region": member.region, "stack_role": member.stack_role}
    return {key: member[key] for key in ("account", "region", "stack_role")}


def _label(row: Mapping[str, Any]) -> str:
    return f"{row['account']} {row['region']} {row['stack_role']}"


def _document(member: MemberResult) -> Mapping[str, Any]:
    assert member.document is not None
    return member.document
