"""``copyctl status --org --html``: the organization on the single-stack report's page.

The same ``StatusPicture`` and renderer as ``copyctl status --html``; each coverage row and
unprotected point names its account and Region before its vault, and every member that could not
be read is a note with its reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from copyctl.html_model import CoverageRow, StatusPicture
from copyctl.html_report import render_html
from copyctl.org_report import MemberResult
from copyctl.status_html import copy_rows, unprotected_point
from core.reconcile.coverage import Standing


def write_org_html(
    path: Path,
    document: Mapping[str, Any],
    results: Sequence[MemberResult],
    generated_at: datetime,
) -> None:
    picture = org_picture(document, results, generated_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(picture), encoding="utf-8")


def org_picture(
    document: Mapping[str, Any], results: Sequence[MemberResult], generated_at: datetime
) -> StatusPicture:
    findings = [finding for result in results for finding in result.findings]
    members = document["members"]
    return StatusPicture(
        title="Backup copies of the organization",
        source=f"copyctl status --org: {len(members)} member stacks in "
        f"{document['accounts']} accounts and {document['regions']} Regions",
        generated_at=generated_at,
        coverage=[
            CoverageRow.of_counts(
                f"{_where(member)} {row['vault']}", row["resource_type"], row["target"], row
            )
            for member in members
            for row in member["coverage"]
        ],
        copies=copy_rows(findings),
        failures=dict(Counter(f.reason for f in findings if f.standing is Standing.FAILED)),
        unprotected=[
            unprotected_point({**row, "vault": f"{_where(row)} {row['vault']}"})
            for row in document["unprotected"]
        ],
        notes=[
            f"{_where(row)}: unreachable ({row['reason']}: {row['explanation']})"
            for row in document["unreachable"]
        ]
        + [f"{_where(row)}: incomplete" for row in document["incomplete"]],
    )


def _where(row: Mapping[str, Any]) -> str:
    return f"{row['account']}/{row['region']}/{row['stack_role']}"
