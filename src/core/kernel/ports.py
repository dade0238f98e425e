"""The interfaces the use cases need from the outside world; adapters implement them with boto3."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.kernel.alerts import Alert
from core.kernel.copy_jobs import (
    CopyJobFacts,
    CopyJobUpdate,
    CopyResult,
    KeyManager,
    RecoveryPointKey,
    VaultRetention,
)
from core.kernel.lag_plans import PlanIdentity
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.kernel.models import (
    CopyDecision,
    RecoveryPointEvent,
    RecoveryPointFacts,
    SkipDecision,
    StartCopyJobRequest,
)


class RecoveryPointBackupPort(Protocol):
    """What copying a recovery point whose ARN is known needs from AWS Backup."""

    def describe_recovery_point(
        self, vault_name: str, recovery_point_arn: str
    ) -> RecoveryPointFacts: ...

    def start_copy_job(self, request: StartCopyJobRequest) -> str: ...

    def plan_identity(self, plan_id: str) -> PlanIdentity: ...


class BackupPort(RecoveryPointBackupPort, Protocol):
    """The live copy path: a backup job's event may not name its recovery point."""

    def recovery_point_of_job(self, backup_job_id: str) -> str: ...


class LedgerPort(Protocol):
    """One entry per (source recovery point, destination vault); every write is conditional."""

    def get(self, recovery_point_arn: str, destination_vault_arn: str) -> LedgerEntry | None: ...

    def claim(self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int) -> bool:
        """Record PLANNED for this attempt; False when the copy is already under way or done."""
        ...

    def mark_started(self, decision: CopyDecision, copy_job_id: str, attempt: int) -> None: ...

    def mark_start_failed(
        self, decision: CopyDecision, attempt: int, reason: str, detail: str
    ) -> None:
        """AWS refused to start this attempt's copy job for good: FAILED, with AWS's reason."""
        ...

    def release_claim(self, decision: CopyDecision, attempt: int) -> None:
        """StartCopyJob failed for a transient reason: the next delivery may claim it at once."""
        ...

    def record_final(
        self, event: RecoveryPointEvent, decision: SkipDecision, state: LedgerState
    ) -> None: ...


class RetryLedgerPort(LedgerPort, Protocol):
    """An operator's retry of a failed copy (``copyctl reconcile --retry-failed``)."""

    def reopen_failed(
        self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int
    ) -> bool:
        """FAILED → PLANNED for ``attempt``, only over a FAILED entry of a lower attempt.

        The failed attempt's copy job and failure are forgotten, so no late event of an older
        attempt can pass for this one. False when the entry is not such a FAILED one (another
        retry won).
        """
        ...


class ParkingPort(Protocol):
    """Where inputs that can never succeed are kept, with their reason, for a person to look at."""

    def park(self, body: str, reason: str, detail: str) -> None: ...


class CopyJobPort(Protocol):
    """What the tracking of a copy job asks AWS Backup."""

    def describe_copy_job(self, copy_job_id: str) -> CopyJobFacts: ...

    def recovery_point_key(self, vault_name: str, recovery_point_arn: str) -> RecoveryPointKey: ...

    def vault_retention(self, vault_name: str) -> VaultRetention: ...


class TrackingBackupPort(RecoveryPointBackupPort, CopyJobPort, Protocol):
    """Tracking also restarts copies (of recovery points it knows), so it needs those calls too."""


class KeyPort(Protocol):
    def key_manager(self, key_arn: str) -> KeyManager | None:
        """``AWS`` or ``CUSTOMER``; None when KMS cannot describe the key to this account."""
        ...


class AlertPort(Protocol):
    def publish(self, alert: Alert) -> None: ...


class TrackingLedgerPort(LedgerPort, Protocol):
    """The writes of copy tracking; each is conditional on the entry the caller read."""

    def record_running(self, entry: LedgerEntry, copy_job_id: str) -> bool:
        """PLANNED/STARTED → STARTED with this copy job; False for a stale or foreign job."""
        ...

    def note_failure(self, entry: LedgerEntry, copy_job_id: str, kind: str, message: str) -> bool:
        """Remember why the current attempt failed, before the next attempt is claimed."""
        ...

    def record_copy_result(self, update: CopyJobUpdate, result: CopyResult) -> bool:
        """Move to PROTECTED / KEY_DEPENDENT / FAILED; False when the transition is not valid."""
        ...

    def take_pending_alert(
        self, recovery_point_arn: str, destination_vault_arn: str
    ) -> LedgerEntry | None:
        """Atomically take the alert an entry owes; the entry as it was, or None if none is owed."""
        ...

    def restore_pending_alert(self, entry: LedgerEntry) -> None: ...

    def in_progress_before(self, cutoff: datetime) -> list[LedgerEntry]:
        """PLANNED and STARTED entries last updated before ``cutoff``."""
        ...

    def flag_stuck(self, entry: LedgerEntry) -> bool:
        """Mark a stuck entry as reported; False when it already was, or has moved on."""
        ...

    def unflag_stuck(self, entry: LedgerEntry) -> None: ...
