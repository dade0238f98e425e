"""The use case: from a recovery point that landed in a vault to one copy job, or an explained skip.

``RecoveryPointCopier`` copies a recovery point whose ARN is known: the reconciler and the key guard
(a listed recovery point always has one), tracking's retries and ``copyctl``. ``CopyService`` is the
live path, holding a copier: a completed backup job's event may not name its recovery point, and
DescribeBackupJob then does. Keeping that lookup out of ``RecoveryPointCopier`` keeps it out of
the code, and so out of the IAM role, of the functions that never need it. Both talk to AWS only
through the ports, so they run the same against AWS, the emulator and test doubles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.copying.decision import (
    decide_screened,
    screen_event,
    screen_recovery_point,
    skip_from_facts,
)
from core.kernel.config import Settings
from core.kernel.copy_jobs import KeyManager
from core.kernel.errors import PermanentError, RetryableError
from core.kernel.lag_plans import LagOptIn, PlanIdentity, lag_opt_in, needs_lookup
from core.kernel.ledger_states import state_for_skip
from core.kernel.models import CopyDecision, Decision, Origin, RecoveryPointEvent, SkipDecision
from core.kernel.ports import BackupPort, KeyPort, LedgerPort, RecoveryPointBackupPort


class OutcomeKind(StrEnum):
    COPY_STARTED = "copy-started"
    ALREADY_CLAIMED = "already-claimed"  # a delivery before this one started (or finished) it
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    decision: Decision
    copy_job_id: str | None = None


@dataclass
class RecoveryPointCopier:
    settings: Settings
    backup: RecoveryPointBackupPort
    ledger: LedgerPort
    keys: KeyPort | None = None  # None: source keys are not looked up (copyctl plan)
    _plans: dict[str, PlanIdentity] = field(
        default_factory=dict
    )  # per container, plans rarely change
    _key_managers: dict[str, KeyManager | None] = field(default_factory=dict)  # keys never move

    def protect_recovery_point(self, event: RecoveryPointEvent, recovery_point_arn: str) -> Outcome:
        screened = screen_event(event, self.settings)
        if screened is not None:
            return self.record_skip(event, screened)
        return self.protect_screened(event, recovery_point_arn)

    def plan_recovery_point(
        self, event: RecoveryPointEvent, recovery_point_arn: str, *, lag_allowed: bool = True
    ) -> Decision:
        """The decision ``protect_recovery_point`` would act on, without a copy or a ledger write.

        ``lag_allowed=False``: decide as if the plan did not opt into LAG (the LAG vault refused
        this recovery point before).
        """
        return screen_event(event, self.settings) or self.plan_screened(
            event, recovery_point_arn, lag_allowed=lag_allowed
        )

    def start_copy(
        self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int
    ) -> Outcome:
        """Claim the (recovery point, destination) in the ledger, then start the copy job."""
        if not self.ledger.claim(event, decision, attempt):
            return Outcome(OutcomeKind.ALREADY_CLAIMED, decision)
        return Outcome(OutcomeKind.COPY_STARTED, decision, self.start_claimed(decision, attempt))

    def start_claimed(self, decision: CopyDecision, attempt: int) -> str:
        """StartCopyJob for an attempt the caller has claimed in the ledger; its copy job id."""
        try:
            copy_job_id = self.backup.start_copy_job(decision.request)
        except PermanentError as error:
            # Without this the entry would stay PLANNED and look in flight forever.
            self.ledger.mark_start_failed(decision, attempt, error.reason, error.message)
            raise
        except RetryableError:
            # The record is redelivered; without this, a redelivery sooner than the claim's lease
            # would find the claim and drop the record as "already claimed" without a copy.
            self.ledger.release_claim(decision, attempt)
            raise
        self.ledger.mark_started(decision, copy_job_id, attempt)
        return copy_job_id

    def source_key_manager(self, key_arn: str | None) -> KeyManager | None:
        """Who manages the source's key: one DescribeKey per key and container."""
        if self.keys is None or key_arn is None:
            return None
        if key_arn not in self._key_managers:
            self._key_managers[key_arn] = self.keys.key_manager(key_arn)
        return self._key_managers[key_arn]

    def lag_opt_in(self, event: RecoveryPointEvent) -> LagOptIn:
        """Whether the recovery point follows the LAG opt-in: by its vault, else by its plan.

        A vault of LAG_SOURCE_VAULT_NAMES decides without a plan lookup (its plan may be another
        Region's); otherwise one GetBackupPlan per plan and container, when a name or tag
        selector needs the plan's name or tags.
        """
        settings, plan_id = self.settings, event.backup_plan_id
        plan = None if plan_id is None else PlanIdentity(plan_id)
        vault_decides = event.vault_name in settings.lag_source_vault_names
        if plan_id is not None and not vault_decides and needs_lookup(settings.lag_plans, plan_id):
            if plan_id not in self._plans:
                self._plans[plan_id] = self.backup.plan_identity(plan_id)
            plan = self._plans[plan_id]
        return lag_opt_in(
            event.vault_name, settings.lag_source_vault_names, settings.lag_plans, plan
        )

    def protect_screened(self, event: RecoveryPointEvent, recovery_point_arn: str) -> Outcome:
        """``protect_recovery_point`` of an event that passed ``screen_event``."""
        match self.plan_screened(event, recovery_point_arn):
            case SkipDecision() as skip:
                return self.record_skip(event, skip)
            case CopyDecision() as copy:
                return self.start_copy(event, copy, attempt=1)

    def plan_screened(
        self, event: RecoveryPointEvent, recovery_point_arn: str, *, lag_allowed: bool = True
    ) -> Decision:
        """``plan_recovery_point`` of an event that passed ``screen_event``."""
        screened = screen_recovery_point(event, recovery_point_arn, self.settings)
        if screened is not None:
            return screened
        facts = self.backup.describe_recovery_point(event.vault_name, recovery_point_arn)
        # A recovery point skipped for what it is (cold, still being created, ...) needs no plan
        # lookup and no DescribeKey; screened once here, not again in the decision.
        skipped = skip_from_facts(event, facts)
        if skipped is not None:
            return skipped
        # lag_allowed=False (the LAG vault refused this recovery point): no opt-in counts.
        opt_in = self.lag_opt_in(event) if lag_allowed else LagOptIn(False)
        return decide_screened(
            event,
            facts,
            opt_in.uses_lag,
            self.settings,
            source_key_manager=self.source_key_manager(facts.encryption_key_arn),
            lag_why=opt_in.why,
        )

    def record_skip(self, event: RecoveryPointEvent, decision: SkipDecision) -> Outcome:
        """The skip, recorded once in the ledger with its reason."""
        self.ledger.record_final(event, decision, state_for_skip(decision.reason))
        return Outcome(OutcomeKind.SKIPPED, decision)


