"""Every copy gets an explicit lifecycle the destination vault accepts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.copying.lifecycle import copy_lifecycle, source_retention_days
from core.kernel.config import FOREVER_DAYS, Destination
from core.kernel.models import SourceLifecycle, Target
from tests.fakes import CREATED_AT, make_facts
from tests.samples import LAG_VAULT_ARN, MANAGED_VAULT_ARN

LAG = Destination(LAG_VAULT_ARN, min_retention_days=7, max_retention_days=400)
MANAGED = Destination(MANAGED_VAULT_ARN, min_retention_days=1, max_retention_days=None)
LOCKED_MANAGED = Destination(MANAGED_VAULT_ARN, min_retention_days=1, max_retention_days=100)


def kept(days: int | None, cold: int | None = None) -> SourceLifecycle:
    return SourceLifecycle(delete_after_days=days, move_to_cold_storage_after_days=cold)


@pytest.mark.parametrize(
    ("source_days", "expected"),
    [(30, 30), (7, 7), (400, 400), (3, 7), (1, 7), (500, 400), (3650, 400)],
)
def test_given_a_source_retention_when_copied_to_lag_then_it_is_clamped_into_the_vault_range(
    source_days: int, expected: int
) -> None:
    # Given a source kept source_days, and a LAG vault accepting [7, 400]
    facts = make_facts(lifecycle=kept(source_days))
    # When the copy lifecycle is computed / Then DeleteAfterDays lies inside the range
    assert copy_lifecycle(facts, LAG, Target.LAG) == {"DeleteAfterDays": expected}


def test_given_an_hourly_source_kept_3_days_when_copied_to_lag_then_the_copy_is_kept_7_days() -> (
    None
):
    # Given the seed's hourly rule (3 days), which a LAG vault would refuse (minimum 7)
    facts = make_facts(lifecycle=kept(3))
    # When copied to LAG / Then the copy is kept the LAG minimum
    assert copy_lifecycle(facts, LAG, Target.LAG)["DeleteAfterDays"] == 7


def test_given_an_hourly_source_when_copied_to_the_managed_vault_then_it_keeps_3_days() -> None:
    # Given a vault with a 1-day minimum / Then the source retention stands
    assert copy_lifecycle(make_facts(lifecycle=kept(3)), MANAGED, Target.MANAGED) == {
        "DeleteAfterDays": 3
    }


def test_given_no_lifecycle_days_when_the_source_has_a_delete_date_then_days_are_counted() -> None:
    # Given only CalculatedLifecycle.DeleteAt, 10 days and 1 hour after creation
    facts = make_facts(lifecycle=kept(None), delete_at=CREATED_AT + timedelta(days=10, hours=1))
    # When the source retention is read / Then partial days round up (never delete early)
    assert source_retention_days(facts) == 11
    assert copy_lifecycle(facts, MANAGED, Target.MANAGED) == {"DeleteAfterDays": 11}


def test_given_a_source_kept_forever_when_copied_to_lag_then_the_vault_maximum_applies() -> None:
    # Given a source with no expiry at all
    facts = make_facts(lifecycle=kept(None), delete_at=None)
    # When copied to a LAG vault (which always has a maximum) / Then the maximum applies
    assert source_retention_days(facts) is None
    assert copy_lifecycle(facts, LAG, Target.LAG) == {"DeleteAfterDays": 400}


def test_given_a_source_kept_forever_when_the_vault_has_no_maximum_then_the_copy_is_forever() -> (
    None
):
    facts = make_facts(lifecycle=kept(None), delete_at=None)
    assert copy_lifecycle(facts, MANAGED, Target.MANAGED) == {"DeleteAfterDays": FOREVER_DAYS}


def test_given_a_cold_transition_when_copied_to_the_managed_vault_then_it_is_kept() -> None:
    # Given a source that moves to cold storage after 30 days and is kept a year
    facts = make_facts(lifecycle=kept(365, cold=30))
    # When copied to a standard vault / Then the transition is kept
    assert copy_lifecycle(facts, MANAGED, Target.MANAGED) == {
        "DeleteAfterDays": 365,
        "MoveToColdStorageAfterDays": 30,
    }


def test_given_a_cold_transition_too_close_to_deletion_then_retention_grows_to_cold_plus_90() -> (
    None
):
    # Given cold after 30 days but deletion after 100 (AWS requires deletion ≥ cold + 90)
    facts = make_facts(lifecycle=kept(100, cold=30))
    # When copied / Then the copy is kept cold + 90 = 120 days
    lifecycle = copy_lifecycle(facts, MANAGED, Target.MANAGED)
    assert lifecycle == {"DeleteAfterDays": 120, "MoveToColdStorageAfterDays": 30}
    assert lifecycle["DeleteAfterDays"] >= lifecycle["MoveToColdStorageAfterDays"] + 90


def test_given_a_cold_transition_that_the_vault_maximum_cannot_fit_then_it_is_dropped() -> None:
    # Given cold after 30 days, but a vault lock maximum of 100 days (< 30 + 90)
    facts = make_facts(lifecycle=kept(365, cold=30))
    # When copied / Then the copy stays warm and respects the maximum
    assert copy_lifecycle(facts, LOCKED_MANAGED, Target.MANAGED) == {"DeleteAfterDays": 100}


def test_given_a_cold_transition_when_copied_to_lag_then_it_is_dropped() -> None:
    # Given a source with a cold transition
    facts = make_facts(lifecycle=kept(365, cold=30))
    # When copied to a LAG vault, which keeps recovery points warm
    lifecycle = copy_lifecycle(facts, LAG, Target.LAG)
    # Then no cold transition is sent, and retention is not inflated by the cold rule
    assert lifecycle == {"DeleteAfterDays": 365}


def test_given_a_cold_transition_when_copied_to_lag_then_the_90_day_rule_does_not_inflate() -> None:
    # Given cold after 30 days and deletion after 60 days (the source itself breaks the rule)
    facts = make_facts(lifecycle=kept(60, cold=30))
    # When copied to LAG / Then the copy keeps 60 days, not 120
    assert copy_lifecycle(facts, LAG, Target.LAG) == {"DeleteAfterDays": 60}


def test_given_a_cold_transition_when_copied_to_an_override_vault_then_it_is_kept() -> None:
    facts = make_facts(lifecycle=kept(365, cold=30))
    assert copy_lifecycle(facts, MANAGED, Target.OVERRIDE) == {
        "DeleteAfterDays": 365,
        "MoveToColdStorageAfterDays": 30,
    }
