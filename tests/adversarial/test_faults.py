"""Faults: throttling, 5xx, lost responses (timeouts), failed copy jobs and duplicated events.

After SQS redelivery and the tracking's retries, every recovery point is protected or explained in
the ledger (or its event waits in the DLQ for the reconciler); none is lost; none copied twice.
Everything random is seeded, so a failure reproduces.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

import emulator
from adapters import clients
from localrun.outcomes import (
    RunOutcome,
    copied_twice,
    outcome,
    protected_matches_a_completed_copy,
    unexplained,
)
from localrun.pipeline import Pipeline, buckets, pipeline, volumes

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

# The handlers' own AWS Backup calls (the test's reads stay fault-free).
HANDLER_OPERATIONS = [
    "DescribeRecoveryPoint",
    "DescribeBackupJob",
    "StartCopyJob",
    "GetBackupPlan",
    "ListTags",
    "DescribeCopyJob",
    "DescribeBackupVault",
]


def lose_responses(client: Any, rate: float, seed: int, operations: set[str]) -> list[str]:
    """The request reaches AWS, its answer never comes back (a read timeout): the worst case,
    since the call took effect. Returns the operations it hit, in order."""
    rng, hit = random.Random(seed), []

    def maybe_lose(model: Any, **_: Any) -> None:
        if model.name in operations and rng.random() < rate:
            hit.append(model.name)
            raise ReadTimeoutError(endpoint_url="https://backup.us-east-1.amazonaws.com")

    client.meta.events.register("after-call.backup", maybe_lose)
    return hit


@pytest.fixture(scope="module")
def faulty_run() -> Iterator[tuple[RunOutcome, list[str]]]:
    with pipeline(settings={"LAG_PLAN_NAMES": "lag-plan"}) as made:
        made.add_plan("lag-plan", {**volumes(16), **buckets(6)})
        made.add_plan("plain-plan", {**buckets(8, "plain"), **volumes(2, "plain")})
        emulator.set_faults(
            throttle_rate=0.3,
            server_error_rate=0.1,
            operations=HANDLER_OPERATIONS,
            copy_failure_rate=0.25,
            duplicate_event_rate=0.2,
        )
        lost = lose_responses(
            clients.backup(), 0.1, seed=7, operations={"StartCopyJob", "DescribeRecoveryPoint"}
        )
        _run(made)
        emulator.reset_faults()
        yield outcome(made), lost


def _run(made: Pipeline) -> None:
    made.back_up()
    made.run()


def test_given_faults_when_the_run_settles_then_faults_did_happen(
    faulty_run: tuple[RunOutcome, list[str]],
) -> None:
    # Guards the assertions below against a run that met no fault at all
    run, lost = faulty_run
    assert len(run.backups) == 32
    assert "StartCopyJob" in lost
    assert any(job["State"] == "FAILED" for jobs in run.copies.values() for job in jobs)


def test_given_faults_when_the_run_settles_then_no_recovery_point_is_lost(
    faulty_run: tuple[RunOutcome, list[str]],
) -> None:
    run, _ = faulty_run
    assert unexplained(run) == {}


def test_given_faults_when_the_run_settles_then_nothing_is_copied_twice(
    faulty_run: tuple[RunOutcome, list[str]],
) -> None:
    run, _ = faulty_run
    assert copied_twice(run) == {}


def test_given_faults_when_the_run_settles_then_each_protected_entry_names_its_completed_copy(
    faulty_run: tuple[RunOutcome, list[str]],
) -> None:
    run, _ = faulty_run
    assert protected_matches_a_completed_copy(run) == []
    # ... and the copies that could succeed did: the LAG plan's 22 and the plain plan's buckets
    assert run.count()["protected"] >= 22 + 8 - len(run.dead_lettered)