@dataclass
class CopyService:
    """The live copy path: the event of a completed backup or copy job.

    It finds the recovery point a backup job's event does not name, and hands the rest to its
    ``copier`` (built from the same ports: ``backup`` is the copier's too).
    """

    settings: Settings
    backup: BackupPort
    ledger: LedgerPort
    keys: KeyPort | None = None  # None: source keys are not looked up (copyctl plan)
    copier: RecoveryPointCopier = field(init=False)

    def __post_init__(self) -> None:
        self.copier = RecoveryPointCopier(self.settings, self.backup, self.ledger, self.keys)

    def protect(self, event: RecoveryPointEvent) -> Outcome:
        screened = screen_event(event, self.settings)
        if screened is not None:
            # Before the recovery point is looked up: a skipped event costs no AWS call.
            return self.copier.record_skip(event, screened)
        return self.copier.protect_screened(event, self._recovery_point_arn(event))

    def plan(self, event: RecoveryPointEvent) -> Decision:
        """The decision ``protect`` would act on, without starting a copy or writing the ledger."""
        return screen_event(event, self.settings) or self.copier.plan_screened(
            event, self._recovery_point_arn(event)
        )

    def _recovery_point_arn(self, event: RecoveryPointEvent) -> str:
        if event.recovery_point_arn is not None:
            return event.recovery_point_arn
        if event.origin is Origin.BACKUP_JOB:
            return self.backup.recovery_point_of_job(event.job_id)
        # A completed copy job always names its destination recovery point (events.py checks it).
        raise ValueError(f"copy job {event.job_id} event has no destination recovery point")
