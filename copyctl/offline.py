"""A BackupPort that answers from the event and stated assumptions, so ``plan`` calls no AWS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.kernel.lag_plans import PlanIdentity
from core.kernel.models import (
    RecoveryPointEvent,
    RecoveryPointFacts,
    SourceLifecycle,
    StartCopyJobRequest,
    StorageClass,
)


@dataclass(frozen=True, slots=True)
class Assumptions:
    """What DescribeRecoveryPoint would have said; printed beside every offline plan."""

    retention_days: int = 30
    cold_after_days: int | None = None
    storage_class: StorageClass = StorageClass.WARM
    plan_name: str | None = None


@dataclass
class OfflineBackup:
    event: RecoveryPointEvent
    assumptions: Assumptions

    def recovery_point_of_job(self, backup_job_id: str) -> str:
        event = self.event
        return f"arn:aws:backup:{event.region}:{event.account}:recovery-point:{backup_job_id}"

    def describe_recovery_point(
        self, vault_name: str, recovery_point_arn: str
    ) -> RecoveryPointFacts:
        created = self.event.creation_date or datetime.now(UTC)
        retention = self.assumptions.retention_days
        return RecoveryPointFacts(
            arn=recovery_point_arn,
            status="COMPLETED",
            storage_class=self.assumptions.storage_class,
            lifecycle=SourceLifecycle(
                delete_after_days=retention,
                move_to_cold_storage_after_days=self.assumptions.cold_after_days,
            ),
            creation_date=created,
            delete_at=created + timedelta(days=retention),
            encryption_key_arn=None,
            parent_recovery_point_arn=None,
            is_parent=False,
        )

    def start_copy_job(self, request: StartCopyJobRequest) -> str:
        raise RuntimeError("copyctl plan never starts a copy job")

    def plan_identity(self, plan_id: str) -> PlanIdentity:
        return PlanIdentity(plan_id, name=self.assumptions.plan_name, tags={})
