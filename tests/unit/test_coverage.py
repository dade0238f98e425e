"""Where a recovery point stands from its ledger entries, and how coverage adds up (pure)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.kernel.ledger_states import LedgerState
from core.kernel.models import Reason
from core.reconcile.coverage import Coverage, Finding, Standing, judge, standing_for_skip
from tests.reconcile_fakes import CMK, NOW, OTHER_CMK, entry, listed
from tests.samples import LAG_VAULT_ARN, MANAGED_VAULT_ARN

POINT = listed(1)


# --- judge --------------------------------------------------------------------------------


def test_given_no_entry_when_judged_then_it_is_unprotected() -> None:
    judgement = judge([])
    assert (judgement.standing, judgement.entry) == (Standing.UNPROTECTED, None)


@pytest.mark.parametrize(
    ("state", "standing"),
    [
        (LedgerState.PROTECTED, Standing.PROTECTED),
        (LedgerState.PLANNED, Standing.IN_FLIGHT),
        (LedgerState.STARTED, Standing.IN_FLIGHT),
        (LedgerState.KEY_DEPENDENT, Standing.KEY_DEPENDENT),
        (LedgerState.FAILED, Standing.FAILED),
    ],
)
def test_given_one_copy_entry_when_judged_then_its_state_decides(
    state: LedgerState, standing: Standing
) -> None:
    assert judge([entry(POINT, LAG_VAULT_ARN, state)]).standing is standing


def test_given_a_failed_lag_copy_and_a_protected_fallback_when_judged_then_it_is_protected() -> (
    None
):
    # Given the LAG vault refused the copy and the managed-key vault took it
    entries = [
        entry(POINT, LAG_VAULT_ARN, LedgerState.FAILED),
        entry(POINT, MANAGED_VAULT_ARN, LedgerState.PROTECTED),
    ]
    # When judged, then the protected copy decides
    judgement = judge(entries)
    assert judgement.standing is Standing.PROTECTED
    assert judgement.entry is not None
    assert judgement.entry.destination_vault_arn == MANAGED_VAULT_ARN


def test_given_a_failed_copy_and_a_fallback_in_flight_when_judged_then_it_is_in_flight() -> None:
    entries = [
        entry(POINT, LAG_VAULT_ARN, LedgerState.FAILED),
        entry(POINT, MANAGED_VAULT_ARN, LedgerState.STARTED),
    ]
    judgement = judge(entries)
    assert judgement.standing is Standing.IN_FLIGHT
    assert [e.destination_vault_arn for e in judgement.in_flight] == [MANAGED_VAULT_ARN]


def test_given_an_unprotectable_skip_when_judged_then_it_is_unprotectable() -> None:
    skip = entry(POINT, "-", LedgerState.UNPROTECTABLE, reason="skip-continuous")
    assert judge([skip]).standing is Standing.UNPROTECTABLE


def test_given_a_native_lag_temporary_when_judged_then_it_is_skipped_and_out_of_scope() -> None:
    skip = entry(POINT, "-", LedgerState.SKIPPED, reason="skip-native-lag-temporary")
    standing = judge([skip]).standing
    assert standing is Standing.SKIPPED
    assert not standing.in_scope


@pytest.mark.parametrize("reason", ["skip-not-available", "skip-not-completed"])
def test_given_a_skip_decided_too_early_when_judged_then_it_explains_nothing(reason: str) -> None:
    # Given the decision saw the recovery point before it had finished
    skip = entry(POINT, "-", LedgerState.SKIPPED, reason=reason)
    # Then it is decided again
    assert judge([skip]).standing is Standing.UNPROTECTED


def test_given_a_decided_too_early_skip_and_a_later_copy_when_judged_then_the_copy_decides() -> (
    None
):
    entries = [
        entry(POINT, "-", LedgerState.SKIPPED, reason="skip-not-available"),
        entry(POINT, LAG_VAULT_ARN, LedgerState.STARTED),
    ]
    assert judge(entries).standing is Standing.IN_FLIGHT


@pytest.mark.parametrize(
    ("reason", "standing"),
    [
        (Reason.SKIP_CONTINUOUS, Standing.UNPROTECTABLE),
        (Reason.SKIP_COLD, Standing.UNPROTECTABLE),
        (Reason.SKIP_NOT_COPYABLE, Standing.UNPROTECTABLE),
        (Reason.SKIP_NATIVE_LAG_TEMPORARY, Standing.SKIPPED),
        (Reason.SKIP_COMPOSITE_CHILD, Standing.SKIPPED),
        (Reason.SKIP_NOT_AVAILABLE, Standing.UNPROTECTED),
    ],
)
def test_given_a_skip_decision_when_placed_then_it_stands_where_the_ledger_would_put_it(
    reason: Reason, standing: Standing
) -> None:
    assert standing_for_skip(reason) is standing


# --- coverage -----------------------------------------------------------------------------


def found(number: int, standing: Standing, *, hours: int = 2, **changes: Any) -> Finding:
    point = listed(number, age=timedelta(hours=hours), **changes)
    return Finding(point, standing, "lag", "test")


def test_given_findings_when_counted_then_in_scope_leaves_out_skips_only() -> None:
    coverage = Coverage()
    for number, standing in enumerate(Standing):
        coverage.add(found(number, standing))
    counts = coverage.metric_counts()
    assert counts == {
        "in-scope": len(Standing) - 1,
        "protected": 1,
        "in-flight": 1,
        "failed": 1,
        "unprotectable": 1,
        "key-dependent": 1,
    }


def test_given_findings_when_counted_then_the_oldest_unprotected_ignores_protected_ones() -> None:
    # Given an old protected point, an old unprotectable one, and a 3-hour-old one in flight
    coverage = Coverage()
    coverage.add(found(1, Standing.PROTECTED, hours=100))
    coverage.add(found(2, Standing.UNPROTECTABLE, hours=90))
    coverage.add(found(3, Standing.IN_FLIGHT, hours=3))
    coverage.add(found(4, Standing.FAILED, hours=1))
    # Then the oldest unprotected is the one in flight
    assert coverage.oldest_unprotected_age_seconds(NOW) == 3 * 3600


def test_given_nothing_unprotected_when_aged_then_the_age_is_zero() -> None:
    coverage = Coverage()
    coverage.add(found(1, Standing.PROTECTED, hours=100))
    assert coverage.oldest_unprotected_age_seconds(NOW) == 0


def test_given_coverage_when_kept_as_a_document_then_it_reads_back_the_same() -> None:
    coverage = Coverage()
    coverage.add(found(1, Standing.PROTECTED))
    coverage.add(found(2, Standing.FAILED, vault="hourly", resource_type="EBS"))
    coverage.add(found(3, Standing.UNPROTECTED, encryption_key_arn=OTHER_CMK))
    again = Coverage.from_document(coverage.to_document())
    assert again.to_document() == coverage.to_document()
    assert again.key_usage == {CMK: {"daily", "hourly"}, OTHER_CMK: {"daily"}}
    assert again.oldest_unprotected == coverage.oldest_unprotected


def test_given_two_coverages_when_merged_then_counts_add_and_neither_changes() -> None:
    first, second = Coverage(), Coverage()
    first.add(found(1, Standing.PROTECTED))
    second.add(found(2, Standing.PROTECTED))
    merged = first.merge(second)
    assert merged.totals()[Standing.PROTECTED] == 2
    assert first.totals()[Standing.PROTECTED] == 1


def test_given_coverage_of_two_vaults_when_one_is_dropped_then_only_the_other_remains() -> None:
    coverage = Coverage()
    coverage.add(found(1, Standing.PROTECTED, vault="daily"))
    coverage.add(found(2, Standing.FAILED, vault="hourly"))
    kept = coverage.without_vault("hourly")
    assert {key[0] for key in kept.tallies} == {"daily"}
    assert kept.key_usage == {CMK: {"daily"}}
