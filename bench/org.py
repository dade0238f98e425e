"""An organization on the emulator: both stack sets deployed to every member account, then one
backup-and-copy cycle in every instance, at N accounts and at N/4 in the same run.

Each instance is independent (its own account and Region, its own functions and tables), so the
wall time per instance must not grow with the number of instances: the ratio of the per-instance
time at N to the one at N/4 is the measurement, ~1 when the cost is linear.

One cycle: the hour from 07:00 on the 2nd of a month, when the main plan's hourly and daily rules
fire (the daily one copies to the DR Region), for one EBS volume per primary instance; every
copy runs to the end and the tracking verifies it (the reconciler is not run).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bench.results import Result
from demo.org import OrgOptions, OrgResult, run_org
from demo.run import demo_session

LINEAR_TARGET = 1.5  # per-instance time at N over the one at N/4
CYCLE_START = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


def _run(accounts: int, regions: int) -> tuple[OrgResult, float]:
    """The organization's run, and its wall seconds but for the packaging (once, whatever N)."""
    options = OrgOptions(
        accounts=accounts,
        regions=regions,
        resources=1,
        start=CYCLE_START,
        hours=1,
        run_scheduled=False,
        org_view=False,  # the rollout and its cycle only: copyctl status --org is timed apart
    )
    started = time.perf_counter()
    with demo_session():
        result = run_org(options)
    return result, time.perf_counter() - started - result.run["package_seconds"]


def org_scale(accounts: int, regions: int) -> list[Result]:
    small_accounts = max(1, accounts // 4)
    _run(1, 1)  # warm-up: imports, botocore's models, the handlers' first load
    small, small_seconds = _run(small_accounts, regions)
    large, large_seconds = _run(accounts, regions)
    per_small = small_seconds / small.run["instances"]
    per_large = large_seconds / large.run["instances"]
    label = f"{accounts} accounts x {regions} Regions"
    detail = {
        "instances": large.run["instances"],
        "package_seconds": large.run["package_seconds"],
        "deploy_seconds": large.run["deploy_seconds"],
        "cycle_seconds": round(large.run["wall_seconds"] - large.run["deploy_seconds"], 1),
        "promises_kept": large.promises_kept,
        "baseline_instances": small.run["instances"],
        "baseline_promises_kept": small.promises_kept,
    }
    return [
        Result(
            name=f"org {label}: deploy + one cycle, wall seconds per instance",
            value=per_large,
            unit="s",
            baseline=per_small,
            baseline_name=f"per instance at {small_accounts} accounts",
            target=LINEAR_TARGET,
            detail=detail,
            note="ratio ~1: each instance costs the same whatever the organization's size",
        ),
        Result(
            name=f"org {label}: deploy every instance, seconds per instance",
            value=_deploy_seconds(large) / large.run["instances"],
            unit="s",
            baseline=_deploy_seconds(small) / small.run["instances"],
            baseline_name=f"per instance at {small_accounts} accounts",
            target=LINEAR_TARGET,
        ),
    ]


def _deploy_seconds(result: OrgResult) -> float:
    return float(result.run["deploy_seconds"] - result.run["package_seconds"])
