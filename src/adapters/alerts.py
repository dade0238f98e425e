"""SNS adapter: publish one alert per actionable problem to the alert topic (ALERT_TOPIC_ARN)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated
from core.kernel.alerts import Alert, message, subject
from core.kernel.errors import PermanentError
from core.key_guard.alerts import (
    ALERT_PATH_AT_RISK,
    KEY_AT_RISK,
    SEVERITY,
    AlertPathRisk,
    KeyRiskAlert,
    alert_path_message,
    alert_path_subject,
    key_risk_message,
    key_risk_subject,
)
from core.tracking.backup_job_problems import (
    ALERT_KIND,
    BackupJobProblem,
    problem_message,
    problem_subject,
)

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

# SNS's own throttling error, ThrottledException (HTTP 429), is in the shared table of retryable
# codes; KMS throttling the topic's key is transient for a publish only
# (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). SNS speaks the query protocol:
# the wire code is "KMSThrottling" (botocore's SNS model), the shape name "...Exception".
_SNS_TRANSIENT = frozenset({"KMSThrottling", "KMSThrottlingException"})
# The topic's key cannot be used (disabled, pending deletion or import, gone, or its policy no
# longer lets this principal use it through SNS): API_Publish.html, "Errors".
_KEY_UNUSABLE = frozenset(
    {
        code + suffix
        for code in ("KMSDisabled", "KMSInvalidState", "KMSNotFound", "KMSAccessDenied")
        for suffix in ("", "Exception")
    }
    | {"KMSOptInRequired"}
)


class SnsAlerts:
    """Alerts to the alert topic; with a fallback topic (under aws/sns), whatever the alert
    topic's key refuses goes there instead, and so does a risk to that key itself."""

    def __init__(self, client: SNSClient, topic_arn: str, fallback_topic_arn: str = "") -> None:
        self._client = client
        self._topic_arn = topic_arn
        self._fallback_topic_arn = fallback_topic_arn

    def publish(self, alert: Alert) -> None:
        # AlertKind lets a subscription filter policy route by kind (key-dependent to security).
        self._publish(subject(alert), message(alert), {"AlertKind": alert.kind.value})

    def publish_key_risk(self, alert: KeyRiskAlert) -> None:
        """The key guard's alert; ``Severity`` lets a subscription route it to be paged."""
        attributes = {"AlertKind": KEY_AT_RISK, "Severity": SEVERITY}
        self._publish(key_risk_subject(alert), key_risk_message(alert), attributes)

    def publish_backup_problem(self, problem: BackupJobProblem) -> None:
        """A backup job that wrote nothing; ``BackupJobState`` lets a subscription filter."""
        attributes = {"AlertKind": ALERT_KIND, "BackupJobState": problem.state}
        self._publish(problem_subject(problem), problem_message(problem), attributes)

    def publish_alert_path_risk(self, risk: AlertPathRisk) -> None:
        """Straight to the fallback topic: the alert topic's own key is the one at risk."""
        attributes = {"AlertKind": ALERT_PATH_AT_RISK, "Severity": SEVERITY}
        topic = self._fallback_topic_arn or self._topic_arn
        self._send(topic, alert_path_subject(risk), alert_path_message(risk), attributes)

    def _publish(self, subject_line: str, body: str, attributes: dict[str, str]) -> None:
        try:
            self._send(self._topic_arn, subject_line, body, attributes)
        except PermanentError as error:
            if not self._fallback_topic_arn or error.reason not in _KEY_UNUSABLE:
                raise
            fallback = {**attributes, "AlertPath": "fallback"}
            self._send(self._fallback_topic_arn, subject_line, body, fallback)

    def _send(
        self, topic_arn: str, subject_line: str, body: str, attributes: dict[str, str]
    ) -> None:
        with translated("Publish", permanent=_not_throttled):
            self._client.publish(
                TopicArn=topic_arn,
                Subject=subject_line,
                Message=body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in attributes.items()
                },
            )


def _not_throttled(error: ClientError) -> bool:
    return error_code(error) not in _SNS_TRANSIENT
