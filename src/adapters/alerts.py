"""SNS adapter: publish one alert per actionable problem to the alert topic (ALERT_TOPIC_ARN)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated
from core.alerts import Alert, message, subject
from core.key_alerts import (
    KEY_AT_RISK,
    SEVERITY,
    KeyRiskAlert,
    key_risk_message,
    key_risk_subject,
)

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

# SNS's own throttling error, ThrottledException (HTTP 429), is in the shared table of retryable
# codes; KMS throttling the topic's key is transient for a publish only
# (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
_SNS_TRANSIENT = frozenset({"KMSThrottlingException"})


class SnsAlerts:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, alert: Alert) -> None:
        # AlertKind lets a subscription filter policy route by kind (key-dependent to security).
        self._publish(subject(alert), message(alert), {"AlertKind": alert.kind.value})

    def publish_key_risk(self, alert: KeyRiskAlert) -> None:
        """The key guard's alert; ``Severity`` lets a subscription route it to be paged."""
        attributes = {"AlertKind": KEY_AT_RISK, "Severity": SEVERITY}
        self._publish(key_risk_subject(alert), key_risk_message(alert), attributes)

    def _publish(self, subject_line: str, body: str, attributes: dict[str, str]) -> None:
        with translated("Publish", permanent=_not_throttled):
            self._client.publish(
                TopicArn=self._topic_arn,
                Subject=subject_line,
                Message=body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in attributes.items()
                },
            )


def _not_throttled(error: ClientError) -> bool:
    return error_code(error) not in _SNS_TRANSIENT
