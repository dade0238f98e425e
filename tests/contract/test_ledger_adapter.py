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
from core.config import Settings
from core.decision import decide, screen_event
from core.errors import PermanentError
from core.ledger_states import LedgerState
from core.models import Decision, Reason
from core.ports import LedgerPort
from tests.fakes import EBS_SNAPSHOT, NO_DESTINATION, FakeLedger, make_event, make_facts
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
def dynamo_ledger(dynamodb: Any) -> DynamoLedger:
    return DynamoLedger(dynamodb, LEDGER_TABLE, clock=lambda: NOW)


@pytest.fixture(params=["dynamodb", "fake"])
def ledger(request: pytest.FixtureRequest) -> LedgerPort:
    if request.param == "fake":
        return FakeLedger()
    dynamo: DynamoLedger = request.getfixturevalue("dynamo_ledger")
    return dynamo


@pytest.fixture
def copy_decision(settings: Settings) -> Decision:
    """EBS from the LAG plan: a copy to the LAG vault, kept 30 days."""
    return decide(EVENT, make_facts(), True, settings)


def state_of(ledger: LedgerPort, destination: str = LAG_VAULT_ARN) -> tuple[LedgerState, int]:
    entry = ledger.get(EBS_SNAPSHOT, destination)
    assert entry is not None
    return entry.state, entry.attempts


# --- Claims (both ledgers) -------------------------------------------------------------------


def test_given_no_entry_when_claimed_then_the_claim_succeeds_as_planned(
    ledger: LedgerPort, copy_decision: Decision
) -> None:
    # Given an empty ledger / When attempt 1 is claimed
    claimed = ledger.claim(EVENT, copy_decision, 1)
    # Then it is PLANNED for attempt 1
    assert claimed
    assert state_of(ledger) == (LedgerState.PLANNED, 1)


def test_given_a_planned_claim_when_the_same_attempt_claims_again_then_it_succeeds(
    ledger: LedgerPort, copy_decision: Decision
) -> None:
    # Given a delivery that claimed, then crashed before StartCopyJob
    ledger.claim(EVENT, copy_decision, 1)
    # When SQS redelivers and the same attempt claims again
    # Then it may go on (StartCopyJob's idempotency token dedups a twin)
    assert ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.PLANNED, 1)


def test_given_a_started_copy_when_the_same_attempt_claims_again_then_it_fails(
    ledger: LedgerPort, copy_decision: Decision
) -> None:
    # Given attempt 1 started its copy job
    ledger.claim(EVENT, copy_decision, 1)
    ledger.mark_started(copy_decision, "copy-job-1", 1)
    # When a duplicate delivery claims attempt 1 / Then it is refused: no second copy job
    assert not ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.STARTED, 1)


def test_given_a_started_copy_when_the_next_attempt_claims_then_it_succeeds(
    ledger: LedgerPort, copy_decision: Decision
) -> None:
    # Given attempt 1 started (and, say, failed later)
    ledger.claim(EVENT, copy_decision, 1)
    ledger.mark_started(copy_decision, "copy-job-1", 1)
    # When attempt 2 claims / Then the retry may start
    assert ledger.claim(EVENT, copy_decision, 2)
    assert state_of(ledger) == (LedgerState.PLANNED, 2)


def test_given_attempt_two_claimed_when_a_stale_attempt_one_claims_then_it_fails(
    ledger: LedgerPort, copy_decision: Decision
) -> None:
    ledger.claim(EVENT, copy_decision, 1)
    ledger.claim(EVENT, copy_decision, 2)
    assert not ledger.claim(EVENT, copy_decision, 1)
    assert state_of(ledger) == (LedgerState.PLANNED, 2)


def test_given_a_claim_when_started_by_another_attempt_then_the_entry_is_unchanged(
    ledger: LedgerPort, copy_decision: Decision
) -> None:
    # Given attempt 2 holds the claim
    ledger.claim(EVENT, copy_decision, 2)
    # When a late attempt 1 reports its copy job / Then it is ignored
    ledger.mark_started(copy_decision, "copy-job-late", 1)
    entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert entry is not None
    assert (entry.state, entry.copy_job_id) == (LedgerState.PLANNED, None)


def test_given_a_planned_claim_when_started_then_the_copy_job_is_recorded(
    ledger: LedgerPort, copy_decision: Decision
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


# --- DynamoDB specifics ----------------------------------------------------------------------


def item(dynamodb: Any, destination: str = LAG_VAULT_ARN) -> dict[str, Any]:
    answer = dynamodb.get_item(
        TableName=LEDGER_TABLE,
        Key={"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": destination}},
    )
    found: dict[str, Any] = answer["Item"]
    return found


def test_given_a_claim_when_stored_then_the_item_explains_the_copy(
    dynamo_ledger: DynamoLedger, dynamodb: Any, copy_decision: Decision
) -> None:
    # Given a claim / When the raw item is read
    dynamo_ledger.claim(EVENT, copy_decision, 1)
    stored = item(dynamodb)
    # Then it carries what an operator needs, and expires after the copy's retention + margin
    assert copy_decision.request is not None
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
    dynamo_ledger: DynamoLedger, copy_decision: Decision
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
    dynamo_ledger: DynamoLedger, copy_decision: Decision, target: LedgerState
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
    dynamo_ledger: DynamoLedger, copy_decision: Decision
) -> None:
    # STARTED is only reachable from PLANNED: a start without a claim is ignored
    dynamo_ledger.mark_started(copy_decision, "copy-job-1", 1)
    assert dynamo_ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN) is None


def test_given_a_skip_decision_when_claimed_then_it_is_a_programming_error(
    dynamo_ledger: DynamoLedger, settings: Settings
) -> None:
    skip = screen_event(make_event(state="FAILED"), settings)
    assert skip is not None
    with pytest.raises(ValueError, match="carries no copy request"):
        dynamo_ledger.claim(EVENT, skip, 1)


def test_given_a_missing_table_when_claimed_then_the_error_is_translated(
    dynamodb: Any, copy_decision: Decision
) -> None:
    # Given a ledger pointed at a table that does not exist (a configuration mistake)
    ledger = DynamoLedger(dynamodb, "no-such-table", clock=lambda: NOW)
    # When claimed / Then a domain error (not a botocore one) says which call failed
    with pytest.raises(PermanentError) as caught:
        ledger.claim(EVENT, copy_decision, 1)
    assert caught.value.reason == "ResourceNotFoundException"
    assert caught.value.message.startswith("UpdateItem")


def test_given_a_planned_claim_when_the_start_is_refused_then_the_entry_fails_with_the_reason(
    ledger: LedgerPort, copy_decision: Decision
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
    ledger: LedgerPort, copy_decision: Decision
) -> None:
    # Given attempt 2 holds the claim
    ledger.claim(EVENT, copy_decision, 2)
    # When a stale attempt 1 reports a refused start / Then attempt 2 is untouched
    ledger.mark_start_failed(copy_decision, 1, "InvalidParameterValueException", "stale")
    assert state_of(ledger) == (LedgerState.PLANNED, 2)
