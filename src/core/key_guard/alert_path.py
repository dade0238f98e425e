"""The alert path's own key: when it is at risk, alerts go to a topic that does not need it.

Every alert and every CloudWatch alarm of the stack goes to the alert topic, encrypted with its
customer managed key (``AlertTopicKey``): CloudWatch alarms cannot publish to a topic under the
AWS managed key ``aws/sns``, whose key policy cannot be edited
(https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns). An administrator who can
disable that key can silence every alarm before touching the backups' keys. So the key guard
watches that key too, and reports a risk to it through a second topic under ``aws/sns``, which
nobody in the account can disable or delete, and which a Lambda function can publish to.

Read only by the key guard: ``ALERT_TOPIC_KEY_ARN`` (the alert topic's key) and
``FALLBACK_ALERT_TOPIC_ARN`` (the topic under ``aws/sns``), both or neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.kernel.arns import parse_arn
from core.kernel.errors import ConfigError, OrchestratorError
from core.key_guard.kms_events import KeyRef


@dataclass(frozen=True, slots=True)
class AlertPathSettings:
    alert_key: KeyRef | None = None  # the alert topic's customer managed key
    fallback_topic_arn: str = ""  # an SNS topic under aws/sns

    def is_alert_key(self, key: KeyRef) -> bool:
        return self.alert_key is not None and key == self.alert_key


def load_alert_path_settings(env: Mapping[str, str]) -> AlertPathSettings:
    key_arn = env.get("ALERT_TOPIC_KEY_ARN", "").strip()
    topic_arn = env.get("FALLBACK_ALERT_TOPIC_ARN", "").strip()
    problems: list[str] = []
    key = KeyRef.from_arn(key_arn) if key_arn else None
    if key_arn and key is None:
        problems.append(f"ALERT_TOPIC_KEY_ARN {key_arn!r} is not a KMS key ARN")
    if topic_arn and not _is_topic_arn(topic_arn):
        problems.append(f"FALLBACK_ALERT_TOPIC_ARN {topic_arn!r} is not an SNS topic ARN")
    if bool(key_arn) != bool(topic_arn):
        problems.append("ALERT_TOPIC_KEY_ARN and FALLBACK_ALERT_TOPIC_ARN go together")
    if problems:
        raise ConfigError(problems)
    return AlertPathSettings(alert_key=key, fallback_topic_arn=topic_arn)


def _is_topic_arn(value: str) -> bool:
    try:
        return parse_arn(value, field="FALLBACK_ALERT_TOPIC_ARN").service == "sns"
    except OrchestratorError:
        return False
