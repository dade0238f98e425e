"""The DynamoDB ledger's conditional writes, against moto.

The port-level behaviours run against ``DynamoLedger`` and against the in-memory ``FakeLedger`` the
unit tests use, so the fake cannot drift from the real ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from adapters.ledger import COPY_RETENTION_MARGIN, SKIP_RETENTION, DynamoLedger
from core.copying.decision import decide, screen_event
from core.kernel.config import Settings
from core.kernel.errors import PermanentError
from core.kernel.ledger_states import CLAIM_LEASE, LedgerState
from core.kernel.models import CopyDecision, Reason
from core.kernel.ports import LedgerPort, RetryLedgerPort
from tests.fakes import (
    EBS_SNAPSHOT,
    NO_DESTINATION,
    FakeLedger,
    ManualClock,
    copy_of,
    make_event,
    make_facts,
)
from tests.samples import LAG_VAULT_ARN, LEDGER_TABLE, REGION, create_ledger_table

NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
EVENT = make_event()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(client)
        yield client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def dynamo_ledger(dynamodb: Any, clock: ManualClock) -> DynamoLedger:
    return DynamoLedger(dynamodb, LEDGER_TABLE, clock=clock)


@pytest.fixture(params=["dynamodb", "fake"])
def ledger(request: pytest.FixtureRequest, clock: ManualClock) -> RetryLedgerPort:
    if request.param == "fake":
        return FakeLedger(clock=clock)
    dynamo: DynamoLedger = request.getfixturevalue("dynamo_ledger")
    return dynamo


@pytest.fixture
def copy_decision(settings: Settings) -> CopyDecision:
    """EBS from the LAG plan: a copy to the LAG vault, kept 30 days."""
    return copy_of(decide(EVENT, make_facts(), True, settings))


def state_of(ledger: LedgerPort, destination: str = LAG_VAULT_ARN) -> tuple[LedgerState, int]:
    entry = ledger.get(EBS_SNAPSHOT, destination)
    assert entry is not None
    return entry.state, entry.attempts


# --- Claims (both ledgers) -------------------------------------------------------------------


def test_given_no_entry_when_claimed_then_the_claim_succeeds_as_planned(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    # Given an empty ledger / When attempt 1 is claimed
    claimed = ledger.claim(EVENT, copy_decision, 1)
    # Then it is PLANNED for attempt 1
    assert claimed
    assert state_of(ledger) == (LedgerState.PLANNED, 1)


def test_given_a_claim_older_than_its_lease_when_the_same_attempt_claims_then_it_succeeds(
    ledger: LedgerPort, copy_decision: CopyDecision, clock: ManualClock
) -> None:
    # Given a delivery that claimed, then crashed before StartCopyJob
    ledger.claim(EVENT, copy_decision, 1)
    # When SQS redelivers after the visibility timeout and the same attempt claims again
    clock.advance(CLAIM_LEASE + timedelta(seconds=1))
    # Then it may go on (same attempt, same idempotency token)
    assert ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.PLANNED, 1)


def test_given_a_fresh_claim_when_the_same_attempt_claims_again_then_it_fails(
    ledger: LedgerPort, copy_decision: CopyDecision, clock: ManualClock
) -> None:
    # Given a delivery that claimed a moment ago and is still running
    ledger.claim(EVENT, copy_decision, 1)
    clock.advance(CLAIM_LEASE - timedelta(seconds=1))
    # When a concurrent duplicate delivery claims the same attempt / Then the ledger refuses it
    assert not ledger.claim(EVENT, copy_decision, 1)


def test_given_a_claim_released_after_a_transient_failure_when_redelivered_then_it_is_claimed(
    ledger: LedgerPort, copy_decision: CopyDecision, clock: ManualClock
) -> None:
    # Given a delivery whose StartCopyJob was throttled: it released its claim and failed
    ledger.claim(EVENT, copy_decision, 1)
    ledger.release_claim(copy_decision, 1)
    # When SQS redelivers it well within the claim's lease
    clock.advance(timedelta(seconds=5))
    # Then the same attempt may claim at once (same idempotency token), and only once
    assert ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.PLANNED, 1)
    assert not ledger.claim(EVENT, copy_decision, 1)


def test_given_a_started_copy_when_its_claim_is_released_then_nothing_changes(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    # Given attempt 1 started its copy job (a late release from another delivery arrives)
    ledger.claim(EVENT, copy_decision, 1)
    ledger.mark_started(copy_decision, "copy-job-1", 1)
    ledger.release_claim(copy_decision, 1)
    # When a duplicate delivery claims attempt 1 / Then it is still refused: no second copy job
    assert not ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.STARTED, 1)


def test_given_no_entry_when_a_claim_is_released_then_nothing_is_created(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    ledger.release_claim(copy_decision, 1)
    assert ledger.get(copy_decision.recovery_point_arn, LAG_VAULT_ARN) is None


def test_given_a_started_copy_when_the_same_attempt_claims_again_then_it_fails(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    # Given attempt 1 started its copy job
    ledger.claim(EVENT, copy_decision, 1)
    ledger.mark_started(copy_decision, "copy-job-1", 1)
    # When a duplicate delivery claims attempt 1 / Then it is refused: no second copy job
    assert not ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.STARTED, 1)


def test_given_a_started_copy_when_the_next_attempt_claims_then_it_succeeds(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    # Given attempt 1 started (and, say, failed later)
    ledger.claim(EVENT, copy_decision, 1)
    ledger.mark_started(copy_decision, "copy-job-1", 1)
    # When attempt 2 claims / Then the retry may start
    assert ledger.claim(EVENT, copy_decision, 2)
    assert state_of(ledger) == (LedgerState.PLANNED, 2)


def test_given_attempt_two_claimed_when_a_stale_attempt_one_claims_then_it_fails(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    ledger.claim(EVENT, copy_decision, 1)
    ledger.claim(EVENT, copy_decision, 2)
    assert not ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.PLANNED, 2)


def test_given_a_claim_when_started_by_another_attempt_then_the_entry_is_unchanged(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    # Given attempt 2 holds the claim
    ledger.claim(EVENT, copy_decision, 2)
    # When a late attempt 1 reports its copy job / Then it is ignored
    ledger.mark_started(copy_decision, "copy-job-late", 1)
    entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert entry is not None
    assert (entry.state, entry.copy_job_id) == (LedgerState.PLANNED, None)


def test_given_a_planned_claim_when_started_then_the_copy_job_is_recorded(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    ledger.claim(EVENT, copy_decision, 1)
    ledger.mark_started(copy_decision, "copy-job-1", 1)
    entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert entry is not None
    assert (entry.state, entry.copy_job_id, entry.attempts) == (
        LedgerState.STARTED,
        "copy-job-1",
        1,
    )


@pytest.mark.parametrize("again", [LedgerState.SKIPPED, LedgerState.UNPROTECTABLE])
def test_given_a_skip_when_recorded_twice_then_the_first_record_stays(
    ledger: LedgerPort, settings: Settings, again: LedgerState
) -> None:
    # Given a skip recorded once
    first = screen_event(make_event(vault_name="team-b-vault"), settings)
    assert first is not None
    ledger.record_final(EVENT, first, LedgerState.SKIPPED)
    # When a later delivery records the same recovery point again, for another reason
    later = screen_event(make_event(state="RUNNING"), settings)
    assert later is not None
    assert later.recovery_point_arn == first.recovery_point_arn
    ledger.record_final(EVENT, later, again)
    # Then the first record stays (skips are recorded once)
    entry = ledger.get(first.recovery_point_arn, NO_DESTINATION)
    assert entry is not None
    assert (entry.state, entry.reason) == (LedgerState.SKIPPED, Reason.SKIP_OUT_OF_SCOPE.value)


def test_given_nothing_recorded_when_read_then_there_is_no_entry(ledger: LedgerPort) -> None:
    assert ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN) is None


# --- An operator's retry: FAILED → PLANNED for a later attempt (both ledgers) ----------------


def failed_at(ledger: LedgerPort, settings: Settings, attempt: int) -> CopyDecision:
    """The copy's entry FAILED at ``attempt`` (its copy job started, then failed for good)."""
    decision = copy_of(decide(EVENT, make_facts(), True, settings, attempt=attempt))
    ledger.claim(EVENT, decision, attempt)
    ledger.mark_started(decision, f"copy-job-{attempt}", attempt)
    ledger.mark_start_failed(decision, attempt, "retries-exhausted", "Rate exceeded")
    assert state_of(ledger) == (LedgerState.FAILED, attempt)
    return decision


