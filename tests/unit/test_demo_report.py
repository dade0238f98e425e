"""The demo's promise checks and report rules, on hand-made facts (no AWS, no emulator)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.kernel.ledger_states import LedgerEntry, LedgerState
from demo.render import table
from demo.report import (
    duplicate_copies,
    lost_recovery_points,
    outcome_of,
    unexplained_outcomes,
)

POINT = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"
LAG = "arn:aws:backup:us-east-1:123456789012:backup-vault:lag"
MANAGED = "arn:aws:backup:us-east-1:123456789012:backup-vault:managed"


def copy_job(job_id: str, state: str, destination: str = LAG) -> dict[str, Any]:
    return {
        "CopyJobId": job_id,
        "State": state,
        "SourceRecoveryPointArn": POINT,
        "DestinationBackupVaultArn": destination,
    }


def entry(
    state: LedgerState, destination: str = "-", reason: str = "r", hour: int = 1
) -> LedgerEntry:
    return LedgerEntry(
        recovery_point_arn=POINT,
        destination_vault_arn=destination,
        state=state,
        reason=reason,
        attempts=1,
        updated_at=datetime(2026, 11, 1, hour, tzinfo=UTC),
    )


def point(status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "RecoveryPointArn": POINT,
        "Status": status,
        "ResourceType": "EBS",
        "BackupVaultName": "hourly",
    }


def test_given_two_live_copy_jobs_for_one_pair_when_checked_then_it_is_a_duplicate() -> None:
    # When
    found = duplicate_copies([copy_job("A", "COMPLETED"), copy_job("B", "RUNNING")])
    # Then
    assert len(found) == 1
    assert "A, B" in found[0]


def test_given_a_retry_after_a_failed_copy_when_checked_then_it_is_no_duplicate() -> None:
    # When
    found = duplicate_copies([copy_job("A", "FAILED"), copy_job("B", "COMPLETED")])
    # Then
    assert found == []


def test_given_copies_to_two_destinations_when_checked_then_neither_is_a_duplicate() -> None:
    # When
    found = duplicate_copies([copy_job("A", "FAILED"), copy_job("B", "COMPLETED", MANAGED)])
    # Then
    assert found == []


def test_given_a_completed_point_without_ledger_entry_when_checked_then_it_is_lost() -> None:
    # Then
    assert lost_recovery_points([point()], []) == [f"{POINT} (EBS in hourly)"]
    assert lost_recovery_points([point()], [entry(LedgerState.SKIPPED)]) == []
    assert lost_recovery_points([point("PARTIAL")], []) == []


def test_given_final_entries_without_reason_when_checked_then_only_those_are_unexplained() -> None:
    # Given
    ledger = [
        entry(LedgerState.UNPROTECTABLE, reason=""),
        entry(LedgerState.FAILED, LAG, reason="  "),
        entry(LedgerState.PROTECTED, MANAGED, reason=""),  # its copy is the explanation
        entry(LedgerState.STARTED, MANAGED, reason=""),  # not settled yet
        entry(LedgerState.SKIPPED, reason="skip-cold"),
    ]
    # When
    found = unexplained_outcomes(ledger)
    # Then
    assert [line.split(": ")[1] for line in found] == [
        "unprotectable, no reason",
        "failed, no reason",
    ]


def test_given_entries_when_judged_then_protected_wins_then_in_flight_then_the_latest_copy() -> (
    None
):
    # Then
    protected = entry(LedgerState.PROTECTED, MANAGED)
    started = entry(LedgerState.STARTED, LAG)
    lag_failed = entry(LedgerState.FAILED, LAG, "lag-rejected", hour=1)
    managed_failed = entry(LedgerState.FAILED, MANAGED, "permanent", hour=2)
    skip = entry(LedgerState.UNPROTECTABLE, hour=3)
    assert outcome_of([]) == ("lost", None)
    assert outcome_of([lag_failed, protected]) == ("protected", protected)
    assert outcome_of([lag_failed, started]) == ("in-flight", started)
    assert outcome_of([managed_failed, lag_failed]) == ("unprotected", managed_failed)
    assert outcome_of([skip]) == ("unprotected", skip)


def test_given_rows_when_tabled_then_numbers_align_right_and_notes_follow_their_row() -> None:
    # When
    text = table(("type", "count"), [("EBS", 7), ("DynamoDB", 12)], notes=[None, "why"])
    # Then
    assert text.splitlines() == [
        "type      count",
        "--------  -----",
        "EBS           7",
        "DynamoDB     12",
        "          why",
    ]
