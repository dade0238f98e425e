"""Transient copy failures back off (core.kernel.retry_delay), on the real ledger.

The FAILED event of a queue waits (BACKING_OFF, with the delay) and its redelivery retries;
retention failures and the LAG fallback do not wait; MAX_COPY_ATTEMPTS stays the bound.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from core.kernel.copy_jobs import CopyJobUpdate, VaultRetention
from core.kernel.ledger_states import LedgerState
from core.kernel.retry_delay import Delivery
from core.tracking.tracking_service import TrackingOutcome, TrackingOutcomeKind
from tests.fakes import make_settings
from tests.integration.test_tracking_service import S3_FAILED_LAG, World, make_world
from tests.tracking_fakes import FAILED_LAG, FAILED_RETENTION, FAILED_THROTTLED, copy_update

FIRST, REDELIVERED = Delivery.FIRST, Delivery.REDELIVERED


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        yield make_world(make_settings())


def throttled(job: str) -> CopyJobUpdate:
    return copy_update(FAILED_THROTTLED, copyJobId=job)


def track(world: World, update: CopyJobUpdate, delivery: Delivery) -> TrackingOutcome:
    return world.service.track(world.failing(update), delivery)


def test_given_a_throttled_copy_from_the_queue_when_first_delivered_then_it_waits_60_s(
    world: World,
) -> None:
    # Given attempt 1, failed as throttled
    failed = throttled("job-1")
    world.copy_started(failed, job="job-1")
    # When its event is delivered from the queue the first time
    outcome = track(world, failed, FIRST)
    # Then it waits 60 s, nothing is started, and the ledger remembers why
    assert (outcome.kind, outcome.retry_after_seconds) == (TrackingOutcomeKind.BACKING_OFF, 60)
    assert outcome.failure is None  # counted once, when the retry is acted on
    assert world.backup.calls["StartCopyJob"] == 0
    entry = world.entry(failed)
    assert (entry.state, entry.attempts, entry.copy_job_id) == (LedgerState.STARTED, 1, "job-1")
    assert (entry.last_failed_copy_job_id, entry.last_failure_kind) == ("job-1", "transient")


def test_given_a_waiting_failure_when_delivered_again_then_attempt_two_starts(
    world: World,
) -> None:
    # Given the first delivery waited
    failed = throttled("job-1")
    world.copy_started(failed, job="job-1")
    track(world, failed, FIRST)
    # When SQS delivers it again after the delay
    world.backup.next_copy_job_ids.append("job-2")
    outcome = track(world, failed, REDELIVERED)
    # Then the next attempt starts, as the immediate retry did before
    assert (outcome.kind, outcome.next_copy_job_id) == (TrackingOutcomeKind.RETRIED, "job-2")
    assert outcome.retry_after_seconds is None
    entry = world.entry(failed)
    assert (entry.state, entry.attempts, entry.copy_job_id) == (LedgerState.STARTED, 2, "job-2")


def test_given_a_duplicate_of_a_waiting_event_when_delivered_then_it_waits_too(
    world: World,
) -> None:
    # Given the event waits; EventBridge delivered it twice (a second SQS message)
    failed = throttled("job-1")
    world.copy_started(failed, job="job-1")
    track(world, failed, FIRST)
    # When the duplicate's first delivery arrives before the delay is over
    outcome = track(world, failed, FIRST)
    # Then it does not cut the wait short
    assert (outcome.kind, outcome.retry_after_seconds) == (TrackingOutcomeKind.BACKING_OFF, 60)
    assert world.backup.calls["StartCopyJob"] == 0


def test_given_a_redelivery_whose_failure_was_never_noted_when_tracked_then_it_waits_first(
    world: World,
) -> None:
    # Given a message back for another reason (its first receive stopped before the ledger)
    failed = throttled("job-1")
    world.copy_started(failed, job="job-1")
    # When tracked / Then this failure's wait starts now
    assert track(world, failed, REDELIVERED).kind is TrackingOutcomeKind.BACKING_OFF
    assert track(world, failed, REDELIVERED).kind is TrackingOutcomeKind.RETRIED


def test_given_an_event_with_no_queue_when_a_copy_failed_transiently_then_it_retries_at_once(
    world: World,
) -> None:
    # e.g. sam local invoke, or the reconciler settling a copy whose event was lost
    failed = throttled("job-1")
    world.copy_started(failed, job="job-1")
    assert world.service.track(world.failing(failed)).kind is TrackingOutcomeKind.RETRIED


def test_given_every_attempt_throttled_when_tracked_then_delays_double_and_the_last_fails(
    world: World,
) -> None:
    # Given MAX_COPY_ATTEMPTS = 4 (the sample settings), and attempt 1 started
    world.copy_started(throttled("job-1"), job="job-1")
    delays = []
    # When each attempt fails, waits, and is retried on its redelivery
    for attempt in (1, 2, 3):
        failed = throttled(f"job-{attempt}")
        delays.append(track(world, failed, FIRST).retry_after_seconds)
        world.backup.next_copy_job_ids.append(f"job-{attempt + 1}")
        assert track(world, failed, REDELIVERED).kind is TrackingOutcomeKind.RETRIED
    last_failed = throttled("job-4")
    last = track(world, last_failed, FIRST)
    # Then the waits were 60, 120, 240 s, and the fourth failure fails at once with one alert
    assert delays == [60, 120, 240]
    assert (last.kind, last.reason, last.retry_after_seconds) == (
        TrackingOutcomeKind.FAILED,
        "retries-exhausted",
        None,
    )
    assert world.backup.calls["StartCopyJob"] == 3
    entry = world.entry(last_failed)
    assert (entry.state, entry.attempts) == (LedgerState.FAILED, 4)
    assert [alert.reason for alert in world.alerts.published] == ["retries-exhausted"]
    assert track(world, last_failed, REDELIVERED).kind is TrackingOutcomeKind.STALE


def test_given_a_cap_when_later_attempts_fail_then_they_wait_no_longer_than_the_cap() -> None:
    with mock_aws():
        world = make_world(
            make_settings(COPY_RETRY_BASE_DELAY_SECONDS="60", COPY_RETRY_MAX_DELAY_SECONDS="90")
        )
        world.copy_started(throttled("job-2"), job="job-2", attempt=2)
        assert track(world, throttled("job-2"), FIRST).retry_after_seconds == 90


def test_given_a_retention_failure_from_the_queue_when_tracked_then_it_retries_at_once(
    world: World,
) -> None:
    # Waiting would not change the vault's range: the lifecycle is recomputed now
    failed = copy_update(FAILED_RETENTION)
    world.copy_started(failed, job=failed.copy_job_id)
    world.backup.retention["lag"] = VaultRetention(min_days=45, max_days=400)
    outcome = track(world, failed, FIRST)
    assert (outcome.kind, outcome.retry_after_seconds) == (TrackingOutcomeKind.RETRIED, None)


def test_given_a_lag_rejection_from_the_queue_when_tracked_then_it_falls_back_at_once(
    world: World,
) -> None:
    failed = copy_update(FAILED_LAG, **S3_FAILED_LAG)  # a fully managed type: aws/backup takes it
    world.copy_started(failed, job=failed.copy_job_id)
    outcome = track(world, failed, FIRST)
    assert (outcome.kind, outcome.retry_after_seconds) == (TrackingOutcomeKind.FELL_BACK, None)
