"""The interfaces the use cases need from the outside world; adapters implement them with boto3."""

from __future__ import annotations

from typing import Protocol

from core.ledger_states import LedgerEntry, LedgerState
from core.models import Decision, RecoveryPointEvent, RecoveryPointFacts, StartCopyJobRequest
from core.plans import PlanIdentity


class BackupPort(Protocol):
    def recovery_point_of_job(self, backup_job_id: str) -> str: ...

    def describe_recovery_point(
        self, vault_name: str, recovery_point_arn: str
    ) -> RecoveryPointFacts: ...

    def start_copy_job(self, request: StartCopyJobRequest) -> str: ...

    def plan_identity(self, plan_id: str) -> PlanIdentity: ...


class LedgerPort(Protocol):
    """One entry per (source recovery point, destination vault); every write is conditional."""

    def get(self, recovery_point_arn: str, destination_vault_arn: str) -> LedgerEntry | None: ...

    def claim(self, event: RecoveryPointEvent, decision: Decision, attempt: int) -> bool:
        """Record PLANNED for this attempt; False when the copy is already under way or done."""
        ...

    def mark_started(self, decision: Decision, copy_job_id: str, attempt: int) -> None: ...

    def record_final(
        self, event: RecoveryPointEvent, decision: Decision, state: LedgerState
    ) -> None: ...


class ParkingPort(Protocol):
    """Where inputs that can never succeed are kept, with their reason, for a person to look at."""

    def park(self, body: str, reason: str, detail: str) -> None: ...
