"""The reconciler's own settings and its run deadline (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.kernel.errors import ConfigError
from core.reconcile.settings import deadline_for, load_reconcile_settings
from tests.reconcile_fakes import NOW


def test_given_no_variables_when_loaded_then_the_defaults_apply() -> None:
    options = load_reconcile_settings({})
    assert (options.look_back_days, options.page_size) == (35, 100)


def test_given_a_look_back_of_zero_when_loaded_then_whole_vaults_are_walked() -> None:
    assert load_reconcile_settings({"RECONCILE_LOOK_BACK_DAYS": "0"}).look_back_days is None


def test_given_both_variables_when_loaded_then_they_are_used() -> None:
    options = load_reconcile_settings(
        {"RECONCILE_LOOK_BACK_DAYS": "400", "RECONCILE_PAGE_SIZE": "1000"}
    )
    assert (options.look_back_days, options.page_size) == (400, 1000)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"RECONCILE_LOOK_BACK_DAYS": "-1"}, "RECONCILE_LOOK_BACK_DAYS must be a whole number"),
        ({"RECONCILE_LOOK_BACK_DAYS": "a week"}, "RECONCILE_LOOK_BACK_DAYS must be a whole"),
        ({"RECONCILE_PAGE_SIZE": "0"}, "RECONCILE_PAGE_SIZE must be between 1 and 1000"),
        ({"RECONCILE_PAGE_SIZE": "1001"}, "RECONCILE_PAGE_SIZE must be between 1 and 1000"),
    ],
)
def test_given_a_bad_value_when_loaded_then_the_problem_is_named(
    env: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_reconcile_settings(env)
    assert any(problem in line for line in raised.value.problems)


def test_given_fifteen_minutes_left_when_the_deadline_is_set_then_a_tenth_is_kept_back() -> None:
    assert deadline_for(NOW, 900_000) == NOW + timedelta(seconds=810)


def test_given_little_time_left_when_the_deadline_is_set_then_ten_seconds_are_kept_back() -> None:
    assert deadline_for(NOW, 30_000) == NOW + timedelta(seconds=20)
