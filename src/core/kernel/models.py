"""Typed values that flow through the decision: what happened, what we know, what we decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NotRequired, TypeAlias, TypedDict


class Origin(StrEnum):
    """How a recovery point reached an in-scope vault."""

    BACKUP_JOB = "backup-job"
    COPY_JOB = "copy-job"  # the DR case: a copy completed *into* an in-scope vault


@dataclass(frozen=True, slots=True)
class RecoveryPointEvent:
    """A job that put (or tried to put) a recovery point into a vault, as AWS Backup reported it."""

    origin: Origin
    job_id: str
    state: str
    account: str
    region: str
    vault_name: str
    vault_arn: str
    resource_arn: str
    resource_type: str
    recovery_point_arn: str | None  # None: the event did not say; ask DescribeBackupJob
    backup_plan_id: str | None  # None: an on-demand job
    parent_job_id: str | None
    creation_date: datetime | None
    size_in_bytes: int | None


class StorageClass(StrEnum):
    WARM = "WARM"
    COLD = "COLD"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class SourceLifecycle:
    delete_after_days: int | None = None
    move_to_cold_storage_after_days: int | None = None
    delete_after_event: str | None = None  # DELETE_AFTER_COPY marks native backup-to-LAG temps


@dataclass(frozen=True, slots=True)
class RecoveryPointFacts:
    """What DescribeRecoveryPoint says about a source recovery point (one call per decision)."""

    arn: str
    status: str
    storage_class: StorageClass
    lifecycle: SourceLifecycle
    creation_date: datetime
    delete_at: datetime | None
    encryption_key_arn: str | None
    parent_recovery_point_arn: str | None
    is_parent: bool


class Target(StrEnum):
    LAG = "lag"
    MANAGED = "managed"
    OVERRIDE = "override"
    SERVICE_KEY = "service-key"  # this Region's vault under the owning service's AWS managed key
    DR_SERVICE_KEY = "dr-service-key"  # the same vault in the DR Region


class Reason(StrEnum):
    """Every outcome of a decision; each is a metric dimension and a log field."""

    COPY_TO_LAG = "copy-to-lag"
    COPY_TO_MANAGED = "copy-to-managed"
    COPY_TO_OVERRIDE = "copy-to-override"
    COPY_TO_SERVICE_KEY = "copy-to-service-key"
    COPY_TO_DR_SERVICE_KEY = "copy-to-dr-service-key"
    SKIP_NOT_COMPLETED = "skip-not-completed"
    SKIP_OUT_OF_SCOPE = "skip-out-of-scope"
    SKIP_DESTINATION_VAULT = "skip-destination-vault"
    SKIP_CONTINUOUS = "skip-continuous"
    SKIP_COLD = "skip-cold"
    SKIP_NOT_COPYABLE = "skip-not-copyable"
    SKIP_NATIVE_LAG_TEMPORARY = "skip-native-lag-temporary"
    SKIP_COMPOSITE_CHILD = "skip-composite-child"
    SKIP_NOT_AVAILABLE = "skip-not-available"
    SKIP_SOURCE_KEY_INDEPENDENT = "skip-source-key-independent"
    # Not fully managed, and no vault under its service's key is deployed (or known): unprotected
    # until one is, and decided again by every reconciler pass.
    SKIP_NO_SERVICE_KEY_VAULT = "skip-no-service-key-vault"

    @property
    def is_copy(self) -> bool:
        return self.value.startswith("copy-")


class CopyLifecycle(TypedDict):
    DeleteAfterDays: int
    MoveToColdStorageAfterDays: NotRequired[int]


class StartCopyJobRequest(TypedDict):
    """The exact keyword arguments of backup:StartCopyJob."""

    RecoveryPointArn: str
    SourceBackupVaultName: str
    DestinationBackupVaultArn: str
    IamRoleArn: str
    IdempotencyToken: str
    Lifecycle: CopyLifecycle


@dataclass(frozen=True, slots=True)
class CopyDecision:
    """Copy the recovery point to ``target``'s destination with this exact StartCopyJob request."""

    reason: Reason  # a copy-* reason
    explanation: str
    recovery_point_arn: str
    resource_type: str
    target: Target
    request: StartCopyJobRequest

    @property
    def target_label(self) -> str:
        return self.target.value


@dataclass(frozen=True, slots=True)
class SkipDecision:
    """Leave the recovery point without a copy, for ``reason`` (a skip-* reason)."""

    reason: Reason
    explanation: str
    recovery_point_arn: str
    resource_type: str

    @property
    def target_label(self) -> str:
        return "none"


# Every decision is one or the other: code that starts a copy takes a CopyDecision, code that
# only reports (metrics, logs, the ledger's reason) takes either.
Decision: TypeAlias = CopyDecision | SkipDecision
