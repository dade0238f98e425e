"""SnsAlerts against botocore's SNS model (Stubber): one Publish per alert, SNS's limits kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from adapters.alerts import SnsAlerts
from core.alerts import Alert, AlertKind, message, subject
from core.errors import PermanentError, RetryableError
from tests.samples import LAG_VAULT_ARN, REGION

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
