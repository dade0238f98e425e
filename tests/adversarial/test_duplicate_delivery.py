"""Duplicate delivery: the same completed-backup event five times at once -> exactly one copy job.

Five threads stand for five Lambda containers handling the same record at the same moment (each
container handles one record at a time: the threads call the per-record function, as the
container's BatchProcessor would). moto answers requests from several threads without the
per-item atomicity DynamoDB guarantees, so requests are serialized one at a time - the writes of
the five deliveries still interleave freely between requests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.core.botocore_stubber import BotocoreStubber

import emulator
from adapters import clients
from adapters.ledger import DynamoLedger
from localrun.outcomes import copied_twice, outcome, protected_matches_a_completed_copy
from localrun.pipeline import Pipeline, pipeline, volumes

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
DELIVERIES = 5


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def one_at_a_time(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_at_a_time)


def without_idempotency_tokens(client: Any) -> None:
    """StartCopyJob without its IdempotencyToken: AWS Backup cannot deduplicate, the ledger must."""

    def strip(params: dict[str, Any], **_: Any) -> None:
        params.pop("IdempotencyToken", None)

    client.meta.events.register("before-parameter-build.backup.StartCopyJob", strip)


# The claim (adapters.ledger.DynamoLedger.claim) lets the same attempt be claimed again only after
# its lease (core.kernel.ledger_states.CLAIM_LEASE), so a delivery that died between its claim and
# StartCopyJob can resume while concurrent duplicates are refused: without the IdempotencyToken,
# the ledger alone keeps them to one copy job.


@pytest.fixture
def completed_backup(request: pytest.FixtureRequest, atomic_requests: None) -> Iterator[Pipeline]:
    """A completed backup whose event waits in the copy queue; the plan runs only once.
    ``request.param``: whether StartCopyJob keeps its IdempotencyToken."""
    with pipeline(settings={"LAG_PLAN_NAMES": "lag-plan"}) as made:
        made.add_plan("lag-plan", volumes(1))
        made.back_up()
        emulator.configure(run_backup_plans=False)
        emulator.settle()
        if not request.param:
            without_idempotency_tokens(clients.backup())
        yield made


def _take_event(made: Pipeline) -> str:
    (message,) = made.sqs.receive_message(QueueUrl=made.copy.url)["Messages"]
    made.sqs.delete_message(QueueUrl=made.copy.url, ReceiptHandle=message["ReceiptHandle"])
    return str(message["Body"])


@pytest.mark.parametrize(
    "completed_backup",
    [True, False],
    ids=["with-idempotency-token", "ledger-alone"],
    indirect=True,
)
def test_given_one_event_delivered_five_times_at_once_when_handled_then_one_copy_job_starts(
    completed_backup: Pipeline,
) -> None:
    made = completed_backup
    body = _take_event(made)
    # The worst interleaving, every time: all five claims are made before any copy starts.
    all_claimed = threading.Barrier(DELIVERIES, timeout=60)  # the timeout only stops a hang
    claim = DynamoLedger.claim

    def claim_then_wait(self: DynamoLedger, *args: Any) -> bool:
        claimed = claim(self, *args)
        all_claimed.wait()
        return claimed

    def deliver(_: int) -> str:
        return str(made.copy.handler.handle_body(body))

    # When five containers handle the same event at the same moment
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(DELIVERIES) as pool:
        patch.setattr(DynamoLedger, "claim", claim_then_wait)
        outcomes = set(pool.map(deliver, range(DELIVERIES)))
    made.run()
    # Then there is exactly one copy job, and the recovery point is protected by it
    assert outcomes <= {"copy-started", "already-claimed"}
    run = outcome(made)
    ((recovery_point, jobs),) = run.copies.items()
    assert len(jobs) == 1
    assert run.states(recovery_point) == ["protected"]
    assert copied_twice(run) == {}
    assert protected_matches_a_completed_copy(run) == []


@pytest.mark.parametrize(
    "completed_backup", [True, False], ids=["with-idempotency-token", "ledger-alone"], indirect=True
)
def test_given_one_event_redelivered_after_its_copy_finished_when_handled_then_no_new_copy(
    completed_backup: Pipeline,
) -> None:
    made = completed_backup
    body = _take_event(made)
    made.copy.handler.handle_body(body)
    made.run()
    # When the same event comes again, long after (EventBridge delivers at least once)
    emulator.advance_clock(days=2)
    again = [made.copy.handler.handle_body(body) for _ in range(DELIVERIES)]
    made.run()
    # Then nothing new starts
    assert again == ["already-claimed"] * DELIVERIES
    assert [len(jobs) for jobs in outcome(made).copies.values()] == [1]
