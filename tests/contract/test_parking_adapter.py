"""Parking rejected records in the copy DLQ, with their reason, against moto SQS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from adapters.parking import DeadLetterParking
from core.kernel.errors import PermanentError
from tests.samples import PARKING_QUEUE, REGION


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


@pytest.fixture
def queue_url(sqs: Any) -> str:
    url: str = sqs.create_queue(QueueName=PARKING_QUEUE)["QueueUrl"]
    return url


def parked(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def attributes(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


def test_given_a_rejected_record_when_parked_then_the_dlq_holds_it_with_its_reason(
    sqs: Any, queue_url: str
) -> None:
    # Given a record the parser rejected
    body = '{"source": "aws.backup", "detail-type": "Backup Job State Change"}'
    # When parked
    DeadLetterParking(sqs, queue_url).park(body, "malformed-event", "detail is not a JSON object")
    # Then the DLQ holds the original body, and the reason as message attributes
    [message] = parked(sqs, queue_url)
    assert message["Body"] == body
    assert attributes(message) == {
        "RejectionReason": "malformed-event",
        "RejectionDetail": "detail is not a JSON object",
    }


def test_given_an_empty_body_when_parked_then_a_placeholder_body_is_sent(
    sqs: Any, queue_url: str
) -> None:
    # SQS refuses empty message bodies
    DeadLetterParking(sqs, queue_url).park("", "malformed-event", "body is not JSON")
    [message] = parked(sqs, queue_url)
    assert message["Body"] == "(empty)"


def test_given_a_long_detail_when_parked_then_it_is_cut_to_1024_characters(
    sqs: Any, queue_url: str
) -> None:
    DeadLetterParking(sqs, queue_url).park("{}", "malformed-event", "x" * 5000)
    [message] = parked(sqs, queue_url)
    assert attributes(message)["RejectionDetail"] == "x" * 1024


def test_given_no_detail_when_parked_then_the_reason_stands_in(sqs: Any, queue_url: str) -> None:
    # SQS refuses empty attribute values
    DeadLetterParking(sqs, queue_url).park("{}", "InvalidRequestException", "")
    [message] = parked(sqs, queue_url)
    assert attributes(message)["RejectionDetail"] == "InvalidRequestException"


def test_given_a_queue_that_does_not_exist_when_parked_then_a_domain_error_is_raised(
    sqs: Any,
) -> None:
    # Given a wrong PARKING_QUEUE_URL
    url = f"https://sqs.{REGION}.amazonaws.com/111122223333/no-such-queue"
    # When parked / Then the failure surfaces as a domain error naming SendMessage
    with pytest.raises(PermanentError) as caught:
        DeadLetterParking(sqs, url).park("{}", "malformed-event", "detail")
    assert caught.value.message.startswith("SendMessage")
