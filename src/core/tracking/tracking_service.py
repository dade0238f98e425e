"""A copy job changed state → the ledger knows whether its recovery point is really protected.

- CREATED / RUNNING: PLANNED → STARTED, recording the copy job id if the copy handler could not.
- COMPLETED: verify the key the copy ended under → PROTECTED, or KEY_DEPENDENT: the next
  placement when one is left (a same-Region service-key copy → the DR Region's), else an alert.
- FAILED: classify → retry (attempt + 1, bounded by MAX_COPY_ATTEMPTS), fall back from the LAG
  vault to the managed-key vault, or FAILED with an alert.

Events arrive at least once and out of order, so every step reads the entry, decides, and writes
conditionally on what it read: a duplicate, a COMPLETED before STARTED, a FAILED after COMPLETED
or a late event of an earlier attempt all leave the ledger correct.

Retry timing: a transient failure (quota, throttling, system error) is retried with exponential
backoff (``core.kernel.retry_delay``): the failure is noted in the ledger and the outcome is
BACKING_OFF with the delay, which the handler waits out in the tracking queue; the redelivery
starts the next attempt. AWS Backup has already retried system errors for up to 2 hours before it
reports FAILED (recov-point-create-a-copy.html, "Copy job retry"), so the delays stay short
(minutes). A retention failure (new lifecycle) and the LAG fallback start at once: waiting would
not change their outcome. Throttling of the StartCopyJob call itself is a ``RetryableError`` that
SQS redelivers after the visibility timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from core.copying.copy_service import RecoveryPointCopier
from core.copying.decision import fallback_from_lag
from core.kernel.alerts import AlertKind, alert_for_entry
from core.kernel.arns import parse_arn
from core.kernel.config import Settings
from core.kernel.copy_jobs import CopyJobState, CopyJobUpdate, CopyResult
from core.kernel.errors import RetryableError
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.kernel.models import (
    CopyDecision,
    Decision,
    Origin,
    RecoveryPointEvent,
    RecoveryPointFacts,
    SkipDecision,
    Target,
)
from core.kernel.ports import AlertPort, TrackingBackupPort, TrackingLedgerPort
from core.kernel.retry_delay import Delivery, must_wait, retry_delay_seconds
from core.tracking.failure_kinds import FailureKind, classify_failure
from core.tracking.key_verification import KeyVerdict, KeyVerifier
from core.tracking.next_attempt import (
    FALLBACK_AFTER_KEY_DEPENDENT,
    Route,
    key_dependent_fallback,
    next_placement,
    retry_decision,
    route_for_vault,
    with_live_retention,
)


class TrackingOutcomeKind(StrEnum):
    NOT_A_DESTINATION = "not-a-destination"  # a copy into a vault the orchestrator does not own
    UNKNOWN_COPY = "unknown-copy"  # no ledger entry: a copy the orchestrator did not start
    NOTED = "noted"  # nothing to record (a CREATED event carries no copy job id)
    STARTED = "started"
    DUPLICATE = "duplicate"
    STALE = "stale"  # an event of an earlier attempt, or after the entry was settled
    PROTECTED = "protected"
    KEY_DEPENDENT = "key-dependent"
    BACKING_OFF = "backing-off"  # a transient failure noted; the retry waits in the queue
    RETRIED = "retried"
    FELL_BACK = "fell-back"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TrackingOutcome:
    kind: TrackingOutcomeKind
    target: str
    resource_type: str
    reason: str = ""
    failure: FailureKind | None = None
    next_copy_job_id: str | None = None
    retry_after_seconds: int | None = None  # BACKING_OFF: deliver the event again this much later


@dataclass
class TrackingService:
    settings: Settings
    backup: TrackingBackupPort
    ledger: TrackingLedgerPort
    copies: RecoveryPointCopier
    keys: KeyVerifier
    alerts: AlertPort

    def track(self, update: CopyJobUpdate, delivery: Delivery = Delivery.DIRECT) -> TrackingOutcome:
        """``delivery``: can a transient failure's retry wait in a queue (see retry_delay)."""
        route = self._route(update)
        if route is None:
            return _outcome(update, None, TrackingOutcomeKind.NOT_A_DESTINATION)
        entry = self.ledger.get(update.source_recovery_point_arn, update.destination_vault_arn)
        if update.state is CopyJobState.COMPLETED:
            return self._completed(update, route, entry)
        if update.state.is_failure:
            return self._failed(update, route, entry, delivery)
        return self._progressed(update, route, entry)

    # --- CREATED / RUNNING ----------------------------------------------------------------

    def _progressed(
        self, update: CopyJobUpdate, route: Route, entry: LedgerEntry | None
    ) -> TrackingOutcome:
        job = update.copy_job_id
        if entry is None:
            return _outcome(update, route, TrackingOutcomeKind.UNKNOWN_COPY)
        if entry.state.is_final:
            return _outcome(update, route, TrackingOutcomeKind.STALE)
        if job is None:
            return _outcome(update, route, TrackingOutcomeKind.NOTED)
        if entry.copy_job_id == job:
            return _outcome(update, route, TrackingOutcomeKind.DUPLICATE)
        if entry.copy_job_id is not None or entry.last_failed_copy_job_id == job:
            return _outcome(update, route, TrackingOutcomeKind.STALE)
        recorded = self.ledger.record_running(entry, job)
        kind = TrackingOutcomeKind.STARTED if recorded else TrackingOutcomeKind.STALE
        return _outcome(update, route, kind)

    # --- COMPLETED ----------------------------------------------------------------------

    def _completed(
        self, update: CopyJobUpdate, route: Route, entry: LedgerEntry | None
    ) -> TrackingOutcome:
        if entry is not None and entry.state.is_final:
            self._resend_owed_alert(entry)
            return _outcome(update, route, TrackingOutcomeKind.DUPLICATE)
        verdict = self.keys.verify(update)
        if not verdict.independent and entry is not None:
            fell_back = self._next_placement(update, route, entry, verdict)
            if fell_back is not None:
                return fell_back
        result = CopyResult(
            state=LedgerState.PROTECTED if verdict.independent else LedgerState.KEY_DEPENDENT,
            reason=verdict.reason.value,
            explanation=verdict.explanation,
            copy_job_id=update.copy_job_id,
            destination_recovery_point_arn=update.destination_recovery_point_arn,
            destination_key_arn=verdict.key_arn,
            pending_alert=None if verdict.independent else AlertKind.KEY_DEPENDENT.value,
        )
        if not self.ledger.record_copy_result(update, result):
            return _outcome(update, route, TrackingOutcomeKind.DUPLICATE)
        self._send_owed_alert(update.source_recovery_point_arn, update.destination_vault_arn)
        kind = (
            TrackingOutcomeKind.PROTECTED
            if verdict.independent
            else TrackingOutcomeKind.KEY_DEPENDENT
        )
        return _outcome(update, route, kind, reason=verdict.reason.value)

    def _next_placement(
        self, update: CopyJobUpdate, route: Route, entry: LedgerEntry, verdict: KeyVerdict
    ) -> TrackingOutcome | None:
        """A key-dependent copy with a placement left: copy there, settle this one without an
        alert (the recovery point is not given up). None when no placement is left."""
        placement = next_placement(route, self.settings)
        if placement is None:
            return None
        source, facts = self._source_and_facts(update, entry)
        decision = key_dependent_fallback(source, facts, placement, self.settings)
        if not isinstance(decision, CopyDecision):
            return None  # the source can no longer be copied: the key-dependent alert says so
        # Start first, then settle (as _fall_back): a crash in between is redelivered, and the
        # next placement's ledger claim stops a second copy.
        started = self.copies.start_copy(source, decision, attempt=1)
        result = CopyResult(
            state=LedgerState.KEY_DEPENDENT,
            reason=FALLBACK_AFTER_KEY_DEPENDENT,
            explanation=(
                f"{verdict.explanation}; copied to "
                f"{decision.request['DestinationBackupVaultArn']} instead"
            ),
            copy_job_id=update.copy_job_id,
            destination_recovery_point_arn=update.destination_recovery_point_arn,
            destination_key_arn=verdict.key_arn,
        )
        if not self.ledger.record_copy_result(update, result):
            return _outcome(update, route, TrackingOutcomeKind.DUPLICATE)
        return _outcome(
            update,
            route,
            TrackingOutcomeKind.FELL_BACK,
            reason=FALLBACK_AFTER_KEY_DEPENDENT,
            next_copy_job_id=started.copy_job_id,
        )

    # --- FAILED -------------------------------------------------------------------------

    def _failed(
        self, update: CopyJobUpdate, route: Route, entry: LedgerEntry | None, delivery: Delivery
    ) -> TrackingOutcome:
        if entry is None:
            return _outcome(update, route, TrackingOutcomeKind.UNKNOWN_COPY)
        if entry.state.is_final:  # e.g. a FAILED after a COMPLETED, or a duplicate
            self._resend_owed_alert(entry)
            return _outcome(update, route, TrackingOutcomeKind.STALE)
        if entry.state is LedgerState.PLANNED:
            return self._failed_before_started(update, route, entry)
        if entry.copy_job_id not in (None, update.copy_job_id):
            return _outcome(update, route, TrackingOutcomeKind.STALE)
        facts = self.backup.describe_copy_job(_job_id(update))
        message = update.status_message or facts.status_message or "no status message"
        kind = classify_failure(message, facts.message_category)
        failure = _Failure(update, route, entry, kind, message, facts.delete_after_days, delivery)
        return self._act_on(failure)

    def _failed_before_started(
        self, update: CopyJobUpdate, route: Route, entry: LedgerEntry
    ) -> TrackingOutcome:
        if entry.last_failed_copy_job_id != update.copy_job_id:
            # An attempt is claimed but its job not recorded yet: this event may be about that
            # job, which only the ledger can tell later. SQS redelivers it.
            raise RetryableError(
                "copy-not-recorded", f"copy job {update.copy_job_id}: attempt not started yet"
            )
        # The redelivery of a FAILED whose retry was claimed but not started: start it again
        # (same attempt, same idempotency token).
        kind = FailureKind(entry.last_failure_kind or FailureKind.TRANSIENT.value)
        message = update.status_message or "retry resumed"
        return self._retry(_Failure(update, route, entry, kind, message, None), entry.attempts)

    def _act_on(self, failure: _Failure) -> TrackingOutcome:
        kind, attempts = failure.kind, failure.entry.attempts
        if kind is FailureKind.LAG_REJECTED and failure.route.target is Target.LAG:
            return self._fall_back(failure)
        if not kind.is_retryable:
            return self._give_up(failure, kind.value, failure.message)
        if attempts >= self.settings.max_copy_attempts:
            limit = self.settings.max_copy_attempts
            why = f"{failure.message} (attempt {attempts} of {limit})"
            return self._give_up(failure, "retries-exhausted", why)
        if not self.ledger.note_failure(
            failure.entry, _job_id(failure.update), kind.value, failure.message
        ):
            return _outcome(failure.update, failure.route, TrackingOutcomeKind.STALE)
        if kind is FailureKind.TRANSIENT and failure.must_wait:
            return self._back_off(failure)
        return self._retry(failure, attempts + 1)

    def _back_off(self, failure: _Failure) -> TrackingOutcome:
        """The retry of a transient failure waits: the event comes back after the delay."""
        delay = retry_delay_seconds(
            failure.entry.attempts,
            base=self.settings.retry_base_delay_seconds,
            cap=self.settings.retry_max_delay_seconds,
        )
        outcome = failure.outcome(TrackingOutcomeKind.BACKING_OFF, None)
        # Counted as a failure once, when it is acted on (retried, or failed for good).
        return replace(outcome, failure=None, retry_after_seconds=delay)

    def _retry(self, failure: _Failure, attempt: int) -> TrackingOutcome:
        source, decision = self._next_attempt(failure, attempt)
        if isinstance(decision, SkipDecision):
            return self._give_up(failure, decision.reason.value, decision.explanation)
        retention = decision.request["Lifecycle"]["DeleteAfterDays"]
        if failure.kind is FailureKind.RETENTION_OUT_OF_RANGE and (
            retention == failure.failed_delete_after_days
        ):
            why = f"{failure.message} (the vault's own range gives the same {retention} days)"
            return self._give_up(failure, "retention-unfixable", why)
        started = self.copies.start_copy(source, decision, attempt)
        return failure.outcome(TrackingOutcomeKind.RETRIED, started.copy_job_id)

    def _fall_back(self, failure: _Failure) -> TrackingOutcome:
        """LAG refused the recovery point: copy it to the managed-key vault instead."""
        source, facts = self._source_and_facts(failure.update, failure.entry)
        decision = fallback_from_lag(source, facts, self.settings, attempt=1)
        if isinstance(decision, SkipDecision):
            return self._give_up(failure, decision.reason.value, decision.explanation)
        # Start first, then settle the LAG entry: a crash in between is redelivered, and the
        # fallback's ledger claim stops a second copy.
        started = self.copies.start_copy(source, decision, attempt=1)
        fallback_vault = decision.request["DestinationBackupVaultArn"]
        result = CopyResult(
            state=LedgerState.FAILED,
            reason=failure.kind.value,
            explanation=f"{failure.message}; copied to {fallback_vault} instead",
            copy_job_id=failure.update.copy_job_id,
            failure_kind=failure.kind.value,
        )
        self.ledger.record_copy_result(failure.update, result)
        return failure.outcome(TrackingOutcomeKind.FELL_BACK, started.copy_job_id)

    def _give_up(self, failure: _Failure, reason: str, explanation: str) -> TrackingOutcome:
        result = CopyResult(
            state=LedgerState.FAILED,
            reason=reason,
            explanation=explanation,
            copy_job_id=failure.update.copy_job_id,
            failure_kind=failure.kind.value,
            pending_alert=AlertKind.COPY_FAILED.value,
        )
        if not self.ledger.record_copy_result(failure.update, result):
            return _outcome(failure.update, failure.route, TrackingOutcomeKind.STALE)
        entry = failure.entry
        self._send_owed_alert(entry.recovery_point_arn, entry.destination_vault_arn)
        return _outcome(
            failure.update,
            failure.route,
            TrackingOutcomeKind.FAILED,
            reason=reason,
            failure=failure.kind,
        )

    def _next_attempt(self, failure: _Failure, attempt: int) -> tuple[RecoveryPointEvent, Decision]:
        source, facts = self._source_and_facts(failure.update, failure.entry)
        route, why = failure.route, f"attempt {attempt} after {failure.kind.value}"
        if failure.kind is FailureKind.RETENTION_OUT_OF_RANGE and self._is_home(route):
            # The configured range did not match the vault's: use the range the vault enforces.
            # (A DR Region's vault keeps the configured range: this Region's client cannot read
            # it, and the retry gives up as retention-unfixable if that changes nothing.)
            route = with_live_retention(
                route, self.backup.vault_retention(route.destination.vault_name)
            )
            why += " with the vault's own retention range"
        decision = retry_decision(source, facts, route, self.settings, attempt=attempt, why=why)
        return source, decision

    def _is_home(self, route: Route) -> bool:
        vault = parse_arn(route.destination.vault_arn, field="vault")
        return (vault.account, vault.region) == (self.settings.account_id, self.settings.region)

    def _source_and_facts(
        self, update: CopyJobUpdate, entry: LedgerEntry
    ) -> tuple[RecoveryPointEvent, RecoveryPointFacts]:
        """The copy's source, as its backup event, and DescribeRecoveryPoint's answer now."""
        source = _source_event(update, entry)
        facts = self.backup.describe_recovery_point(
            source.vault_name, update.source_recovery_point_arn
        )
        return source, facts

    # --- alerts -------------------------------------------------------------------------

    def _send_owed_alert(self, recovery_point_arn: str, destination_vault_arn: str) -> None:
        """Send the alert an entry owes exactly once: taken from the ledger, put back on failure."""
        owing = self.ledger.take_pending_alert(recovery_point_arn, destination_vault_arn)
        if owing is None or owing.pending_alert is None:
            return
        alert = alert_for_entry(owing, AlertKind(owing.pending_alert), self.settings.region)
        try:
            self.alerts.publish(alert)
        except Exception:
            self.ledger.restore_pending_alert(owing)
            raise

    def _resend_owed_alert(self, entry: LedgerEntry) -> None:
        if entry.pending_alert is not None:
            self._send_owed_alert(entry.recovery_point_arn, entry.destination_vault_arn)

    def _route(self, update: CopyJobUpdate) -> Route | None:
        """The destination of a copy this stack started: from one of its own source vaults (a
        primary's cross-Region copy into the DR stack's service-key vault may also reach the DR
        Region's bus; it is the primary's to track, not the DR stack's)."""
        home = (self.settings.account_id, self.settings.region)
        if (update.account, update.region) != home:
            return None
        source = parse_arn(update.source_vault_arn, field="sourceBackupVaultArn")
        if (source.account, source.region) != home:
            return None
        return route_for_vault(update.destination_vault_arn, self.settings)


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failed copy job of the current attempt, with what is known about why."""

    update: CopyJobUpdate
    route: Route
    entry: LedgerEntry
    kind: FailureKind
    message: str
    failed_delete_after_days: int | None  # the retention the failed job asked for
    delivery: Delivery = Delivery.DIRECT

    @property
    def must_wait(self) -> bool:
        noted = self.entry.last_failed_copy_job_id == self.update.copy_job_id
        return must_wait(self.delivery, failure_already_noted=noted)

    def outcome(self, kind: TrackingOutcomeKind, next_copy_job_id: str | None) -> TrackingOutcome:
        return _outcome(
            self.update,
            self.route,
            kind,
            reason=self.kind.value,
            failure=self.kind,
            next_copy_job_id=next_copy_job_id,
        )


def _source_event(update: CopyJobUpdate, entry: LedgerEntry) -> RecoveryPointEvent:
    """The source recovery point, as the copy path needs it to claim and start another copy."""
    return RecoveryPointEvent(
        origin=Origin.BACKUP_JOB,  # how it reached the source vault no longer matters here
        job_id=f"copy-job:{update.copy_job_id}",
        state="COMPLETED",
        account=update.account,
        region=update.region,
        vault_name=update.source_vault_name,
        vault_arn=update.source_vault_arn,
        resource_arn=entry.resource_arn or update.resource_arn or update.source_recovery_point_arn,
        resource_type=entry.resource_type or update.resource_type or "unknown",
        recovery_point_arn=update.source_recovery_point_arn,
        backup_plan_id=entry.backup_plan_id,
        parent_job_id=None,
        creation_date=None,
        size_in_bytes=None,
    )


def _job_id(update: CopyJobUpdate) -> str:
    if update.copy_job_id is None:
        raise ValueError("a failed copy job event always names its copy job")
    return update.copy_job_id


def _outcome(
    update: CopyJobUpdate,
    route: Route | None,
    kind: TrackingOutcomeKind,
    *,
    reason: str = "",
    failure: FailureKind | None = None,
    next_copy_job_id: str | None = None,
) -> TrackingOutcome:
    return TrackingOutcome(
        kind=kind,
        target=route.target.value if route else "none",
        resource_type=update.resource_type or "unknown",
        reason=reason or kind.value,
        failure=failure,
        next_copy_job_id=next_copy_job_id,
    )
