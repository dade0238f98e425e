"""Small in-memory doubles of the ports, and builders for the domain values the tests feed them.

``FakeBackup`` counts calls under the AWS API names the real adapter would make, so a test can
assert what a decision costs. ``FakeLedger`` keeps the ledger's rules
(``core.kernel.ledger_states`` and the claim and reopen rules of ``adapters.ledger``);
``tests/contract/test_ledger_adapter.py`` runs the same behaviour tests against it and against
DynamoDB, so the two cannot drift apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.kernel.config import Settings, load_settings
from core.kernel.lag_plans import PlanIdentity
from core.kernel.ledger_states import CLAIM_LEASE, LedgerEntry, LedgerState, can_transition
from core.kernel.models import (
    CopyDecision,
    Decision,
    Origin,
    RecoveryPointEvent,
    RecoveryPointFacts,
    SkipDecision,
    SourceLifecycle,
    StartCopyJobRequest,
    StorageClass,
)
from tests.samples import (
    ACCOUNT,
    LAG_PLAN_ID,
    REGION,
    SETTINGS_ENV,
    SOURCE_RETENTION_DAYS,
    vault_arn,
)

CREATED_AT = datetime(2026, 10, 5, 7, 20, 11, tzinfo=UTC)
EBS_SNAPSHOT = f"arn:aws:ec2:{REGION}::snapshot/snap-0123456789abcdef0"
EBS_VOLUME = f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0a1b2c3d4e5f60718"
NO_DESTINATION = "-"


def make_settings(**env: str) -> Settings:
    """The sample configuration, with some variables replaced."""
    return load_settings({**SETTINGS_ENV, **env})


def make_event(**changes: Any) -> RecoveryPointEvent:
    """A completed EBS backup in the ``daily`` vault, made by the LAG plan."""
    event = RecoveryPointEvent(
        origin=Origin.BACKUP_JOB,
        job_id="b1e0c4a2-7d3f-4c8e-9a61-2f5d8e0b7c13",
        state="COMPLETED",
        account=ACCOUNT,
        region=REGION,
        vault_name="daily",
        vault_arn=vault_arn("daily"),
        resource_arn=EBS_VOLUME,
        resource_type="EBS",
        recovery_point_arn=EBS_SNAPSHOT,
        backup_plan_id=LAG_PLAN_ID,
        parent_job_id=None,
        creation_date=CREATED_AT,
        size_in_bytes=8589934592,
    )
    if "vault_name" in changes and "vault_arn" not in changes:
        changes["vault_arn"] = vault_arn(changes["vault_name"])
    return replace(event, **changes)


def make_facts(arn: str = EBS_SNAPSHOT, **changes: Any) -> RecoveryPointFacts:
    """What DescribeRecoveryPoint says about a healthy warm recovery point kept 30 days."""
    facts = RecoveryPointFacts(
        arn=arn,
        status="COMPLETED",
        storage_class=StorageClass.WARM,
        lifecycle=SourceLifecycle(delete_after_days=30),
        creation_date=CREATED_AT,
        delete_at=CREATED_AT + timedelta(days=30),
        encryption_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        parent_recovery_point_arn=None,
        is_parent=False,
    )
    return replace(facts, **changes)


def facts_for_vault(vault_name: str, arn: str) -> RecoveryPointFacts:
    """Facts as the seed plans make them: the vault's rule decides the retention."""
    days = SOURCE_RETENTION_DAYS.get(vault_name, 30)
    return make_facts(
        arn,
        lifecycle=SourceLifecycle(delete_after_days=days),
        delete_at=CREATED_AT + timedelta(days=days),
    )


@dataclass
class FakeBackup:
    """``BackupPort`` in memory; ``calls`` counts AWS Backup API calls by their API name."""

    facts: dict[str, RecoveryPointFacts] = field(default_factory=dict)
    default_facts: Callable[[str, str], RecoveryPointFacts] = facts_for_vault
    jobs: dict[str, str] = field(default_factory=dict)  # backup job id -> recovery point ARN
    plans: dict[str, PlanIdentity] = field(default_factory=dict)
    start_errors: list[Exception] = field(default_factory=list)  # raised by the next starts
    calls: Counter[str] = field(default_factory=Counter)
    started: list[StartCopyJobRequest] = field(default_factory=list)

    def recovery_point_of_job(self, backup_job_id: str) -> str:
        self.calls["DescribeBackupJob"] += 1
        return self.jobs[backup_job_id]

    def describe_recovery_point(
        self, vault_name: str, recovery_point_arn: str
    ) -> RecoveryPointFacts:
        self.calls["DescribeRecoveryPoint"] += 1
        if recovery_point_arn in self.facts:
            return self.facts[recovery_point_arn]
        return self.default_facts(vault_name, recovery_point_arn)

    def start_copy_job(self, request: StartCopyJobRequest) -> str:
        self.calls["StartCopyJob"] += 1
        if self.start_errors:
            raise self.start_errors.pop(0)
        self.started.append(request)
        return f"copy-job-{len(self.started)}"

    def plan_identity(self, plan_id: str) -> PlanIdentity:
        # The real adapter makes two calls: GetBackupPlan, then ListTags on the plan's ARN.
        self.calls["GetBackupPlan"] += 1
        self.calls["ListTags"] += 1
        return self.plans.get(plan_id, PlanIdentity(plan_id, name=f"plan-{plan_id}", tags={}))


