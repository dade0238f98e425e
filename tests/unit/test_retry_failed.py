"""An operator's retry of failed copies (core.operator_retry), through the reconciler's examiner.

The retrier is wired only for ``copyctl reconcile --retry-failed``; the scheduled reconciler
reports failed copies and leaves them alone.
"""

from __future__ import annotations

import pytest

from core.copying.decision import idempotency_token
from core.kernel.config import Settings
from core.kernel.errors import PermanentError
from core.kernel.ledger_states import LedgerState
from core.kernel.models import Decision, RecoveryPointEvent, StorageClass
from core.operator_retry.retry_failed import FailedCopyRetrier
from core.reconcile.coverage import Action, Finding, Standing
from core.reconcile.examine import Mode
from core.reconcile.reconciler import RunRequest
from core.tracking.failure_kinds import FailureKind
from tests.fakes import make_facts
from tests.reconcile_fakes import TimedLedger, World, entry, listed, make_world
from tests.samples import LAG_VAULT_ARN, MANAGED_VAULT_ARN

POINT = listed(1)


@pytest.fixture
def world(settings: Settings) -> World:
    """``daily`` holds one recovery point; its copy to the LAG vault failed at attempt 4 of 4."""
    world = make_world(settings)
    world.listing.vaults["daily"] = [POINT]
    world.ledger.put(
        entry(
            POINT,
            LAG_VAULT_ARN,
            LedgerState.FAILED,
            reason="retries-exhausted",
            attempts=4,
            copy_job_id="copy-job-old",
        )
    )
    return world


def with_retries(world: World) -> World:
    examiner = world.reconciler.examiner
    examiner.retries = FailedCopyRetrier(world.settings, examiner.copies, world.ledger)
    return world


def examine(world: World, mode: Mode = Mode.HEAL) -> Finding:
    findings: list[Finding] = []
    world.reconciler.run(RunRequest(mode), observe=findings.append)
    [finding] = findings
    return finding


def test_given_a_failed_copy_when_reconciled_without_retries_then_it_is_only_reported(
    world: World,
) -> None:
    # When the scheduled reconciler (no retrier) meets the failed copy
    finding = examine(world)
    # Then it reports it as failed and starts nothing
    assert (finding.standing, finding.action) == (Standing.FAILED, Action.NONE)
    assert world.backup.started == []


def test_given_a_failed_copy_when_an_operator_retries_then_attempt_five_starts(
    world: World,
) -> None:
    # When an operator retries failed copies
    finding = examine(with_retries(world))
    # Then one copy starts as attempt 5: its own token, past MAX_COPY_ATTEMPTS (not reset)
    assert (finding.standing, finding.action, finding.target) == (
        Standing.IN_FLIGHT,
        Action.RETRY_STARTED,
        "lag",
    )
    [request] = world.backup.started
    assert request["IdempotencyToken"] == idempotency_token(POINT.arn, LAG_VAULT_ARN, 5)
    retried = world.ledger.get(POINT.arn, LAG_VAULT_ARN)
    assert retried is not None
    assert (retried.state, retried.attempts, retried.copy_job_id) == (
        LedgerState.STARTED,
        5,
        finding.copy_job_id,
    )
    assert retried.explanation == "operator retry, attempt 5, after retries-exhausted"


def test_given_a_failed_copy_when_a_retry_is_dry_run_then_it_is_listed_and_nothing_moves(
    world: World,
) -> None:
    # When the retry is planned only
    finding = examine(with_retries(world), Mode.PLAN)
    # Then the finding carries the request of attempt 5; no copy, no ledger write
    assert (finding.standing, finding.action) == (Standing.FAILED, Action.WOULD_RETRY)
    assert finding.request is not None
    assert finding.request["IdempotencyToken"] == idempotency_token(POINT.arn, LAG_VAULT_ARN, 5)
    assert world.backup.started == []
    assert world.ledger.calls["reopen_failed"] == world.ledger.calls["claim"] == 0


