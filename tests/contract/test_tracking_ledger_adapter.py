"""DynamoLedger's copy tracking writes against moto: conditions, first-seen fields, alerts, GSI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from adapters.ledger import DynamoLedger
from core.copying.decision import decide
from core.kernel.config import Settings
from core.kernel.copy_jobs import CopyJobUpdate, CopyResult
from core.kernel.ledger_states import LedgerEntry, LedgerState
from localrun.samples import create_tracking_ledger_table
from tests.fakes import EBS_SNAPSHOT, ManualClock, make_event, make_facts
from tests.samples import LAG_VAULT_ARN, LEDGER_TABLE, REGION, vault_arn
from tests.tracking_fakes import COMPLETED, copy_update

START = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)


@dataclass
class Table:
    ledger: DynamoLedger
    client: Any
    clock: ManualClock
    settings: Settings

    def claim(self, attempt: int = 1, job: str | None = "job-1") -> LedgerEntry:
        """What the copy handler writes for ``attempt``: PLANNED, then STARTED with ``job``."""
        decision = decide(make_event(), make_facts(), True, self.settings, attempt)
        assert self.ledger.claim(make_event(), decision, attempt)
        if job is not None:
            self.ledger.mark_started(decision, job, attempt)
        return self.entry()

    def entry(self) -> LedgerEntry:
        entry = self.ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
        assert entry is not None
        return entry

    def item(self) -> dict[str, Any]:
        key = {"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": LAG_VAULT_ARN}}
        item: dict[str, Any] = self.client.get_item(TableName=LEDGER_TABLE, Key=key)["Item"]
        return item


@pytest.fixture
def table(settings: Settings) -> Iterator[Table]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_tracking_ledger_table(client, LEDGER_TABLE)
        clock = ManualClock(START)
        yield Table(DynamoLedger(client, LEDGER_TABLE, clock=clock), client, clock, settings)


def completed(job: str = "job-1") -> CopyJobUpdate:
    """A COMPLETED event of the sample's copy, for the snapshot the table's entries are about."""
    return replace(
        copy_update(COMPLETED, copyJobId=job),
        source_recovery_point_arn=EBS_SNAPSHOT,
        source_vault_arn=vault_arn("daily"),
    )


def protected(job: str = "job-1") -> CopyResult:
    return CopyResult(LedgerState.PROTECTED, "key-aws-managed", "aws/backup", job)


def failed(job: str = "job-1", alert: str | None = None) -> CopyResult:
    return CopyResult(
        LedgerState.FAILED,
        "permanent",
        "Access denied",
        job,
        failure_kind="permanent",
        pending_alert=alert,
    )


# --- the copy handler's claim ------------------------------------------------------------------


def test_given_a_started_attempt_when_the_next_is_claimed_then_its_old_job_id_is_forgotten(
    table: Table,
) -> None:
    table.claim(attempt=1, job="job-1")
    table.claim(attempt=2, job=None)
    assert (table.entry().state, table.entry().copy_job_id) == (LedgerState.PLANNED, None)


# --- CREATED / RUNNING -------------------------------------------------------------------------


def test_given_a_planned_entry_when_its_job_runs_then_it_is_started_with_that_job(
    table: Table,
) -> None:
    entry = table.claim(job=None)
    assert table.ledger.record_running(entry, "job-1")
    assert (table.entry().state, table.entry().copy_job_id) == (LedgerState.STARTED, "job-1")


def test_given_an_entry_started_by_another_job_when_a_job_runs_then_nothing_changes(
    table: Table,
) -> None:
    entry = table.claim(job="job-1")
    assert not table.ledger.record_running(replace(entry, copy_job_id=None), "job-0")
    assert table.entry().copy_job_id == "job-1"


def test_given_a_retry_claimed_when_the_failed_jobs_late_running_arrives_then_it_is_refused(
    table: Table,
) -> None:
    # Given attempt 1 failed (noted) and attempt 2 claimed
    first = table.claim(attempt=1, job="job-1")
    assert table.ledger.note_failure(first, "job-1", "transient", "Rate exceeded")
    second = table.claim(attempt=2, job=None)
    # When attempt 1's RUNNING arrives late
    recorded = table.ledger.record_running(second, "job-1")
    # Then it is not taken for attempt 2's job
    assert not recorded
    assert (table.entry().state, table.entry().copy_job_id) == (LedgerState.PLANNED, None)


# --- failures ----------------------------------------------------------------------------------


def test_given_the_current_job_failed_when_noted_then_the_reason_is_kept(table: Table) -> None:
    entry = table.claim(job="job-1")
    assert table.ledger.note_failure(entry, "job-1", "retention-out-of-range", "not within range")
    noted = table.entry()
    assert (noted.state, noted.last_failed_copy_job_id, noted.last_failure_kind) == (
        LedgerState.STARTED,
        "job-1",
        "retention-out-of-range",
    )
    assert table.item()["LastFailure"]["S"] == "not within range"


def test_given_an_older_job_failed_when_noted_then_nothing_changes(table: Table) -> None:
    entry = table.claim(job="job-2")
    assert not table.ledger.note_failure(entry, "job-1", "transient", "late")
    assert table.entry().last_failed_copy_job_id is None


def test_given_the_current_job_failed_when_recorded_then_the_entry_is_failed(table: Table) -> None:
    table.claim(job="job-1")
    assert table.ledger.record_copy_result(completed("job-1"), failed("job-1"))
    assert (table.entry().state, table.entry().reason) == (LedgerState.FAILED, "permanent")
    assert table.item()["FailureKind"]["S"] == "permanent"


def test_given_another_job_failed_when_recorded_then_the_entry_is_not_failed(table: Table) -> None:
    table.claim(job="job-2")
    assert not table.ledger.record_copy_result(completed("job-1"), failed("job-1"))
    assert table.entry().state is LedgerState.STARTED


def test_given_no_entry_when_a_failure_is_recorded_then_none_is_created(table: Table) -> None:
    # A failed copy the orchestrator did not start must not block its own claim later
    assert not table.ledger.record_copy_result(completed(), failed())
    assert table.ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN) is None


def test_given_a_protected_entry_when_a_failure_is_recorded_then_it_stays_protected(
    table: Table,
) -> None:
    table.claim(job="job-1")
    assert table.ledger.record_copy_result(completed(), protected())
    assert not table.ledger.record_copy_result(completed(), failed())
    assert table.entry().state is LedgerState.PROTECTED


# --- completion --------------------------------------------------------------------------------


def test_given_a_started_copy_when_protected_then_destination_and_key_are_recorded(
    table: Table,
) -> None:
    table.claim(job="job-1")
    expires = table.item()["ExpiresAt"]
    result = replace(
        protected(), destination_recovery_point_arn="arn:aws:backup:rp", destination_key_arn="k"
    )
    assert table.ledger.record_copy_result(completed(), result)
    entry = table.entry()
    assert (entry.state, entry.destination_recovery_point_arn, entry.destination_key_arn) == (
        LedgerState.PROTECTED,
        "arn:aws:backup:rp",
        "k",
    )
    # the claim's expiry (from the copy's lifecycle) is kept
    assert table.item()["ExpiresAt"] == expires


def test_given_no_entry_when_a_completed_copy_is_recorded_then_it_is_readable(
    table: Table,
) -> None:
    assert table.ledger.record_copy_result(completed(), protected())
    entry, item = table.entry(), table.item()
    assert (entry.source_vault_name, entry.resource_type, entry.attempts) == ("daily", "EBS", 0)
    assert int(item["ExpiresAt"]["N"]) > int(START.timestamp())


# --- alerts ------------------------------------------------------------------------------------


def test_given_an_owed_alert_when_taken_twice_then_only_the_first_gets_it(table: Table) -> None:
    table.claim(job="job-1")
    table.ledger.record_copy_result(completed(), failed(alert="copy-failed"))
    first = table.ledger.take_pending_alert(EBS_SNAPSHOT, LAG_VAULT_ARN)
    second = table.ledger.take_pending_alert(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert first is not None
    assert first.pending_alert == "copy-failed"
    assert second is None


def test_given_a_taken_alert_when_restored_then_it_can_be_taken_again(table: Table) -> None:
    table.claim(job="job-1")
    table.ledger.record_copy_result(completed(), failed(alert="copy-failed"))
    taken = table.ledger.take_pending_alert(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert taken is not None
    table.ledger.restore_pending_alert(taken)
    assert table.ledger.take_pending_alert(EBS_SNAPSHOT, LAG_VAULT_ARN) is not None


def test_given_alert_bookkeeping_when_written_then_updated_at_does_not_move(table: Table) -> None:
    table.claim(job="job-1")
    table.ledger.record_copy_result(completed(), failed(alert="copy-failed"))
    before = table.entry().updated_at
    table.clock.advance(timedelta(minutes=30))
    table.ledger.take_pending_alert(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert table.entry().updated_at == before


# --- stuck copies ------------------------------------------------------------------------------


def test_given_copies_in_progress_when_queried_then_only_those_before_the_cutoff_return(
    table: Table,
) -> None:
    # Given one copy started at 07:00 and a PLANNED one claimed at 09:00 for another snapshot
    table.claim(job="job-1")
    table.clock.advance(timedelta(minutes=120))
    other = make_event(recovery_point_arn="arn:aws:ec2:us-east-1::snapshot/snap-0ffffffffffffffff")
    decision = decide(other, make_facts(str(other.recovery_point_arn)), True, table.settings)
    table.ledger.claim(other, decision, 1)
    # When asked for copies in progress before 08:00
    found = table.ledger.in_progress_before(START + timedelta(hours=1))
    # Then only the first one is found
    assert [(e.recovery_point_arn, e.state) for e in found] == [(EBS_SNAPSHOT, LedgerState.STARTED)]


def test_given_a_settled_copy_when_queried_then_it_is_not_in_progress(table: Table) -> None:
    table.claim(job="job-1")
    table.ledger.record_copy_result(completed(), protected())
    assert table.ledger.in_progress_before(START + timedelta(days=1)) == []


def test_given_a_stuck_copy_when_flagged_twice_then_only_the_first_flag_counts(
    table: Table,
) -> None:
    entry = table.claim(job="job-1")
    assert table.ledger.flag_stuck(entry)
    assert not table.ledger.flag_stuck(entry)


def test_given_a_flagged_copy_that_moved_on_and_stuck_again_when_flagged_then_it_counts(
    table: Table,
) -> None:
    # Given attempt 1 reported stuck, then retried: a new stuck period starts
    assert table.ledger.flag_stuck(table.claim(attempt=1, job="job-1"))
    table.clock.advance(timedelta(minutes=300))
    retried = table.claim(attempt=2, job="job-2")
    # Then the new period can be reported once
    assert table.ledger.flag_stuck(retried)


def test_given_a_flag_whose_alert_failed_when_unflagged_then_it_can_be_flagged_again(
    table: Table,
) -> None:
    entry = table.claim(job="job-1")
    table.ledger.flag_stuck(entry)
    table.ledger.unflag_stuck(entry)
    assert table.ledger.flag_stuck(entry)
