"""Org status: ``copyctl status --org`` over N accounts x 3 Regions on moto, against a smaller N.

Every member stack holds two recovery points (one protected, one not) and its reader role. The
command runs in-process, its AWS calls answered by moto (per account and Region backends,
assumed-role credentials select the account). Reported for each size: wall time, AWS calls per
member stack (counted at botocore's ``_make_api_call``) and peak Python memory (tracemalloc, a
separate run); the larger size's ratios to the smaller one say how each grows with the number of
accounts: linearly for time and memory, not at all for calls per member.
"""

from __future__ import annotations

import io
import os
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any
from unittest import mock

from botocore.client import BaseClient
from moto import mock_aws

import emulator
from bench.results import Result
from copyctl.__main__ import main
from localrun.org_estate import HOME_REGION, Member, deploy, moto_organization_gaps

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
WORKERS = 8


@dataclass(frozen=True)
class OrgRun:
    accounts: int
    members: int
    seconds: float
    calls: int
    peak_mb: float
    exit_code: int


def org_status(small: int, large: int) -> list[Result]:
    baseline, measured = _measure(small), _measure(large)
    name = f"org status {large} accounts x {len(REGIONS)} Regions"
    against = f"{small} accounts"
    growth = large / small
    detail = {"small": vars(baseline), "large": vars(measured)}
    return [
        Result(
            f"{name}: wall time",
            measured.seconds,
            "s",
            baseline.seconds,
            against,
            target=growth * 1.5,
            detail=detail,
            note=f"moto in-process, {WORKERS} workers; linear growth is a ratio of {growth:g}",
        ),
        Result(
            f"{name}: AWS calls per member stack",
            measured.calls / measured.members,
            "calls",
            baseline.calls / baseline.members,
            against,
            target=1.0,
            note="AssumeRole, DescribeStacks, one listing page, one ledger Query per point",
        ),
        Result(
            f"{name}: peak Python memory",
            measured.peak_mb,
            "MB",
            baseline.peak_mb,
            against,
            target=growth * 1.5,
            note="tracemalloc over the command (moto's answers included)",
        ),
    ]


def _measure(accounts: int) -> OrgRun:
    members = [
        Member(f"{100000000000 + n:012d}", region, "primary", protected=1, unprotected=1)
        for n in range(accounts)
        for region in REGIONS
    ]
    with _organization(members):
        started = time.perf_counter()
        with _counting() as calls:
            code = _status()
        seconds = time.perf_counter() - started
        tracemalloc.start()
        _status()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return OrgRun(accounts, len(members), seconds, calls(), peak, code)


def _status() -> int:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        argv = ["status", "--org", "--region", HOME_REGION, "--json"]
        return main([*argv, "--max-workers", str(WORKERS)])


@contextmanager
def _organization(members: list[Member]) -> Iterator[None]:
    fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with mock.patch.dict(os.environ, {**fake, "AWS_DEFAULT_REGION": HOME_REGION}):
        os.environ.pop("MOTO_ACCOUNT_ID", None)
        os.environ.pop("AWS_PROFILE", None)
        emulator.install()
        with mock_aws(), moto_organization_gaps():
            deploy(members)
            yield


@contextmanager
def _counting() -> Iterator[Callable[[], int]]:
    count = [0]
    lock = threading.Lock()
    original: Any = getattr(BaseClient, "_make_api_call")  # noqa: B009 (private in the stubs)

    def counted(self: BaseClient, operation: str, params: Any) -> Any:
        with lock:
            count[0] += 1
        return original(self, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        yield lambda: count[0]