def test_given_a_failed_copy_when_a_retry_reopens_a_later_attempt_then_it_is_planned_anew(
    ledger: RetryLedgerPort, settings: Settings
) -> None:
    # Given attempt 4 failed for good
    failed_at(ledger, settings, 4)
    # When an operator's retry reopens it for attempt 5
    retry = decide(EVENT, make_facts(), True, settings, attempt=5)
    reopened = ledger.reopen_failed(EVENT, retry, 5)
    # Then it is PLANNED for attempt 5, without the failed attempt's copy job
    assert reopened
    assert state_of(ledger) == (LedgerState.PLANNED, 5)
    entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert entry is not None
    assert (entry.copy_job_id, entry.last_failed_copy_job_id) == (None, None)


@pytest.mark.parametrize("attempt", [1, 2])
def test_given_a_failed_copy_when_reopened_for_no_later_attempt_then_it_stays_failed(
    ledger: RetryLedgerPort, settings: Settings, attempt: int
) -> None:
    decision = failed_at(ledger, settings, 2)
    assert not ledger.reopen_failed(EVENT, decision, attempt)
    assert state_of(ledger) == (LedgerState.FAILED, 2)


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_given_a_failed_copy_when_a_claim_comes_then_only_a_reopen_can_move_it(
    ledger: RetryLedgerPort, settings: Settings, attempt: int
) -> None:
    # Given attempt 2 failed for good
    decision = failed_at(ledger, settings, 2)
    # When the live path, the reconciler or tracking claims (any attempt) / Then it is refused
    assert not ledger.claim(EVENT, decision, attempt)
    assert state_of(ledger) == (LedgerState.FAILED, 2)


