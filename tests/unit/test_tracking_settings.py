"""The settings copy tracking adds (core.kernel.config): STUCK_AFTER_MINUTES and ALERT_TOPIC_ARN."""

from __future__ import annotations

import pytest

from core.kernel.config import load_settings
from core.kernel.errors import ConfigError
from tests.samples import SETTINGS_ENV


def test_given_no_stuck_age_when_loaded_then_it_is_four_hours() -> None:
    env = {k: v for k, v in SETTINGS_ENV.items() if k != "STUCK_AFTER_MINUTES"}
    assert load_settings(env).stuck_after_minutes == 240


def test_given_a_stuck_age_when_loaded_then_it_is_used() -> None:
    assert load_settings({**SETTINGS_ENV, "STUCK_AFTER_MINUTES": "90"}).stuck_after_minutes == 90


@pytest.mark.parametrize("value", ["0", "-5", "two hours", "4h"])
def test_given_a_bad_stuck_age_when_loaded_then_it_fails_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="STUCK_AFTER_MINUTES"):
        load_settings({**SETTINGS_ENV, "STUCK_AFTER_MINUTES": value})


def test_given_an_alert_topic_that_is_not_sns_when_loaded_then_it_fails() -> None:
    queue = "arn:aws:sqs:us-east-1:111122223333:backup-copy-alerts"
    with pytest.raises(ConfigError, match="ALERT_TOPIC_ARN"):
        load_settings({**SETTINGS_ENV, "ALERT_TOPIC_ARN": queue})


def test_given_no_alert_topic_when_loaded_then_the_copy_function_still_starts() -> None:
    # Only the tracking function needs the topic; its wiring checks that (handlers.tracking_wiring)
    assert load_settings({**SETTINGS_ENV, "ALERT_TOPIC_ARN": ""}).alert_topic_arn == ""
