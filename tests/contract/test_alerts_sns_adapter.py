"""SnsAlerts against botocore's SNS model (Stubber): one Publish per alert, SNS's limits kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from adapters.alerts import SnsAlerts
from core.kernel.alerts import Alert, AlertKind, message, subject
from core.kernel.errors import PermanentError, RetryableError
from core.key_guard.alerts import (
    AlertPathRisk,
    KeyRiskAlert,
    alert_path_message,
    alert_path_subject,
    key_risk_message,
    key_risk_subject,
)
from core.key_guard.kms_events import parse_key_event
from core.reconcile.coverage import Coverage
from tests.samples import LAG_VAULT_ARN, REGION, read_event

TOPIC = "arn:aws:sns:us-east-1:111122223333:backup-copy-alerts"
ALERT = Alert(
    kind=AlertKind.KEY_DEPENDENT,
    region=REGION,
    recovery_point_arn="arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718",
    destination_vault_arn=LAG_VAULT_ARN,
    reason="key-customer-managed",
    detail="customer managed key in a backup vault",
    resource_type="EBS",
)


@pytest.fixture
def client() -> Any:
    return boto3.client("sns", region_name=REGION)


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def test_given_an_alert_when_published_then_subject_message_and_kind_go_to_the_topic(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response(
        "publish",
        {"MessageId": "c2b3a4f5-0000-4000-8000-000000000001"},
        {
            "TopicArn": TOPIC,
            "Subject": subject(ALERT),
            "Message": message(ALERT),
            "MessageAttributes": {
                "AlertKind": {"DataType": "String", "StringValue": "key-dependent"}
            },
        },
    )
    SnsAlerts(client, TOPIC).publish(ALERT)


def test_given_an_alert_when_published_then_the_subject_is_under_sns_limit(
    client: Any, stubber: Stubber
) -> None:
    captured: dict[str, Any] = {}

    def remember(params: dict[str, Any], **_: Any) -> None:
        captured.update(params)

    client.meta.events.register("provide-client-params.sns.Publish", remember)
    stubber.add_response(
        "publish",
        {"MessageId": "m-1"},
        {**dict.fromkeys(("TopicArn", "Subject", "Message", "MessageAttributes"), ANY)},
    )
    SnsAlerts(client, TOPIC).publish(ALERT)
    assert len(captured["Subject"]) < 100
    assert "\n" not in captured["Subject"]


def test_given_sns_throttling_when_published_then_the_error_is_retryable(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error("publish", "ThrottledException", http_status_code=429)
    with pytest.raises(RetryableError):
        SnsAlerts(client, TOPIC).publish(ALERT)


def test_given_a_missing_topic_when_published_then_the_error_is_permanent(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error("publish", "NotFoundException", http_status_code=404)
    with pytest.raises(PermanentError):
        SnsAlerts(client, TOPIC).publish(ALERT)


# --- The fallback topic (aws/sns): the alert topic's key refuses, or is itself at risk ----------

FALLBACK = "arn:aws:sns:us-east-1:111122223333:backup-copy-alerts-fallback"
KEY_RISK = KeyRiskAlert(
    event=parse_key_event(read_event("kms-schedule-key-deletion.json")),
    region=REGION,
    vaults=("daily",),
    coverage=Coverage(),
    unprotected=(),
    scan_complete=True,
)
ALERT_PATH_RISK = AlertPathRisk(
    parse_key_event(read_event("kms-disable-alert-topic-key.json")), alert_topic_arn=TOPIC
)


def _attributes(**values: str) -> dict[str, Any]:
    return {name: {"DataType": "String", "StringValue": v} for name, v in values.items()}


def test_given_the_alert_topics_key_at_risk_when_published_then_it_goes_to_the_fallback_topic(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response(
        "publish",
        {"MessageId": "m-1"},
        {
            "TopicArn": FALLBACK,
            "Subject": alert_path_subject(ALERT_PATH_RISK),
            "Message": alert_path_message(ALERT_PATH_RISK),
            "MessageAttributes": _attributes(AlertKind="alert-path-at-risk", Severity="high"),
        },
    )
    SnsAlerts(client, TOPIC, FALLBACK).publish_alert_path_risk(ALERT_PATH_RISK)


# SNS speaks the query protocol: the wire codes are botocore's "code" of each error shape.
@pytest.mark.parametrize(
    "code", ["KMSDisabled", "KMSInvalidState", "KMSNotFound", "KMSAccessDenied", "KMSOptInRequired"]
)
def test_given_the_topic_key_refusing_when_a_key_alert_is_published_then_the_fallback_gets_it(
    client: Any, stubber: Stubber, code: str
) -> None:
    # Given the alert topic's key disabled (or gone, or locked) before the vault key is touched
    stubber.add_client_error("publish", code, http_status_code=400)
    # Then the key guard's alert still goes out, through the fallback topic, marked as such
    stubber.add_response(
        "publish",
        {"MessageId": "m-2"},
        {
            "TopicArn": FALLBACK,
            "Subject": key_risk_subject(KEY_RISK),
            "Message": key_risk_message(KEY_RISK),
            "MessageAttributes": _attributes(
                AlertKind="key-at-risk", Severity="high", AlertPath="fallback"
            ),
        },
    )
    SnsAlerts(client, TOPIC, FALLBACK).publish_key_risk(KEY_RISK)


def test_given_the_topic_key_refusing_and_no_fallback_when_published_then_it_is_permanent(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error("publish", "KMSDisabled", http_status_code=400)
    with pytest.raises(PermanentError):
        SnsAlerts(client, TOPIC).publish_key_risk(KEY_RISK)


def test_given_another_permanent_error_when_published_then_the_fallback_is_not_used(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error("publish", "NotFound", http_status_code=404)
    with pytest.raises(PermanentError):
        SnsAlerts(client, TOPIC, FALLBACK).publish_key_risk(KEY_RISK)


def test_given_kms_throttling_on_the_wire_code_when_published_then_it_is_retryable(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error("publish", "KMSThrottling", http_status_code=400)
    with pytest.raises(RetryableError):
        SnsAlerts(client, TOPIC, FALLBACK).publish_key_risk(KEY_RISK)