def test_given_two_retries_at_once_when_both_reopen_the_same_attempt_then_one_wins(
    ledger: RetryLedgerPort, settings: Settings
) -> None:
    failed_at(ledger, settings, 1)
    retry = decide(EVENT, make_facts(), True, settings, attempt=2)
    assert [ledger.reopen_failed(EVENT, retry, 2) for _ in range(2)] == [True, False]
    assert state_of(ledger) == (LedgerState.PLANNED, 2)


@pytest.mark.parametrize("started", [False, True])
def test_given_a_copy_in_flight_when_reopened_then_it_is_refused(
    ledger: RetryLedgerPort, copy_decision: CopyDecision, started: bool
) -> None:
    # Given attempt 1 claimed (and maybe started)
    ledger.claim(EVENT, copy_decision, 1)
    if started:
        ledger.mark_started(copy_decision, "copy-job-1", 1)
    # When a retry tries to reopen it / Then the copy in flight is left alone
    assert not ledger.reopen_failed(EVENT, copy_decision, 2)
    assert state_of(ledger) == (LedgerState.STARTED if started else LedgerState.PLANNED, 1)


def test_given_no_entry_when_reopened_then_nothing_is_created(
    ledger: RetryLedgerPort, copy_decision: CopyDecision
) -> None:
    assert not ledger.reopen_failed(EVENT, copy_decision, 2)
    assert ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN) is None


# --- DynamoDB specifics ----------------------------------------------------------------------


def item(dynamodb: Any, destination: str = LAG_VAULT_ARN) -> dict[str, Any]:
    answer = dynamodb.get_item(
        TableName=LEDGER_TABLE,
        Key={"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": destination}},
    )
    found: dict[str, Any] = answer["Item"]
    return found