def test_given_the_lag_vault_refused_the_point_when_retried_then_the_managed_copy_is_retried(
    world: World,
) -> None:
    # Given LAG refused the point (tracking fell back) and the managed copy failed at attempt 2
    world.ledger.put(
        entry(POINT, LAG_VAULT_ARN, LedgerState.FAILED, reason=FailureKind.LAG_REJECTED.value)
    )
    world.ledger.put(
        entry(POINT, MANAGED_VAULT_ARN, LedgerState.FAILED, reason="permanent", attempts=2)
    )
    # When retried
    finding = examine(with_retries(world))
    # Then attempt 3 goes to the managed-key vault, not to LAG again
    [request] = world.backup.started
    assert request["DestinationBackupVaultArn"] == MANAGED_VAULT_ARN
    assert request["IdempotencyToken"] == idempotency_token(POINT.arn, MANAGED_VAULT_ARN, 3)
    assert (finding.action, finding.target) == (Action.RETRY_STARTED, "managed")
    lag = world.ledger.get(POINT.arn, LAG_VAULT_ARN)
    assert lag is not None
    assert lag.state is LedgerState.FAILED


def test_given_the_lag_vault_refused_and_no_fallback_entry_when_retried_then_one_is_claimed(
    world: World,
) -> None:
    world.ledger.put(
        entry(POINT, LAG_VAULT_ARN, LedgerState.FAILED, reason=FailureKind.LAG_REJECTED.value)
    )
    examine(with_retries(world))
    [request] = world.backup.started
    assert request["IdempotencyToken"] == idempotency_token(POINT.arn, MANAGED_VAULT_ARN, 1)
    managed = world.ledger.get(POINT.arn, MANAGED_VAULT_ARN)
    assert managed is not None
    assert (managed.state, managed.attempts) == (LedgerState.STARTED, 1)


def test_given_a_key_dependent_copy_when_retries_are_asked_then_it_is_left_as_it_is(
    world: World,
) -> None:
    # Given a copy that exists but depends on a customer key (a new one would get the same key)
    world.ledger.put(entry(POINT, LAG_VAULT_ARN, LedgerState.KEY_DEPENDENT))
    finding = examine(with_retries(world))
    assert (finding.standing, finding.action) == (Standing.KEY_DEPENDENT, Action.NONE)
    assert world.backup.started == []


def test_given_a_source_gone_cold_when_retried_then_it_is_reported_why_and_not_copied(
    world: World,
) -> None:
    # Given the source recovery point moved to cold storage since the copy failed
    world.backup.facts[POINT.arn] = make_facts(POINT.arn, storage_class=StorageClass.COLD)
    finding = examine(with_retries(world))
    # Then nothing starts, the entry stays FAILED, and the finding says why
    assert (finding.standing, finding.action) == (Standing.FAILED, Action.NONE)
    assert finding.explanation.startswith("not retried: recovery point is in")
    assert world.backup.started == []
    failed = world.ledger.get(POINT.arn, LAG_VAULT_ARN)
    assert failed is not None
    assert (failed.state, failed.attempts) == (LedgerState.FAILED, 4)


def test_given_aws_refuses_the_retry_s_copy_when_retried_then_it_fails_again_with_the_reason(
    world: World,
) -> None:
    world.backup.start_errors.append(
        PermanentError("InvalidParameterValueException", "lifecycle out of range")
    )
    finding = examine(with_retries(world))
    assert (finding.action, finding.reason) == (Action.ERROR, "InvalidParameterValueException")
    failed = world.ledger.get(POINT.arn, LAG_VAULT_ARN)
    assert failed is not None
    assert (failed.state, failed.attempts) == (LedgerState.FAILED, 5)


def test_given_another_retry_wins_the_reopen_when_retried_then_no_second_copy_starts(
    world: World,
) -> None:
    # Given a ledger where another operator's retry reopens the entry just before this one
    class Raced(TimedLedger):
        def reopen_failed(
            self, event: RecoveryPointEvent, decision: Decision, attempt: int
        ) -> bool:
            super().reopen_failed(event, decision, attempt)
            return super().reopen_failed(event, decision, attempt)

    raced = Raced(entries=dict(world.ledger.entries), clock=world.clock)
    examiner = world.reconciler.examiner
    examiner.ledger = raced
    examiner.retries = FailedCopyRetrier(world.settings, examiner.copies, raced)
    # When retried
    finding = examine(world)
    # Then this retry starts nothing and reports the point as the ledger now has it
    assert world.backup.started == []
    assert (finding.standing, finding.action) == (Standing.IN_FLIGHT, Action.NONE)
