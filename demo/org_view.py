"""The organization view of the ``--org`` demo: ``copyctl status --org`` after the day.

The real command (``copyctl.__main__.main``) runs from the management account, which the demo
deploys as the monitoring account (``MonitoringAccountId``): it lists the stack sets' instances,
assumes every member's reader role and walks its ledger. The promise ``org-view-adds-up``: every
instance is a reachable row whose totals are the standings the demo judged from that instance's
own report (``demo.html_report.standing_counts``), and the organization totals are their sum.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

import adapters.clock
import emulator
from copyctl.__main__ import main as copyctl_main
from core.reconcile.coverage import Standing
from demo.html_report import standing_counts
from demo.org_deploy import HOME_REGION, NAME_PREFIX
from demo.report import PromiseCheck
from emulator.moto_patches.sts import roles_must_exist

if TYPE_CHECKING:
    from demo.org import InstanceResult

PROMISE = "org-view-adds-up"
IN_SCOPE = "in-scope"  # copyctl.coverage_report's total of the points the product must protect
Key = tuple[str, str, str]  # account, Region, stack role


@dataclass(slots=True)
class OrgView:
    """What ``copyctl status --org --json`` answered, and whether it adds up."""

    argv: list[str]
    exit_code: int
    document: dict[str, Any]
    expected_totals: dict[str, int]
    check: PromiseCheck
    seconds: float
    errors: str = ""


def status_org_argv(*, endpoint_url: str | None = None, html: Path | None = None) -> list[str]:
    """The command line an administrator types in the monitoring account (README)."""
    argv = ["status", "--org", "--region", HOME_REGION, "--name-prefix", NAME_PREFIX]
    argv += ["--look-back-days", "0", "--json"]  # 0: every recovery point of the day
    if endpoint_url:
        argv += ["--endpoint-url", endpoint_url]
    if html:
        argv += ["--html", str(html)]
    return argv


def run_status_org(
    management_account: str, *, endpoint_url: str | None = None, html: Path | None = None
) -> tuple[int, dict[str, Any], str, list[str]]:
    """``copyctl status --org --json`` from the management account: (exit code, document,
    stderr, argv). AssumeRole of a missing reader role is AccessDenied, as in AWS."""
    argv = status_org_argv(endpoint_url=endpoint_url, html=html)
    out, err = io.StringIO(), io.StringIO()
    with (
        as_caller(management_account),
        roles_must_exist(),
        adapters.clock.simulated(emulator.now),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        code = copyctl_main(argv)
    document: dict[str, Any] = json.loads(out.getvalue()) if out.getvalue().strip() else {}
    return code, document, err.getvalue(), argv


@contextmanager
def as_caller(account: str) -> Iterator[None]:
    """The default credentials are the management account's, and an assumed role's credentials
    pick the member account: moto reads MOTO_ACCOUNT_ID before the credentials, so it is unset."""
    saved = os.environ.pop("MOTO_ACCOUNT_ID", None)
    try:
        caller = boto3.client("sts", region_name=HOME_REGION).get_caller_identity()["Account"]
        if caller != account:
            raise RuntimeError(f"the default credentials are account {caller}, not {account}")
        yield
    finally:
        if saved is not None:
            os.environ["MOTO_ACCOUNT_ID"] = saved


def organization_view(management_account: str, instances: Sequence[InstanceResult]) -> OrgView:
    began = time.perf_counter()
    code, document, errors, argv = run_status_org(management_account)
    expected = expected_standings(instances)
    broken = ([f"copyctl: {errors.strip()}"] if errors.strip() else []) + adds_up(
        document, expected
    )
    check = PromiseCheck(
        PROMISE,
        "copyctl status --org, from the monitoring account, reaches every instance and counts "
        "what each instance's own report counts; its totals are their sum",
        broken,
    )
    total = sum(expected.values(), Counter[str]())
    return OrgView(argv, code, document, dict(total), check, time.perf_counter() - began, errors)


def expected_standings(instances: Sequence[InstanceResult]) -> dict[Key, Counter[str]]:
    """Per instance, its report's recovery points by standing, and how many are in scope (every
    standing but skipped), as ``copyctl status`` totals them."""
    expected = {}
    for item in instances:
        counts = standing_counts(item.report)
        counts[IN_SCOPE] = sum(n for name, n in counts.items() if Standing(name).in_scope)
        expected[(item.instance.account, item.instance.region, item.instance.role)] = counts
    return expected


def adds_up(document: Mapping[str, Any], expected: Mapping[Key, Counter[str]]) -> list[str]:
    """What differs between the org view and the instances' own reports (empty: it adds up)."""
    rows = {_key(row): row for row in document.get("members", [])}
    broken = [f"{'/'.join(key)}: no row" for key in expected if key not in rows]
    broken += [
        f"{'/'.join(key)}: a row, but no such instance" for key in rows if key not in expected
    ]
    for key, row in sorted(rows.items()):
        if key not in expected:
            continue
        if not row["reachable"]:
            broken.append(f"{'/'.join(key)}: unreachable ({row['reason']}: {row['explanation']})")
        elif _nonzero(row["totals"]) != _nonzero(expected[key]):
            broken.append(
                f"{'/'.join(key)}: copyctl {_nonzero(row['totals'])}, "
                f"the report {_nonzero(expected[key])}"
            )
    total = sum(expected.values(), Counter[str]())
    if _nonzero(document.get("totals", {})) != _nonzero(total):
        broken.append(
            f"organization totals: copyctl {_nonzero(document.get('totals', {}))}, "
            f"the reports' sum {_nonzero(total)}"
        )
    return broken


def _key(row: Mapping[str, Any]) -> Key:
    return (row["account"], row["region"], row["stack_role"])


def _nonzero(counts: Mapping[str, int]) -> dict[str, int]:
    return {name: count for name, count in sorted(counts.items()) if count}
