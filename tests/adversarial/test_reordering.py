"""Reordering: copy job events before, after and between the handlers' own ledger writes.

Each interleaving is forced at the exact write (a wrapper around the ledger method that first lets
AWS Backup move and delivers the waiting events), so every run takes the same path. The ledger
must end where the copy jobs really are: protected by the completed copy, nothing copied twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import emulator
from adapters.ledger import DynamoLedger
from localrun.outcomes import (
    RunOutcome,
    copied_twice,
    outcome,
    protected_matches_a_completed_copy,
    unexplained,
)
from localrun.pipeline import Pipeline, buckets, pipeline, volumes

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def correct(run: RunOutcome) -> None:
    assert unexplained(run) == {}
    assert copied_twice(run) == {}
    assert protected_matches_a_completed_copy(run) == []


@pytest.fixture
def estate() -> Iterator[Pipeline]:
    with pipeline(settings={"LAG_PLAN_NAMES": "lag-plan"}) as made:
        made.add_plan("lag-plan", volumes(1))
        emulator.configure(run_backup_plans=True)
        yield made


def before(
    monkeypatch: pytest.MonkeyPatch, method: str, when: Callable[..., bool], act: Callable[[], None]
) -> list[int]:
    """Run ``act`` just before the first call of ``DynamoLedger.<method>`` that ``when`` accepts."""
    original = getattr(DynamoLedger, method)
    fired: list[int] = []

    def wrapped(self: DynamoLedger, *args: Any) -> Any:
        if not fired and when(*args):
            fired.append(1)
            act()
        return original(self, *args)

    monkeypatch.setattr(DynamoLedger, method, wrapped)
    return fired


def deliver_tracking_now(made: Pipeline) -> Callable[[], None]:
    """AWS Backup runs the copy to its end; every waiting copy job event is handled at once."""

    def act() -> None:
        emulator.settle()
        for body in _waiting(made):
            made.tracking.handler.handle_body(body)  # per record: the copy handler is mid-call

    return act


def _waiting(made: Pipeline) -> Iterator[str]:
    while messages := made.sqs.receive_message(
        QueueUrl=made.tracking.url, MaxNumberOfMessages=10
    ).get("Messages", []):
        for message in messages:
            made.sqs.delete_message(
                QueueUrl=made.tracking.url, ReceiptHandle=message["ReceiptHandle"]
            )
            made.tracking.bodies.append(message["Body"])
            yield message["Body"]


def test_given_the_copy_finishes_before_the_handler_records_its_job_when_settled_then_protected(
    estate: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given RUNNING and COMPLETED handled between StartCopyJob and the copy handler's STARTED write
    fired = before(monkeypatch, "mark_started", lambda *_: True, deliver_tracking_now(estate))
    # When everything settles
    estate.back_up()
    estate.run()
    # Then the late STARTED write did not undo the protection
    run = outcome(estate)
    assert fired == [1]
    assert run.count() == {"protected": 1}
    correct(run)


def test_given_stale_events_between_a_retry_s_claim_and_its_start_when_settled_then_no_third_copy(
    estate: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the first copy fails, and while the retry is claimed but not started the first job's
    # events come again (duplicates), then the retry's own events come before its STARTED write
    emulator.set_faults(copy_failure_rate=1.0)

    def replay_first_job() -> None:
        emulator.reset_faults()
        for body in list(estate.tracking.bodies):
            estate.tracking.handler.handle_body(body)

    retried = before(monkeypatch, "claim", lambda *args: args[2] == 2, replay_first_job)
    early = before(
        monkeypatch, "mark_started", lambda *args: args[2] == 2, deliver_tracking_now(estate)
    )
    # When everything settles
    estate.back_up()
    estate.run()
    # Then the second attempt protects the recovery point, and there is no third copy
    run = outcome(estate)
    assert (retried, early) == ([1], [1])
    (jobs,) = run.copies.values()
    assert sorted(job["State"] for job in jobs) == ["COMPLETED", "FAILED"]
    (entries,) = run.entries.values()
    assert [(e["State"]["S"], e["Attempts"]["N"]) for e in entries] == [("protected", "2")]
    correct(run)


def test_given_events_duplicated_and_shuffled_after_the_fact_when_settled_then_the_ledger_is_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pipeline(settings={"LAG_PLAN_NAMES": "lag-plan"}) as made:
        made.add_plan("lag-plan", {**volumes(8), **buckets(4)})
        made.add_plan("plain-plan", buckets(6, "plain"))
        # Given every event held back, duplicated half the time and delivered shuffled
        emulator.set_faults(reorder_events=True, duplicate_event_rate=0.5, copy_failure_rate=0.2)
        made.back_up()
        made.run()
        emulator.reset_faults()
        run = outcome(made)
        states = [json.loads(b)["detail"]["state"] for b in made.tracking.bodies]
    # Then every recovery point is protected by its completed copy, whatever the order
    assert len(run.backups) == 18
    assert run.count()["protected"] == 18
    assert _out_of_order(states)
    correct(run)


def _out_of_order(states: list[str]) -> bool:
    """A COMPLETED or FAILED event was handled before some RUNNING event (of any job)."""
    finished = [i for i, state in enumerate(states) if state in ("COMPLETED", "FAILED")]
    running = [i for i, state in enumerate(states) if state == "RUNNING"]
    return bool(finished and running and min(finished) < max(running))
