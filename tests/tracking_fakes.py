"""In-memory doubles and sample values for the copy tracking tests (issue 5).

``FakeTrackingBackup`` extends ``tests.fakes.FakeBackup`` with the calls tracking makes, counted
under their AWS API names; ``FakeKeys`` answers KMS DescribeKey; ``RecordingAlerts`` keeps what
would have been published to SNS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from core.kernel.alerts import Alert
from core.kernel.copy_jobs import (
    CopyJobFacts,
    CopyJobUpdate,
    KeyManager,
    RecoveryPointKey,
    VaultRetention,
)
from core.kernel.models import StartCopyJobRequest
from core.tracking.copy_job_events import parse_copy_job_update
from tests.fakes import FakeBackup
from tests.samples import ACCOUNT, REGION, read_event

AWS_BACKUP_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-aws-backup-managed-key0001"
CUSTOMER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
AWS_OWNED_KEY = "arn:aws:kms:us-east-1:999988887777:key/aws-owned-key-of-the-lag-vault"

CREATED = "copy-job-created.json"
RUNNING = "copy-job-running.json"
COMPLETED = "copy-job-completed.json"
FAILED_RETENTION = "copy-job-failed-retention.json"
FAILED_LAG = "copy-job-failed-lag-unsupported.json"
FAILED_THROTTLED = "copy-job-failed-throttled.json"
COPY_JOB_SAMPLES = (CREATED, RUNNING, COMPLETED, FAILED_RETENTION, FAILED_LAG, FAILED_THROTTLED)


def copy_update(name: str, **detail: Any) -> CopyJobUpdate:
    """A sample copy job event, parsed, with some ``detail`` fields replaced."""
    event = read_event(name)
    event["detail"].update(detail)
    return parse_copy_job_update(event)


def copy_job_facts(update: CopyJobUpdate, **changes: Any) -> CopyJobFacts:
    """What DescribeCopyJob says of the job of ``update``: by default under aws/backup."""
    values: dict[str, Any] = {
        "copy_job_id": update.copy_job_id or "unknown",
        "state": update.state.value,
        "destination_recovery_point_arn": update.destination_recovery_point_arn,
        "destination_key_arn": AWS_BACKUP_KEY,
        "destination_vault_type": "BACKUP_VAULT",
        "status_message": update.status_message,
        "message_category": None,
        "delete_after_days": None,
    }
    return CopyJobFacts(**{**values, **changes})


@dataclass
class FakeTrackingBackup(FakeBackup):
    """``TrackingBackupPort`` in memory."""

    copy_jobs: dict[str, CopyJobFacts] = field(default_factory=dict)
    recovery_point_keys: dict[str, RecoveryPointKey] = field(default_factory=dict)
    retention: dict[str, VaultRetention] = field(default_factory=dict)  # by vault name
    next_copy_job_ids: list[str] = field(default_factory=list)

    def start_copy_job(self, request: StartCopyJobRequest) -> str:
        job = super().start_copy_job(request)
        return self.next_copy_job_ids.pop(0) if self.next_copy_job_ids else job

    def describe_copy_job(self, copy_job_id: str) -> CopyJobFacts:
        self.calls["DescribeCopyJob"] += 1
        return self.copy_jobs[copy_job_id]

    def recovery_point_key(self, vault_name: str, recovery_point_arn: str) -> RecoveryPointKey:
        self.calls["DescribeRecoveryPoint"] += 1
        return self.recovery_point_keys.get(
            recovery_point_arn, RecoveryPointKey(None, None, None, None)
        )

    def vault_retention(self, vault_name: str) -> VaultRetention:
        self.calls["DescribeBackupVault"] += 1
        return self.retention.get(vault_name, VaultRetention(None, None))


@dataclass
class FakeKeys:
    """``KeyPort``: KMS DescribeKey; a key not listed is one KMS cannot describe."""

    managers: dict[str, KeyManager] = field(
        default_factory=lambda: {AWS_BACKUP_KEY: KeyManager.AWS, CUSTOMER_KEY: KeyManager.CUSTOMER}
    )
    calls: Counter[str] = field(default_factory=Counter)

    def key_manager(self, key_arn: str) -> KeyManager | None:
        self.calls[key_arn] += 1
        return self.managers.get(key_arn)


@dataclass
class RecordingAlerts:
    """``AlertPort``: keeps the alerts; raises the queued errors first."""

    published: list[Alert] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)

    def publish(self, alert: Alert) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.published.append(alert)