def test_given_a_claim_when_stored_then_the_item_explains_the_copy(
    dynamo_ledger: DynamoLedger, dynamodb: Any, copy_decision: CopyDecision
) -> None:
    # Given a claim / When the raw item is read
    dynamo_ledger.claim(EVENT, copy_decision, 1)
    stored = item(dynamodb)
    # Then it carries what an operator needs, and expires after the copy's retention + margin
    assert stored["State"] == {"S": "planned"}
    assert stored["Reason"] == {"S": "copy-to-lag"}
    assert stored["Target"] == {"S": "lag"}
    assert stored["SourceVaultName"] == {"S": "daily"}
    assert stored["ResourceType"] == {"S": "EBS"}
    assert stored["IdempotencyToken"] == {"S": copy_decision.request["IdempotencyToken"]}
    assert stored["CreatedAt"] == stored["UpdatedAt"] == {"S": NOW.isoformat()}
    expires = NOW + timedelta(days=30) + COPY_RETENTION_MARGIN
    assert stored["ExpiresAt"] == {"N": str(int(expires.timestamp()))}


def test_given_a_skip_when_stored_then_it_expires_after_the_skip_retention(
    dynamo_ledger: DynamoLedger, dynamodb: Any, settings: Settings
) -> None:
    skip = screen_event(make_event(state="FAILED"), settings)
    assert skip is not None
    dynamo_ledger.record_final(EVENT, skip, LedgerState.SKIPPED)
    stored = item(dynamodb, NO_DESTINATION)
    assert stored["ExpiresAt"] == {"N": str(int((NOW + SKIP_RETENTION).timestamp()))}


def test_given_a_started_copy_when_it_is_protected_then_the_transition_is_accepted(
    dynamo_ledger: DynamoLedger, copy_decision: CopyDecision
) -> None:
    dynamo_ledger.claim(EVENT, copy_decision, 1)
    dynamo_ledger.mark_started(copy_decision, "copy-job-1", 1)
    key = {"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": LAG_VAULT_ARN}}
    assert dynamo_ledger.transition(key, LedgerState.PROTECTED, {})
    assert state_of(dynamo_ledger)[0] is LedgerState.PROTECTED


@pytest.mark.parametrize(
    "target",
    [
        LedgerState.PLANNED,
        LedgerState.STARTED,
        LedgerState.FAILED,
        LedgerState.KEY_DEPENDENT,
        LedgerState.UNPROTECTABLE,
        LedgerState.SKIPPED,
    ],
)
def test_given_a_protected_copy_when_moved_anywhere_then_the_transition_is_refused(
    dynamo_ledger: DynamoLedger, copy_decision: CopyDecision, target: LedgerState
) -> None:
    # Given a copy already PROTECTED (final)
    key = {"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": LAG_VAULT_ARN}}
    dynamo_ledger.claim(EVENT, copy_decision, 1)
    dynamo_ledger.transition(key, LedgerState.PROTECTED, {})
    # When a stale event tries to move it / Then it is refused and the entry stays
    assert dynamo_ledger.transition(key, target, {}) is False
    assert state_of(dynamo_ledger)[0] is LedgerState.PROTECTED
    # ... and a new claim is refused too
    assert not dynamo_ledger.claim(EVENT, copy_decision, 2)


def test_given_no_entry_when_started_then_nothing_is_created(
    dynamo_ledger: DynamoLedger, copy_decision: CopyDecision
) -> None:
    # STARTED is only reachable from PLANNED: a start without a claim is ignored
    dynamo_ledger.mark_started(copy_decision, "copy-job-1", 1)
    assert dynamo_ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN) is None


def test_given_a_skip_decision_when_claimed_then_it_is_a_programming_error(
    dynamo_ledger: DynamoLedger, settings: Settings
) -> None:
    # (mypy already refuses it: claim takes a CopyDecision, and a SkipDecision has no request)
    skip = screen_event(make_event(state="FAILED"), settings)
    assert skip is not None
    with pytest.raises(AttributeError, match="request"):
        dynamo_ledger.claim(EVENT, skip, 1)  # type: ignore[arg-type]
    assert dynamo_ledger.get(skip.recovery_point_arn, LAG_VAULT_ARN) is None


