"""The tracking's backoff in its queue (adapters.redelivery): SQS ChangeMessageVisibility.

moto SQS with its clock moved by hand (``tests.sqs_clock``) shows when the message comes back;
a Stubber pins the exact request, validated against botocore's model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from adapters.redelivery import QueueRedelivery
from core.kernel.errors import PermanentError
from tests.samples import ACCOUNT, REGION
from tests.sqs_clock import SqsClock, frozen_sqs_clock

QUEUE = "TrackingQueue"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}"
QUEUE_VISIBILITY_TIMEOUT = 360  # template.yaml's TrackingQueue


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


@pytest.fixture
def clock() -> Iterator[SqsClock]:
    with frozen_sqs_clock() as moved_by_hand:
        yield moved_by_hand


@pytest.fixture
def queue_url(sqs: Any) -> str:
    attributes = {"VisibilityTimeout": str(QUEUE_VISIBILITY_TIMEOUT)}
    url: str = sqs.create_queue(QueueName=QUEUE, Attributes=attributes)["QueueUrl"]
    return url


def received(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def test_given_a_received_message_when_redelivered_after_60_s_then_it_is_back_after_60_s(
    sqs: Any, queue_url: str, clock: SqsClock
) -> None:
    # Given a message received from the queue (hidden for the queue's 360 s)
    sqs.send_message(QueueUrl=queue_url, MessageBody="copy job failed")
    [message] = received(sqs, queue_url)
    # When it is to be delivered again 60 s from now
    QueueRedelivery(sqs).redeliver_after(QUEUE_ARN, message["ReceiptHandle"], 60)
    # Then it stays hidden until then, and comes back as its second receive
    clock.advance(59)
    assert received(sqs, queue_url) == []
    clock.advance(2)
    [again] = received(sqs, queue_url)
    assert again["MessageId"] == message["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_given_a_queue_arn_when_its_url_is_built_then_it_is_the_url_sqs_gave_the_queue(
    sqs: Any, queue_url: str
) -> None:
    assert QueueRedelivery(sqs).queue_url(QUEUE_ARN) == queue_url


def test_given_a_client_of_another_endpoint_when_a_url_is_built_then_it_uses_that_endpoint() -> (
    None
):
    # e.g. the emulator's server, or a VPC endpoint
    client = boto3.client("sqs", region_name=REGION, endpoint_url="http://localhost:5000/")
    url = QueueRedelivery(client).queue_url(QUEUE_ARN)
    assert url == f"http://localhost:5000/{ACCOUNT}/{QUEUE}"


def test_given_a_delay_when_requested_then_the_call_is_exactly_change_message_visibility() -> None:
    client = boto3.client("sqs", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response(
            "change_message_visibility",
            {},
            {
                "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE}",
                "ReceiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "VisibilityTimeout": 120,
            },
        )
        QueueRedelivery(client).redeliver_after(
            QUEUE_ARN, "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a", 120
        )
        stub.assert_no_pending_responses()


def test_given_a_deleted_message_when_redelivered_then_a_domain_error_names_the_call(
    sqs: Any, queue_url: str
) -> None:
    # Given a receipt handle SQS no longer knows
    sqs.send_message(QueueUrl=queue_url, MessageBody="copy job failed")
    [message] = received(sqs, queue_url)
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    # When / Then
    with pytest.raises(PermanentError) as caught:
        QueueRedelivery(sqs).redeliver_after(QUEUE_ARN, message["ReceiptHandle"], 60)
    assert caught.value.message.startswith("ChangeMessageVisibility")


def test_given_a_record_of_no_queue_arn_when_redelivered_then_it_is_refused(sqs: Any) -> None:
    with pytest.raises(PermanentError, match="eventSourceARN"):
        QueueRedelivery(sqs).redeliver_after("TrackingQueue", "handle", 60)
