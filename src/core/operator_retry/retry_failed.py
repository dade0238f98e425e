"""An operator's retry of failed copies (``copyctl reconcile --retry-failed``).

A FAILED ledger entry is final for the orchestrator: tracking gave up (its retries ran out, or
the failure was one a retry cannot fix) and alerted. Once an operator has fixed the cause, this
starts one new attempt through the live copy path: the decision is made again (the source may
have gone cold, the configuration may have changed), then the copy is claimed with the next
attempt number over the FAILED entry of its destination (FAILED → PLANNED, a conditional write:
of two operators retrying at once, one starts the copy), so it has an IdempotencyToken of its own.

- The attempt number keeps counting; MAX_COPY_ATTEMPTS is not reset. Tracking retries
  automatically only below it, so the retry of a copy that used up its retries is exactly one
  attempt: if it fails again, tracking gives up at once and alerts again.
- When the LAG vault refused the recovery point before (its LAG entry failed as
  ``lag-rejected``), the retry goes to the managed-key vault, as tracking's fallback did.
- Key-dependent copies are not retried: the copy exists, and a new one into the same vault would
  be encrypted with the same key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from core.copying.copy_service import RecoveryPointCopier
from core.copying.decision import idempotency_token
from core.kernel.config import Settings
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.kernel.models import CopyDecision, Decision, RecoveryPointEvent, SkipDecision
from core.kernel.ports import RetryLedgerPort
from core.tracking.failure_kinds import FailureKind


class RetryKind(StrEnum):
    STARTED = "started"
    WOULD_START = "would-start"  # a dry run
    NOT_COPYABLE = "not-copyable"  # the decision made again skips the recovery point
    TAKEN = "taken"  # the entry moved on before this claim (another retry won)


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    kind: RetryKind
    decision: Decision
    attempt: int = 0
    copy_job_id: str | None = None


@dataclass
class FailedCopyRetrier:
    settings: Settings
    copies: RecoveryPointCopier
    ledger: RetryLedgerPort

    def retry(
        self,
        event: RecoveryPointEvent,
        recovery_point_arn: str,
        entries: Iterable[LedgerEntry],
        *,
        dry_run: bool,
    ) -> RetryOutcome:
        """A new copy attempt of a recovery point whose every copy failed (its ledger entries)."""
        failed = {e.destination_vault_arn: e for e in entries if e.state is LedgerState.FAILED}
        lag_refused = self._lag_refused(failed)
        decision = self.copies.plan_recovery_point(
            event, recovery_point_arn, lag_allowed=not lag_refused
        )
        if isinstance(decision, SkipDecision):
            return RetryOutcome(RetryKind.NOT_COPYABLE, decision)
        previous = failed.get(decision.request["DestinationBackupVaultArn"])
        attempt = previous.attempts + 1 if previous else 1
        decision = _as_attempt(decision, attempt, _why(attempt, previous, lag_refused))
        if dry_run:
            return RetryOutcome(RetryKind.WOULD_START, decision, attempt)
        claimed = (
            self.ledger.reopen_failed(event, decision, attempt)
            if previous
            else self.ledger.claim(event, decision, attempt)
        )
        if not claimed:
            return RetryOutcome(RetryKind.TAKEN, decision, attempt)
        copy_job_id = self.copies.start_claimed(decision, attempt)
        return RetryOutcome(RetryKind.STARTED, decision, attempt, copy_job_id)

    def _lag_refused(self, failed: dict[str, LedgerEntry]) -> bool:
        entry = failed.get(self.settings.lag_vault.vault_arn)
        return entry is not None and entry.reason == FailureKind.LAG_REJECTED.value


def _as_attempt(decision: CopyDecision, attempt: int, why: str) -> CopyDecision:
    """The same copy as ``attempt``: its own IdempotencyToken (decide() made attempt 1's)."""
    request = decision.request.copy()
    request["IdempotencyToken"] = idempotency_token(
        decision.recovery_point_arn, request["DestinationBackupVaultArn"], attempt
    )
    return replace(decision, explanation=why, request=request)


def _why(attempt: int, previous: LedgerEntry | None, lag_refused: bool) -> str:
    why = f"operator retry, attempt {attempt}"
    if previous is not None:
        why += f", after {previous.reason}"
    if lag_refused:
        why += "; the LAG vault refused this recovery point before"
    return why