def test_given_a_missing_table_when_claimed_then_the_error_is_translated(
    dynamodb: Any, copy_decision: CopyDecision
) -> None:
    # Given a ledger pointed at a table that does not exist (a configuration mistake)
    ledger = DynamoLedger(dynamodb, "no-such-table", clock=lambda: NOW)
    # When claimed / Then a domain error (not a botocore one) says which call failed
    with pytest.raises(PermanentError) as caught:
        ledger.claim(EVENT, copy_decision, 1)
    assert caught.value.reason == "ResourceNotFoundException"
    assert caught.value.message.startswith("UpdateItem")


def test_given_a_planned_claim_when_the_start_is_refused_then_the_entry_fails_with_the_reason(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    # Given attempt 1 claimed
    ledger.claim(EVENT, copy_decision, 1)
    # When AWS refuses to start its copy job for good
    ledger.mark_start_failed(copy_decision, 1, "InvalidParameterValueException", "bad lifecycle")
    # Then the entry is FAILED with the explanation
    entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert entry is not None
    assert (entry.state, entry.explanation) == (LedgerState.FAILED, "bad lifecycle")


def test_given_a_newer_attempt_when_an_old_start_is_refused_then_the_entry_is_unchanged(
    ledger: LedgerPort, copy_decision: CopyDecision
) -> None:
    # Given attempt 2 holds the claim
    ledger.claim(EVENT, copy_decision, 2)
    # When a stale attempt 1 reports a refused start / Then attempt 2 is untouched
    ledger.mark_start_failed(copy_decision, 1, "InvalidParameterValueException", "stale")
    assert state_of(ledger) == (LedgerState.PLANNED, 2)


@pytest.mark.parametrize("final", [LedgerState.PROTECTED, LedgerState.KEY_DEPENDENT])
def test_given_a_copy_that_exists_when_reopened_then_it_is_refused(
    dynamo_ledger: DynamoLedger, copy_decision: CopyDecision, final: LedgerState
) -> None:
    # Given a copy that ended protected, or key-dependent (a retry is for failed copies only)
    key = {"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": LAG_VAULT_ARN}}
    dynamo_ledger.claim(EVENT, copy_decision, 1)
    dynamo_ledger.transition(key, final, {})
    # When a retry tries to reopen it / Then it is refused
    assert not dynamo_ledger.reopen_failed(EVENT, copy_decision, 2)
    assert state_of(dynamo_ledger) == (final, 1)


def test_given_a_reopened_failure_when_stored_then_the_failed_attempt_is_forgotten(
    dynamo_ledger: DynamoLedger, dynamodb: Any, settings: Settings
) -> None:
    # Given attempt 2 failed, owing an alert, after a first failed job
    failed_at(dynamo_ledger, settings, 2)
    dynamodb.update_item(
        TableName=LEDGER_TABLE,
        Key={"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": LAG_VAULT_ARN}},
        UpdateExpression="SET PendingAlert = :a, LastFailedCopyJobId = :j, LastFailureKind = :k,"
        " LastFailure = :m",
        ExpressionAttributeValues={
            ":a": {"S": "copy-failed"},
            ":j": {"S": "copy-job-1"},
            ":k": {"S": "transient"},
            ":m": {"S": "Rate exceeded"},
        },
    )
    # When reopened for attempt 3
    retry = copy_of(decide(EVENT, make_facts(), True, settings, attempt=3))
    dynamo_ledger.reopen_failed(EVENT, retry, 3)
    # Then the item is the claim of attempt 3, with nothing left of the failed attempts
    stored = item(dynamodb)
    assert (stored["State"], stored["Attempts"]) == ({"S": "planned"}, {"N": "3"})
    assert stored["IdempotencyToken"] == {"S": retry.request["IdempotencyToken"]}
    forgotten = {
        "CopyJobId",
        "FailureKind",
        "PendingAlert",
        "LastFailedCopyJobId",
        "LastFailureKind",
        "LastFailure",
    }
    assert forgotten & set(stored) == set()
