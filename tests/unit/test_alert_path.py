"""The key guard's alert path settings: the alert topic's key and the fallback topic, together."""

from __future__ import annotations

import pytest

from core.kernel.errors import ConfigError
from core.key_guard.alert_path import AlertPathSettings, load_alert_path_settings
from core.key_guard.kms_events import KeyRef

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:backup-copy-alerts-fallback"


def test_given_both_variables_when_loaded_then_the_key_and_the_topic_are_read() -> None:
    path = load_alert_path_settings(
        {"ALERT_TOPIC_KEY_ARN": KEY_ARN, "FALLBACK_ALERT_TOPIC_ARN": TOPIC_ARN}
    )
    key = KeyRef.from_arn(KEY_ARN)
    assert key is not None
    assert (path.alert_key, path.fallback_topic_arn) == (key, TOPIC_ARN)
    assert path.is_alert_key(key)


def test_given_neither_variable_when_loaded_then_no_key_is_the_alert_key() -> None:
    path = load_alert_path_settings({})
    assert path == AlertPathSettings()
    assert not path.is_alert_key(KeyRef("111122223333", "us-east-1", "any"))


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"ALERT_TOPIC_KEY_ARN": KEY_ARN}, "go together"),
        ({"FALLBACK_ALERT_TOPIC_ARN": TOPIC_ARN}, "go together"),
        (
            {"ALERT_TOPIC_KEY_ARN": "alias/aws/sns", "FALLBACK_ALERT_TOPIC_ARN": TOPIC_ARN},
            "not a KMS key ARN",
        ),
        (
            {"ALERT_TOPIC_KEY_ARN": KEY_ARN, "FALLBACK_ALERT_TOPIC_ARN": KEY_ARN},
            "not an SNS topic ARN",
        ),
    ],
)
def test_given_a_bad_alert_path_when_loaded_then_it_fails_at_cold_start(
    env: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_alert_path_settings(env)
    assert problem in raised.value.message
