"""What the orchestrator learns and records about one copy job it tracks to completion."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.kernel.arns import vault_name_from_arn
from core.kernel.ledger_states import LedgerState


class CopyJobState(StrEnum):
    """CopyJob.State (API_CopyJob.html); PARTIAL is reported for composite copies only."""

    CREATED = "CREATED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    PARTIAL = "PARTIAL"

    @property
    def is_failure(self) -> bool:
        return self in {CopyJobState.FAILED, CopyJobState.PARTIAL}


@dataclass(frozen=True, slots=True)
class CopyJobUpdate:
    """One "Copy Job State Change" event of a copy out of a source vault."""

    copy_job_id: str | None  # None: the documented CREATED event carries no copyJobId
    state: CopyJobState
    account: str
    region: str
    source_recovery_point_arn: str  # resources[0]
    source_vault_arn: str
    destination_vault_arn: str
    destination_recovery_point_arn: str | None  # None while the event says {}
    status_message: str | None
    resource_type: str | None
    resource_arn: str | None
    backup_plan_id: str | None

    @property
    def source_vault_name(self) -> str:
        return vault_name_from_arn(self.source_vault_arn, field="sourceBackupVaultArn")

    @property
    def destination_vault_name(self) -> str:
        return vault_name_from_arn(self.destination_vault_arn, field="destinationBackupVaultArn")


class KeyManager(StrEnum):
    """KMS DescribeKey ``KeyMetadata.KeyManager``."""

    AWS = "AWS"
    CUSTOMER = "CUSTOMER"


@dataclass(frozen=True, slots=True)
class CopyJobFacts:
    """What DescribeCopyJob says about a copy job."""

    copy_job_id: str
    state: str
    destination_recovery_point_arn: str | None
    destination_key_arn: str | None
    destination_vault_type: str | None
    status_message: str | None
    message_category: str | None
    delete_after_days: int | None  # the lifecycle the job asked for


@dataclass(frozen=True, slots=True)
class RecoveryPointKey:
    """The encryption of a recovery point, as DescribeRecoveryPoint reports it."""

    key_arn: str | None
    key_type: str | None  # AWS_OWNED_KMS_KEY | CUSTOMER_MANAGED_KMS_KEY
    vault_type: str | None
    is_encrypted: bool | None


@dataclass(frozen=True, slots=True)
class VaultRetention:
    """The retention range a vault enforces (DescribeBackupVault); None: no bound."""

    min_days: int | None
    max_days: int | None


@dataclass(frozen=True, slots=True)
class CopyResult:
    """How a tracked copy ended, as the ledger records it."""

    state: LedgerState
    reason: str
    explanation: str
    copy_job_id: str | None
    destination_recovery_point_arn: str | None = None
    destination_key_arn: str | None = None
    failure_kind: str | None = None
    pending_alert: str | None = None  # the alert this result owes, sent once
