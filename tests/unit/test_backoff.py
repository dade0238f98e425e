"""The backoff of transient copy failures (core.kernel.retry_delay) and its settings."""

from __future__ import annotations

import pytest

from core.kernel.config import load_settings
from core.kernel.errors import ConfigError
from core.kernel.retry_delay import MAX_DELAY_SECONDS, Delivery, must_wait, retry_delay_seconds
from tests.samples import SETTINGS_ENV

# --- the delays --------------------------------------------------------------------------------


def test_given_the_defaults_when_attempts_fail_in_turn_then_each_waits_twice_as_long() -> None:
    delays = [retry_delay_seconds(attempt, base=60, cap=900) for attempt in range(1, 7)]
    assert delays == [60, 120, 240, 480, 900, 900]


def test_given_a_cap_below_the_next_doubling_when_reached_then_the_delay_is_the_cap() -> None:
    assert retry_delay_seconds(2, base=60, cap=100) == 100
    assert retry_delay_seconds(1, base=60, cap=100) == 60


def test_given_a_base_equal_to_the_cap_when_any_attempt_fails_then_the_delay_is_constant() -> None:
    assert {retry_delay_seconds(attempt, base=300, cap=300) for attempt in range(1, 20)} == {300}


def test_given_a_huge_attempt_number_when_the_delay_is_computed_then_it_is_the_cap() -> None:
    assert retry_delay_seconds(10**9, base=60, cap=900) == 900


# --- when the retry waits ----------------------------------------------------------------------


@pytest.mark.parametrize(("count", "delivery"), [(1, Delivery.FIRST), (2, Delivery.REDELIVERED)])
def test_given_sqs_receive_counts_when_read_then_first_and_repeated_receives_differ(
    count: int, delivery: Delivery
) -> None:
    assert Delivery.of_receive(count) is delivery


@pytest.mark.parametrize(
    ("delivery", "noted", "waits"),
    [
        (Delivery.FIRST, False, True),  # a new failure: wait
        (Delivery.FIRST, True, True),  # a duplicate of an event already waiting: wait too
        (Delivery.REDELIVERED, True, False),  # the wait is over: retry now
        (Delivery.REDELIVERED, False, True),  # came back for another reason: not waited yet
        (Delivery.DIRECT, False, False),  # no queue (sam local invoke, the reconciler)
        (Delivery.DIRECT, True, False),
    ],
)
def test_given_a_delivery_and_what_the_ledger_noted_then_the_retry_waits_only_when_it_should(
    delivery: Delivery, noted: bool, waits: bool
) -> None:
    assert must_wait(delivery, failure_already_noted=noted) is waits


# --- settings ----------------------------------------------------------------------------------


def test_given_no_backoff_settings_when_loaded_then_the_defaults_apply() -> None:
    settings = load_settings(SETTINGS_ENV)
    assert (settings.retry_base_delay_seconds, settings.retry_max_delay_seconds) == (60, 900)


def test_given_backoff_settings_when_loaded_then_they_are_used() -> None:
    env = {
        **SETTINGS_ENV,
        "COPY_RETRY_BASE_DELAY_SECONDS": "30",
        "COPY_RETRY_MAX_DELAY_SECONDS": "3600",
    }
    settings = load_settings(env)
    assert (settings.retry_base_delay_seconds, settings.retry_max_delay_seconds) == (30, 3600)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COPY_RETRY_BASE_DELAY_SECONDS", "0"),
        ("COPY_RETRY_BASE_DELAY_SECONDS", "1m"),
        ("COPY_RETRY_MAX_DELAY_SECONDS", "-1"),
        ("COPY_RETRY_MAX_DELAY_SECONDS", str(MAX_DELAY_SECONDS + 1)),  # past SQS's 12 hours
    ],
)
def test_given_a_bad_backoff_setting_when_loaded_then_it_fails_naming_the_variable(
    variable: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings({**SETTINGS_ENV, variable: value})


def test_given_a_base_above_the_cap_when_loaded_then_it_fails_naming_both() -> None:
    env = {
        **SETTINGS_ENV,
        "COPY_RETRY_BASE_DELAY_SECONDS": "600",
        "COPY_RETRY_MAX_DELAY_SECONDS": "300",
    }
    with pytest.raises(ConfigError, match=r"COPY_RETRY_BASE_DELAY_SECONDS .*COPY_RETRY_MAX"):
        load_settings(env)


def test_given_the_longest_delay_allowed_then_it_leaves_room_in_sqs_s_12_hours() -> None:
    assert MAX_DELAY_SECONDS + 15 * 60 + 5 * 60 <= 12 * 3600  # Lambda's timeout + batch window
