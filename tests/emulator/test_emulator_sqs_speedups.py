"""The faster moto SQS (emulator/moto_patches/sqs.py) still hides, delays and expires messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from moto.sqs import models as sqs_models

from emulator.moto_patches import sqs as moto_sqs
from tests.emulator.emulator_testkit import NO_RETRIES, REGION
from tests.sqs_clock import SqsClock, frozen_sqs_clock


@pytest.fixture
def sqs(mocked: None) -> Any:
    return boto3.client("sqs", region_name=REGION, config=NO_RETRIES)


@pytest.fixture
def clock(mocked: None) -> Iterator[SqsClock]:
    with frozen_sqs_clock() as moved_by_hand:
        yield moved_by_hand


def _queue(sqs: Any, QueueName: str = "burst", **attributes: str) -> str:  # noqa: N803
    return str(sqs.create_queue(QueueName=QueueName, Attributes=attributes)["QueueUrl"])


def _bodies(sqs: Any, url: str, **extra: Any) -> list[str]:
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **extra)
    return sorted(message["Body"] for message in received.get("Messages", []))


def test_given_the_emulator_installed_then_moto_sqs_is_patched_once(mocked: None) -> None:
    # When
    moto_sqs.install()
    moto_sqs.install()

    # Then
    patched = sqs_models.SQSBackend.is_message_valid_based_on_retention_period
    assert getattr(patched, "emulator_patched", False)


def test_given_received_messages_when_the_visibility_timeout_passes_then_they_come_back(
    sqs: Any, clock: SqsClock
) -> None:
    # Given
    url = _queue(sqs, VisibilityTimeout="30")
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert _bodies(sqs, url) == ["a", "b", "c"]

    # When / Then
    clock.advance(29)
    assert _bodies(sqs, url) == []
    clock.advance(2)
    assert _bodies(sqs, url) == ["a", "b", "c"]


def test_given_a_delayed_message_when_its_delay_passes_then_it_is_received(
    sqs: Any, clock: SqsClock
) -> None:
    # Given
    url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)

    # When / Then
    assert _bodies(sqs, url, VisibilityTimeout=3600) == ["now"]
    clock.advance(61)
    assert _bodies(sqs, url, VisibilityTimeout=3600) == ["later"]


def test_given_a_message_older_than_the_retention_period_then_it_is_not_received(
    sqs: Any,
) -> None:
    # Given
    young = _queue(sqs, QueueName="young", MessageRetentionPeriod="60")
    old = _queue(sqs, QueueName="old", MessageRetentionPeriod="60")
    for url in (young, old):
        sqs.send_message(QueueUrl=url, MessageBody="message")
    sent = sqs_models.unix_time()  # type: ignore[attr-defined]

    # When
    with mock.patch("moto.sqs.models.unix_time", return_value=sent + 59):
        within = _bodies(sqs, young)
    with mock.patch("moto.sqs.models.unix_time", return_value=sent + 61):
        beyond = _bodies(sqs, old)

    # Then
    assert within == ["message"]
    assert beyond == []
