"""The tracking use case against the real DynamoDB ledger (moto), AWS Backup/KMS/SNS as fakes.

Every test starts where the copy handler leaves off (a claimed, usually started, copy) and feeds
one or more "Copy Job State Change" events from events/, in order, repeated or out of order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from adapters.ledger import DynamoLedger
from core.copying.copy_service import RecoveryPointCopier
from core.copying.decision import decide, idempotency_token
from core.kernel.alerts import AlertKind
from core.kernel.config import Settings
from core.kernel.copy_jobs import CopyJobUpdate, KeyManager, RecoveryPointKey, VaultRetention
from core.kernel.errors import RetryableError
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.kernel.models import CopyDecision
from core.tracking.key_verification import KeyVerifier
from core.tracking.tracking_service import TrackingOutcomeKind, TrackingService
from localrun.samples import create_tracking_ledger_table
from tests.fakes import ManualClock, facts_for_vault, make_event, make_settings
from tests.samples import LAG_VAULT_ARN, LEDGER_TABLE, MANAGED_VAULT_ARN, REGION, vault_arn
from tests.tracking_fakes import (
    AWS_BACKUP_KEY,
    AWS_OWNED_KEY,
    COMPLETED,
    CREATED,
    CUSTOMER_KEY,
    FAILED_LAG,
    FAILED_RETENTION,
    FAILED_THROTTLED,
    RUNNING,
    FakeKeys,
    FakeTrackingBackup,
    RecordingAlerts,
    copy_job_facts,
    copy_update,
)

# The LAG refusal sample, for a fully managed type.
S3_FAILED_LAG = {
    "resourceType": "S3",
    "resourceArn": "arn:aws:s3:::orders-archive",
    "statusMessage": "Copy job failed. Resource type S3 is not supported by logically air-gapped "
    "backup vaults.",
}
RUNNING_JOB = "0175DE71-5784-589F-D8AC-541ACCB4CAC8"  # the job of the running/completed samples


@dataclass
class World:
    settings: Settings
    ledger: DynamoLedger
    backup: FakeTrackingBackup
    keys: FakeKeys
    alerts: RecordingAlerts
    service: TrackingService
    clock: ManualClock

    def copy_started(self, update: CopyJobUpdate, job: str | None, *, attempt: int = 1) -> None:
        """What the copy handler did for the copy ``update`` is about: claim, then start ``job``."""
        event = make_event(
            vault_name=update.source_vault_name,
            recovery_point_arn=update.source_recovery_point_arn,
            resource_arn=update.resource_arn or "arn:aws:ec2:us-east-1:111122223333:volume/vol-1",
            resource_type=update.resource_type or "EBS",
        )
        facts = facts_for_vault(update.source_vault_name, update.source_recovery_point_arn)
        uses_lag = update.destination_vault_arn == LAG_VAULT_ARN
        decision = decide(event, facts, uses_lag, self.settings, attempt)
        assert isinstance(decision, CopyDecision)
        assert decision.request["DestinationBackupVaultArn"] == update.destination_vault_arn
        assert self.ledger.claim(event, decision, attempt)
        if job is not None:
            self.ledger.mark_started(decision, job, attempt)

    def track(self, update: CopyJobUpdate) -> TrackingOutcomeKind:
        return self.service.track(update).kind

    def entry(self, update: CopyJobUpdate, destination: str | None = None) -> LedgerEntry:
        entry = self.ledger.get(
            update.source_recovery_point_arn, destination or update.destination_vault_arn
        )
        assert entry is not None
        return entry

    def failing(self, update: CopyJobUpdate, **facts: Any) -> CopyJobUpdate:
        """Let DescribeCopyJob answer for the failed job of ``update``."""
        self.backup.copy_jobs[str(update.copy_job_id)] = copy_job_facts(update, **facts)
        return update


def make_world(settings: Settings) -> World:
    client = boto3.client("dynamodb", region_name=REGION)
    create_tracking_ledger_table(client, LEDGER_TABLE)
    clock = ManualClock(datetime.now(UTC))
    ledger = DynamoLedger(client, LEDGER_TABLE, clock=clock)
    backup, keys, alerts = FakeTrackingBackup(), FakeKeys(), RecordingAlerts()
    service = TrackingService(
        settings=settings,
        backup=backup,
        ledger=ledger,
        copies=RecoveryPointCopier(settings=settings, backup=backup, ledger=ledger),
        keys=KeyVerifier(backup=backup, keys=keys),
        alerts=alerts,
    )
    return World(settings, ledger, backup, keys, alerts, service, clock)


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    with mock_aws():
        yield make_world(settings)


def completed_under(world: World, key_arn: str) -> CopyJobUpdate:
    update = copy_update(COMPLETED)
    world.backup.copy_jobs[RUNNING_JOB] = copy_job_facts(update, destination_key_arn=key_arn)
    return update


# --- CREATED / RUNNING -------------------------------------------------------------------------


def test_given_a_planned_copy_when_its_job_runs_then_the_job_id_is_recorded(world: World) -> None:
    # Given a claim whose mark_started never landed (the copy handler stopped after StartCopyJob)
    running = copy_update(RUNNING)
    world.copy_started(running, job=None)
    # When the RUNNING event arrives
    outcome = world.track(running)
    # Then the ledger knows the copy job
    assert outcome is TrackingOutcomeKind.STARTED
    assert (world.entry(running).state, world.entry(running).copy_job_id) == (
        LedgerState.STARTED,
        RUNNING_JOB,
    )


def test_given_a_started_copy_when_its_running_event_repeats_then_nothing_is_written(
    world: World,
) -> None:
    running = copy_update(RUNNING)
    world.copy_started(running, job=RUNNING_JOB)
    before = world.entry(running).updated_at
    assert world.track(running) is TrackingOutcomeKind.DUPLICATE
    assert world.entry(running).updated_at == before


def test_given_a_planned_copy_when_the_created_event_arrives_then_it_stays_planned(
    world: World,
) -> None:
    # The documented CREATED event has no copyJobId: nothing to record yet
    created = copy_update(CREATED)
    world.copy_started(copy_update(RUNNING), job=None)
    assert world.track(created) is TrackingOutcomeKind.NOTED
    assert world.entry(created).state is LedgerState.PLANNED


def test_given_a_copy_the_orchestrator_never_started_when_it_runs_then_no_entry_is_made(
    world: World,
) -> None:
    running = copy_update(RUNNING)
    assert world.track(running) is TrackingOutcomeKind.UNKNOWN_COPY
    assert world.ledger.get(running.source_recovery_point_arn, LAG_VAULT_ARN) is None


def test_given_a_copy_into_a_vault_that_is_no_destination_when_tracked_then_it_is_ignored(
    world: World,
) -> None:
    into_dr = copy_update(RUNNING, destinationBackupVaultArn=vault_arn("dr"))
    assert world.track(into_dr) is TrackingOutcomeKind.NOT_A_DESTINATION


# --- COMPLETED ---------------------------------------------------------------------------------


def test_given_a_copy_under_an_aws_managed_key_when_completed_then_it_is_protected(
    world: World,
) -> None:
    # Given a started copy that AWS reports under aws/backup
    world.copy_started(copy_update(RUNNING), job=RUNNING_JOB)
    update = completed_under(world, AWS_BACKUP_KEY)
    # When COMPLETED arrives
    outcome = world.track(update)
    # Then it is protected, with the copy and its key recorded, and nobody is alerted
    entry = world.entry(update)
    assert outcome is TrackingOutcomeKind.PROTECTED
    assert (entry.state, entry.destination_recovery_point_arn) == (
        LedgerState.PROTECTED,
        update.destination_recovery_point_arn,
    )
    assert entry.destination_key_arn == AWS_BACKUP_KEY
    assert world.alerts.published == []


def test_given_a_lag_copy_under_an_aws_owned_key_when_completed_then_it_is_protected(
    world: World,
) -> None:
    # Given KMS cannot describe the LAG vault's key, and AWS Backup says it is AWS owned
    world.copy_started(copy_update(RUNNING), job=RUNNING_JOB)
    update = completed_under(world, AWS_OWNED_KEY)
    world.backup.recovery_point_keys[str(update.destination_recovery_point_arn)] = RecoveryPointKey(
        AWS_OWNED_KEY, "AWS_OWNED_KMS_KEY", "LOGICALLY_AIR_GAPPED_BACKUP_VAULT", True
    )
    assert world.track(update) is TrackingOutcomeKind.PROTECTED
    assert world.entry(update).reason == "key-aws-owned"


def test_given_a_copy_under_a_customer_key_when_completed_then_it_is_key_dependent_with_an_alert(
    world: World,
) -> None:
    world.copy_started(copy_update(RUNNING), job=RUNNING_JOB)
    update = completed_under(world, CUSTOMER_KEY)
    outcome = world.track(update)
    assert outcome is TrackingOutcomeKind.KEY_DEPENDENT
    assert world.entry(update).state is LedgerState.KEY_DEPENDENT
    [alert] = world.alerts.published
    assert (alert.kind, alert.destination_key_arn) == (AlertKind.KEY_DEPENDENT, CUSTOMER_KEY)
    assert alert.recovery_point_arn == update.source_recovery_point_arn


def test_given_a_key_dependent_copy_when_completed_twice_then_one_alert_is_sent(
    world: World,
) -> None:
    world.copy_started(copy_update(RUNNING), job=RUNNING_JOB)
    update = completed_under(world, CUSTOMER_KEY)
    world.track(update)
    assert world.track(update) is TrackingOutcomeKind.DUPLICATE
    assert len(world.alerts.published) == 1


def test_given_a_completed_event_before_the_started_record_when_tracked_then_it_is_protected(
    world: World,
) -> None:
    # Given a claim whose start was never recorded
    world.copy_started(copy_update(RUNNING), job=None)
    update = completed_under(world, AWS_OWNED_KEY)
    world.keys.managers[AWS_OWNED_KEY] = KeyManager.AWS
    # When COMPLETED arrives first, then the late RUNNING
    first = world.track(update)
    late = world.track(copy_update(RUNNING))
    # Then the entry is and stays protected
    assert (first, late) == (TrackingOutcomeKind.PROTECTED, TrackingOutcomeKind.STALE)
    assert world.entry(update).state is LedgerState.PROTECTED


def test_given_a_protected_copy_when_a_failed_event_arrives_then_it_is_ignored(
    world: World,
) -> None:
    # Given a protected copy
    world.copy_started(copy_update(RUNNING), job=RUNNING_JOB)
    assert world.track(completed_under(world, AWS_BACKUP_KEY)) is TrackingOutcomeKind.PROTECTED
    # When a FAILED of the same job arrives afterwards
    failed = copy_update(FAILED_RETENTION, copyJobId=RUNNING_JOB)
    outcome = world.track(failed)
    # Then nothing is retried, the entry stays as it was, no alert
    assert outcome is TrackingOutcomeKind.STALE
    assert world.entry(failed).state is LedgerState.PROTECTED
    assert world.backup.calls["StartCopyJob"] == 0
    assert world.alerts.published == []


# --- FAILED: transient -------------------------------------------------------------------------


def test_given_a_throttled_copy_when_failed_then_it_is_restarted_as_attempt_two(
    world: World,
) -> None:
    # Given attempt 1 of an S3 copy to the managed vault, failed as throttled
    failed = world.failing(copy_update(FAILED_THROTTLED))
    world.copy_started(failed, job=failed.copy_job_id)
    world.backup.next_copy_job_ids.append("retry-job-2")
    # When tracked
    outcome = world.service.track(failed)
    # Then a new copy job is started with attempt 2's token, and the ledger follows it
    [request] = world.backup.started[-1:]
    assert request["IdempotencyToken"] == idempotency_token(
        failed.source_recovery_point_arn, MANAGED_VAULT_ARN, 2
    )
    entry = world.entry(failed)
    assert (outcome.kind, outcome.next_copy_job_id) == (TrackingOutcomeKind.RETRIED, "retry-job-2")
    assert (entry.state, entry.attempts, entry.copy_job_id) == (
        LedgerState.STARTED,
        2,
        "retry-job-2",
    )
    assert (entry.last_failed_copy_job_id, entry.last_failure_kind) == (
        failed.copy_job_id,
        "transient",
    )


def test_given_a_retried_copy_when_the_old_failure_is_delivered_again_then_no_third_copy(
    world: World,
) -> None:
    failed = world.failing(copy_update(FAILED_THROTTLED))
    world.copy_started(failed, job=failed.copy_job_id)
    world.track(failed)
    assert world.track(failed) is TrackingOutcomeKind.STALE
    assert world.backup.calls["StartCopyJob"] == 1  # the one retry
    # ... told apart by its job id alone, without asking AWS Backup again
    assert world.backup.calls["DescribeCopyJob"] == 1
    assert world.entry(failed).attempts == 2


def test_given_the_last_attempt_when_it_fails_then_the_copy_fails_with_one_alert(
    world: World,
) -> None:
    # Given attempt 4 of 4 (MAX_COPY_ATTEMPTS in the sample settings)
    failed = world.failing(copy_update(FAILED_THROTTLED))
    world.copy_started(failed, job=failed.copy_job_id, attempt=4)
    # When it fails, and the event is delivered twice
    first, again = world.track(failed), world.track(failed)
    # Then the copy is failed with its reason, not retried, and one alert is sent
    entry = world.entry(failed)
    assert (first, again) == (TrackingOutcomeKind.FAILED, TrackingOutcomeKind.STALE)
    assert (entry.state, entry.reason) == (LedgerState.FAILED, "retries-exhausted")
    assert "Rate exceeded" in (entry.explanation or "")
    assert world.backup.calls["StartCopyJob"] == 0
    [alert] = world.alerts.published
    assert (alert.kind, alert.reason, alert.attempts) == (
        AlertKind.COPY_FAILED,
        "retries-exhausted",
        4,
    )


def test_given_one_attempt_allowed_when_the_first_fails_then_it_is_not_retried() -> None:
    with mock_aws():
        world = make_world(make_settings(MAX_COPY_ATTEMPTS="1"))
        failed = world.failing(copy_update(FAILED_THROTTLED))
        world.copy_started(failed, job=failed.copy_job_id)
        assert world.track(failed) is TrackingOutcomeKind.FAILED
        assert world.backup.calls["StartCopyJob"] == 0


def test_given_a_failure_before_the_attempts_job_is_recorded_when_tracked_then_it_waits(
    world: World,
) -> None:
    # Given a claim without a recorded job: the event may be about the job being started
    failed = world.failing(copy_update(FAILED_THROTTLED))
    world.copy_started(failed, job=None)
    # Then SQS must bring it back later
    with pytest.raises(RetryableError):
        world.track(failed)
    assert world.entry(failed).state is LedgerState.PLANNED


def test_given_a_retry_whose_start_was_throttled_when_the_failure_is_redelivered_then_it_starts(
    world: World,
) -> None:
    # Given the retry claimed attempt 2, then StartCopyJob was throttled
    failed = world.failing(copy_update(FAILED_THROTTLED))
    world.copy_started(failed, job=failed.copy_job_id)
    world.backup.start_errors.append(RetryableError("ThrottlingException", "slow down"))
    with pytest.raises(RetryableError):
        world.track(failed)
    assert (world.entry(failed).state, world.entry(failed).attempts) == (LedgerState.PLANNED, 2)
    # When SQS redelivers the same FAILED event, after its visibility timeout
    world.clock.advance(timedelta(seconds=360))
    world.backup.next_copy_job_ids.append("retry-job-2")
    outcome = world.track(failed)
    # Then attempt 2 is started (same token as the throttled call), not attempt 3
    assert outcome is TrackingOutcomeKind.RETRIED
    entry = world.entry(failed)
    assert (entry.state, entry.attempts, entry.copy_job_id) == (
        LedgerState.STARTED,
        2,
        "retry-job-2",
    )


# --- FAILED: retention, LAG, permanent ---------------------------------------------------------


def test_given_a_retention_failure_when_tracked_then_the_copy_is_retried_in_the_vaults_range(
    world: World,
) -> None:
    # Given the LAG vault really keeps copies at least 14 days (the configuration says 7)
    failed = world.failing(copy_update(FAILED_RETENTION), delete_after_days=7)
    world.copy_started(failed, job=failed.copy_job_id)
    world.backup.retention["lag"] = VaultRetention(min_days=14, max_days=400)
    # When the retention failure is tracked
    outcome = world.track(failed)
    # Then the retry asks for 14 days, as attempt 2
    assert outcome is TrackingOutcomeKind.RETRIED
    assert world.backup.started[-1]["Lifecycle"] == {"DeleteAfterDays": 14}
    assert world.backup.started[-1]["DestinationBackupVaultArn"] == LAG_VAULT_ARN
    assert world.entry(failed).attempts == 2


def test_given_a_retention_failure_the_vaults_range_cannot_fix_when_tracked_then_it_fails(
    world: World,
) -> None:
    # Given the vault reports the very range that produced the failed 7 days
    failed = world.failing(copy_update(FAILED_RETENTION), delete_after_days=7)
    world.copy_started(failed, job=failed.copy_job_id)
    world.backup.retention["lag"] = VaultRetention(min_days=7, max_days=400)
    # When tracked
    outcome = world.track(failed)
    # Then retrying would repeat the failure: failed, with an alert
    assert outcome is TrackingOutcomeKind.FAILED
    assert world.entry(failed).reason == "retention-unfixable"
    assert len(world.alerts.published) == 1
    assert world.backup.calls["StartCopyJob"] == 0


def test_given_a_lag_rejection_when_tracked_then_the_copy_falls_back_to_the_managed_vault(
    world: World,
) -> None:
    # Given a copy of a fully managed type (S3) to the LAG vault that the vault refused
    failed = world.failing(copy_update(FAILED_LAG, **S3_FAILED_LAG))
    world.copy_started(failed, job=failed.copy_job_id)
    world.backup.next_copy_job_ids.append("fallback-job")
    # When tracked
    outcome = world.service.track(failed)
    # Then a copy to the managed vault is started and tracked, and the LAG entry says why
    assert (outcome.kind, outcome.next_copy_job_id) == (
        TrackingOutcomeKind.FELL_BACK,
        "fallback-job",
    )
    assert world.backup.started[-1]["DestinationBackupVaultArn"] == MANAGED_VAULT_ARN
    fallback = world.entry(failed, MANAGED_VAULT_ARN)
    assert (fallback.state, fallback.copy_job_id) == (LedgerState.STARTED, "fallback-job")
    lag = world.entry(failed)
    assert (lag.state, lag.reason) == (LedgerState.FAILED, "lag-rejected")
    assert MANAGED_VAULT_ARN in (lag.explanation or "")
    # ... a handled problem: nobody is alerted
    assert world.alerts.published == []


def test_given_a_lag_rejection_delivered_twice_when_tracked_then_one_fallback_copy(
    world: World,
) -> None:
    failed = world.failing(copy_update(FAILED_LAG, **S3_FAILED_LAG))
    world.copy_started(failed, job=failed.copy_job_id)
    world.track(failed)
    assert world.track(failed) is TrackingOutcomeKind.STALE
    assert world.backup.calls["StartCopyJob"] == 1  # one fallback copy


def test_given_a_lag_rejection_of_fsx_when_tracked_then_no_aws_backup_copy_and_an_alert(
    world: World,
) -> None:
    # Given an FSx copy refused by the LAG vault: FSx is not fully managed, and the matrix does
    # not name its service's key, so aws/backup would refuse it too
    failed = world.failing(copy_update(FAILED_LAG))
    world.copy_started(failed, job=failed.copy_job_id)
    # When tracked
    assert world.track(failed) is TrackingOutcomeKind.FAILED
    # Then no copy is started, and the failure says what to deploy
    assert world.backup.calls["StartCopyJob"] == 0
    assert world.entry(failed).reason == "skip-no-service-key-vault"
    assert [a.kind for a in world.alerts.published] == [AlertKind.COPY_FAILED]


def test_given_a_permanent_failure_when_tracked_then_it_fails_at_once_with_an_alert(
    world: World,
) -> None:
    failed = world.failing(
        copy_update(FAILED_THROTTLED, statusMessage="Access denied exception while listing tags")
    )
    world.copy_started(failed, job=failed.copy_job_id)
    assert world.track(failed) is TrackingOutcomeKind.FAILED
    assert world.entry(failed).reason == "permanent"
    assert [a.kind for a in world.alerts.published] == [AlertKind.COPY_FAILED]
    assert world.backup.calls["StartCopyJob"] == 0


# --- alerts are not lost -----------------------------------------------------------------------


def test_given_sns_failing_when_a_copy_fails_then_the_alert_is_sent_on_redelivery(
    world: World,
) -> None:
    # Given the last attempt failing while SNS is throttled once
    failed = world.failing(copy_update(FAILED_THROTTLED))
    world.copy_started(failed, job=failed.copy_job_id, attempt=4)
    world.alerts.errors.append(RetryableError("ThrottledException", "SNS"))
    with pytest.raises(RetryableError):
        world.track(failed)
    # When SQS redelivers the event (twice)
    world.track(failed)
    world.track(failed)
    # Then exactly one alert went out, and the entry owes none
    assert len(world.alerts.published) == 1
    assert world.entry(failed).pending_alert is None