@dataclass
class ManualClock:
    """A clock the test moves: ``clock()`` is now, ``clock.advance(delta)`` lets time pass."""

    now: datetime = CREATED_AT

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class FakeLedger:
    """``LedgerPort`` in memory, keyed like the table: (recovery point, destination vault)."""

    entries: dict[tuple[str, str], LedgerEntry] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    released_claims: set[tuple[str, str]] = field(default_factory=set)

    def get(self, recovery_point_arn: str, destination_vault_arn: str) -> LedgerEntry | None:
        return self.entries.get((recovery_point_arn, destination_vault_arn))

    def claim(self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int) -> bool:
        self.calls["claim"] += 1
        request = decision.request
        key = (decision.recovery_point_arn, request["DestinationBackupVaultArn"])
        current = self.entries.get(key)
        allowed = (
            current is None
            or (
                current.state is LedgerState.PLANNED
                and current.attempts == attempt
                and (current.updated_at or self.clock()) < self.clock() - CLAIM_LEASE
            )
            or (
                current.state is LedgerState.PLANNED
                and current.attempts == attempt
                and key in self.released_claims
            )
            or (
                current.state in (LedgerState.PLANNED, LedgerState.STARTED)
                and current.attempts < attempt
            )
        )
        if allowed:
            self.released_claims.discard(key)
            self.entries[key] = LedgerEntry(
                recovery_point_arn=key[0],
                destination_vault_arn=key[1],
                state=LedgerState.PLANNED,
                reason=decision.reason.value,
                attempts=attempt,
                source_vault_name=request["SourceBackupVaultName"],
                resource_type=decision.resource_type,
                updated_at=self.clock(),
            )
        return allowed

    def reopen_failed(
        self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int
    ) -> bool:
        self.calls["reopen_failed"] += 1
        key = (decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        current = self.entries.get(key)
        if current is None or current.state is not LedgerState.FAILED:
            return False
        if current.attempts >= attempt:
            return False
        self.entries[key] = replace(
            current,
            state=LedgerState.PLANNED,
            reason=decision.reason.value,
            explanation=decision.explanation,
            attempts=attempt,
            copy_job_id=None,
            pending_alert=None,
            last_failed_copy_job_id=None,
            last_failure_kind=None,
        )
        return True

    def mark_started(self, decision: CopyDecision, copy_job_id: str, attempt: int) -> None:
        self.calls["mark_started"] += 1
        key = (decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        current = self.entries.get(key)
        if (
            current is not None
            and current.attempts == attempt
            and can_transition(current.state, LedgerState.STARTED)
        ):
            self.entries[key] = replace(current, state=LedgerState.STARTED, copy_job_id=copy_job_id)

    def release_claim(self, decision: CopyDecision, attempt: int) -> None:
        self.calls["release_claim"] += 1
        key = (decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        current = self.entries.get(key)
        if (
            current is not None
            and current.state is LedgerState.PLANNED
            and current.attempts == attempt
            and current.copy_job_id is None
        ):
            self.released_claims.add(key)

    def mark_start_failed(
        self, decision: CopyDecision, attempt: int, reason: str, detail: str
    ) -> None:
        self.calls["mark_start_failed"] += 1
        key = (decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        current = self.entries.get(key)
        if current is not None and current.attempts == attempt and current.state.is_final is False:
            self.entries[key] = replace(current, state=LedgerState.FAILED, explanation=detail)

    def record_final(
        self, event: RecoveryPointEvent, decision: SkipDecision, state: LedgerState
    ) -> None:
        self.calls["record_final"] += 1
        key = (decision.recovery_point_arn, NO_DESTINATION)
        current = self.entries.get(key)
        if can_transition(current.state if current else None, state):
            self.entries[key] = LedgerEntry(
                recovery_point_arn=key[0],
                destination_vault_arn=NO_DESTINATION,
                state=state,
                reason=decision.reason.value,
                attempts=0,
                source_vault_name=event.vault_name,
                resource_type=decision.resource_type,
            )


def copy_of(decision: Decision) -> CopyDecision:
    """The decision, which must be a copy: a skip fails the test here."""
    assert isinstance(decision, CopyDecision), f"a copy was expected, not {decision}"
    return decision
