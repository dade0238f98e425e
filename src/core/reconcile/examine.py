"""One recovery point, as the reconciler sees it: where it stands, and what to do about it.

- Nothing in the ledger explains it (its event was lost, dropped or parked): run the live copy
  path on it (``RecoveryPointCopier``: the same decision, the ledger claim and the deterministic
  IdempotencyToken, so a point the live handler is copying right now is not copied twice).
- A copy in flight: ask ``DescribeCopyJob``; a job that finished while its event was lost is
  handed to ``TrackingService`` exactly as its event would have been (key check, retry,
  fallback, alert). A job still running stays in flight; the stuck report covers it.
- Failed, with a retrier (``copyctl reconcile --retry-failed`` only): a new attempt
  (``core.operator_retry.retry_failed``).
- Anything else is explained by the ledger and reported as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from core.copying.copy_service import OutcomeKind, RecoveryPointCopier
from core.copying.decision import screen_event, screen_recovery_point
from core.kernel.config import Settings
from core.kernel.copy_jobs import CopyJobFacts, CopyJobState, CopyJobUpdate
from core.kernel.errors import OrchestratorError
from core.kernel.ledger_states import LedgerEntry
from core.kernel.models import SkipDecision
from core.kernel.ports import CopyJobPort
from core.kernel.recovery_points import ListedRecoveryPoint, as_event
from core.operator_retry.retry_failed import FailedCopyRetrier, RetryKind
from core.reconcile.coverage import (
    NO_TARGET,
    Action,
    Finding,
    Judgement,
    Standing,
    judge,
    standing_for_skip,
)
from core.reconcile.ports import CopyTrackingPort, LedgerLookupPort
from core.tracking.next_attempt import route_for_vault

_FINISHED_JOB_STATES = frozenset(
    {CopyJobState.COMPLETED, CopyJobState.FAILED, CopyJobState.PARTIAL}
)


class Mode(StrEnum):
    STATUS = "status"  # read the ledger only
    PLAN = "plan"  # and decide what would be copied (DescribeRecoveryPoint); no write
    HEAL = "heal"  # and copy, and settle copy jobs that finished unnoticed


@dataclass
class RecoveryPointExaminer:
    settings: Settings
    ledger: LedgerLookupPort
    copies: RecoveryPointCopier
    jobs: CopyJobPort | None = None  # HEAL only
    tracking: CopyTrackingPort | None = None  # HEAL only
    retries: FailedCopyRetrier | None = None  # copyctl reconcile --retry-failed only

    def examine(self, point: ListedRecoveryPoint, mode: Mode) -> Finding:
        judgement = judge(self.ledger.entries_for(point.arn))
        if mode is Mode.STATUS:
            return self._status(point, judgement)
        if judgement.standing is Standing.UNPROTECTED:
            return self._plan(point) if mode is Mode.PLAN else self._protect(point)
        if judgement.standing is Standing.IN_FLIGHT and mode is Mode.HEAL:
            return self._settle(point, judgement)
        if judgement.standing is Standing.FAILED and self.retries is not None:
            return self._retry(point, judgement, self.retries, dry_run=mode is Mode.PLAN)
        return self._as_judged(point, judgement)

    def _status(self, point: ListedRecoveryPoint, judgement: Judgement) -> Finding:
        if judgement.standing is Standing.UNPROTECTED and (skip := self._screen(point)):
            return self._skipped(point, skip)
        return self._as_judged(point, judgement)

    def _screen(self, point: ListedRecoveryPoint) -> SkipDecision | None:
        """The skips the decision makes without any AWS call (continuous, not copyable, …)."""
        event = as_event(point, self.settings)
        return screen_event(event, self.settings) or screen_recovery_point(
            event, point.arn, self.settings
        )

    def _plan(self, point: ListedRecoveryPoint) -> Finding:
        decision = self.copies.plan_recovery_point(as_event(point, self.settings), point.arn)
        if isinstance(decision, SkipDecision):
            return self._skipped(point, decision)
        return Finding(
            point,
            Standing.UNPROTECTED,
            decision.target_label,
            decision.reason.value,
            decision.explanation,
            Action.WOULD_COPY,
            request=decision.request,
        )

    def _protect(self, point: ListedRecoveryPoint) -> Finding:
        outcome = self.copies.protect_recovery_point(as_event(point, self.settings), point.arn)
        decision = outcome.decision
        if isinstance(decision, SkipDecision):  # OutcomeKind.SKIPPED
            return self._skipped(point, decision)
        if outcome.kind is OutcomeKind.ALREADY_CLAIMED:
            # The live handler got there first (or a copy was claimed and is resuming).
            return self._as_judged(point, judge(self.ledger.entries_for(point.arn)))
        return Finding(
            point,
            Standing.IN_FLIGHT,
            decision.target_label,
            decision.reason.value,
            decision.explanation,
            Action.COPY_STARTED,
            copy_job_id=outcome.copy_job_id,
        )

    def _retry(
        self,
        point: ListedRecoveryPoint,
        judgement: Judgement,
        retries: FailedCopyRetrier,
        *,
        dry_run: bool,
    ) -> Finding:
        event = as_event(point, self.settings)
        outcome = retries.retry(event, point.arn, judgement.entries, dry_run=dry_run)
        decision = outcome.decision
        if isinstance(decision, SkipDecision):  # RetryKind.NOT_COPYABLE
            explanation = f"not retried: {decision.explanation}"
            return replace(self._as_judged(point, judgement), explanation=explanation)
        if outcome.kind is RetryKind.TAKEN:
            return self._as_judged(point, judge(self.ledger.entries_for(point.arn)))
        started = outcome.kind is RetryKind.STARTED
        return Finding(
            point,
            Standing.IN_FLIGHT if started else Standing.FAILED,
            decision.target_label,
            decision.reason.value,
            decision.explanation,
            Action.RETRY_STARTED if started else Action.WOULD_RETRY,
            copy_job_id=outcome.copy_job_id,
            request=None if started else decision.request,
        )

    def _settle(self, point: ListedRecoveryPoint, judgement: Judgement) -> Finding:
        settled = [entry for entry in judgement.in_flight if self._settle_entry(point, entry)]
        if not settled:
            return self._as_judged(point, judgement)
        finding = self._as_judged(point, judge(self.ledger.entries_for(point.arn)))
        return replace(finding, action=Action.SETTLED)

    def _settle_entry(self, point: ListedRecoveryPoint, entry: LedgerEntry) -> bool:
        """Track a copy job that finished while its event was lost; False when none did."""
        if entry.copy_job_id is None or self.jobs is None or self.tracking is None:
            return False
        try:
            job = self.jobs.describe_copy_job(entry.copy_job_id)
        except OrchestratorError:
            # e.g. a job record past its 30-day expiry: leave it to the stuck report.
            return False
        state = _job_state(job)
        if state not in _FINISHED_JOB_STATES:
            return False
        self.tracking.track(self._update(point, entry, job, state))
        return True

    def _update(
        self, point: ListedRecoveryPoint, entry: LedgerEntry, job: CopyJobFacts, state: CopyJobState
    ) -> CopyJobUpdate:
        """The "Copy Job State Change" event AWS did not deliver, rebuilt from DescribeCopyJob."""
        return CopyJobUpdate(
            copy_job_id=job.copy_job_id,
            state=state,
            account=self.settings.account_id,
            region=self.settings.region,
            source_recovery_point_arn=point.arn,
            source_vault_arn=point.vault_arn,
            destination_vault_arn=entry.destination_vault_arn,
            destination_recovery_point_arn=job.destination_recovery_point_arn,
            status_message=job.status_message,
            resource_type=entry.resource_type or point.resource_type,
            resource_arn=entry.resource_arn or point.resource_arn,
            backup_plan_id=entry.backup_plan_id,
        )

    def _skipped(self, point: ListedRecoveryPoint, decision: SkipDecision) -> Finding:
        standing = standing_for_skip(decision.reason)
        return Finding(
            point, standing, NO_TARGET, decision.reason.value, decision.explanation, Action.NONE
        )

    def _as_judged(self, point: ListedRecoveryPoint, judgement: Judgement) -> Finding:
        entry = judgement.entry
        if entry is None:
            return Finding(
                point,
                Standing.UNPROTECTED,
                NO_TARGET,
                "no-ledger-entry",
                "no copy or skip is recorded (its event was lost, or is still on its way)",
            )
        return Finding(
            point,
            judgement.standing,
            self._target(entry.destination_vault_arn),
            entry.reason,
            entry.explanation or "",
            copy_job_id=entry.copy_job_id,
            entry=entry,
        )

    def _target(self, destination_vault_arn: str) -> str:
        route = route_for_vault(destination_vault_arn, self.settings)
        return route.target.value if route else NO_TARGET


def _job_state(job: CopyJobFacts) -> CopyJobState | None:
    try:
        return CopyJobState(job.state)
    except ValueError:
        return None
