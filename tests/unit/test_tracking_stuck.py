"""Which ledger entries are stuck (core.tracking.stuck_copies.is_stuck): pure, by state and age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.tracking.stuck_copies import is_stuck, stuck_cutoff
from tests.samples import LAG_VAULT_ARN

NOW = datetime(2026, 10, 12, 12, 0, tzinfo=UTC)


def entry(state: LedgerState, age: timedelta | None) -> LedgerEntry:
    return LedgerEntry(
        recovery_point_arn="arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718",
        destination_vault_arn=LAG_VAULT_ARN,
        state=state,
        reason="copy-to-lag",
        attempts=1,
        updated_at=None if age is None else NOW - age,
    )


@pytest.mark.parametrize("state", [LedgerState.PLANNED, LedgerState.STARTED])
def test_given_a_copy_in_progress_past_the_age_when_checked_then_it_is_stuck(
    state: LedgerState,
) -> None:
    assert is_stuck(entry(state, timedelta(minutes=241)), NOW, 240)


def test_given_a_copy_in_progress_exactly_at_the_age_when_checked_then_it_is_stuck() -> None:
    assert is_stuck(entry(LedgerState.STARTED, timedelta(minutes=240)), NOW, 240)


def test_given_a_copy_younger_than_the_age_when_checked_then_it_is_not_stuck() -> None:
    assert not is_stuck(entry(LedgerState.STARTED, timedelta(minutes=239)), NOW, 240)


@pytest.mark.parametrize(
    "state", [LedgerState.PROTECTED, LedgerState.FAILED, LedgerState.KEY_DEPENDENT]
)
def test_given_a_settled_copy_however_old_when_checked_then_it_is_not_stuck(
    state: LedgerState,
) -> None:
    assert not is_stuck(entry(state, timedelta(days=30)), NOW, 240)


def test_given_an_entry_without_a_timestamp_when_checked_then_it_is_not_stuck() -> None:
    assert not is_stuck(entry(LedgerState.STARTED, None), NOW, 240)


def test_given_an_age_in_minutes_when_the_cutoff_is_computed_then_it_is_that_long_ago() -> None:
    assert stuck_cutoff(NOW, 90) == datetime(2026, 10, 12, 10, 30, tzinfo=UTC)
