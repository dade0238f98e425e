"""Parsing the CloudTrail record of a KMS call (pure): what is read, and precise rejections."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core.errors import InvalidEventError
from core.key_events import KeyRef, parse_key_event
from tests.samples import ACCOUNT, REGION, read_event

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = KeyRef(ACCOUNT, REGION, KEY_ID)
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"


def sample(name: str = "kms-schedule-key-deletion.json") -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(read_event(name))
    return event


def test_given_a_deletion_by_key_id_when_parsed_then_the_key_and_its_window_are_read() -> None:
    event = parse_key_event(sample())
    assert (event.event_name, event.key, event.key_arn) == ("ScheduleKeyDeletion", KEY, KEY_ARN)
    assert event.pending_window_days == 7
    assert event.event_time == datetime(2026, 10, 20, 9, 15, 2, tzinfo=UTC)
    assert event.actor == f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"
    assert event.error_code is None


def test_given_a_key_named_by_its_arn_when_parsed_then_it_is_the_same_key() -> None:
    event = parse_key_event(sample("kms-disable-key.json"))
    assert (event.event_name, event.key, event.pending_window_days) == ("DisableKey", KEY, None)


def test_given_a_failed_call_when_parsed_then_its_error_code_is_kept() -> None:
    event = parse_key_event(sample("kms-schedule-key-deletion-denied.json"))
    assert event.error_code == "AccessDeniedException"
    assert event.key_arn == KEY_ARN  # from resources[0], as responseElements is null


def test_given_a_multi_region_key_id_when_parsed_then_it_is_kept_whole() -> None:
    event = sample()
    event["detail"]["requestParameters"]["keyId"] = "mrk-1234abcd12ab34cd56ef1234567890ab"
    key = parse_key_event(event).key
    assert key == KeyRef(ACCOUNT, REGION, "mrk-1234abcd12ab34cd56ef1234567890ab")


def test_given_a_key_arn_when_read_as_a_key_then_aliases_and_other_arns_are_not_keys() -> None:
    assert KeyRef.from_arn(KEY_ARN) == KEY
    assert KeyRef.from_arn(f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/backup") is None
    assert KeyRef.from_arn(f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:daily") is None
    assert KeyRef.from_arn("not an arn") is None


Change = Callable[[dict[str, Any]], object]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(source="aws.backup"), "expected 'aws.kms'"),
        (lambda e: e.update({"detail-type": "KMS Key State Change"}), "expected 'AWS API Call"),
        (lambda e: e["detail"].update(eventSource="s3.amazonaws.com"), "kms.amazonaws.com"),
        (lambda e: e["detail"].update(eventName="Encrypt"), "'Encrypt' is not one of"),
        (lambda e: e["detail"].update(requestParameters=None), "requestParameters.keyId is"),
        (lambda e: e["detail"]["requestParameters"].pop("keyId"), "keyId is missing"),
        (
            lambda e: e["detail"]["requestParameters"].update(keyId="alias/backups"),
            "is an alias",
        ),
        (
            lambda e: e["detail"]["requestParameters"].update(
                keyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/backups"
            ),
            "is not a key ARN",
        ),
        (lambda e: e.update(account="12345"), "not a 12-digit account id"),
        (lambda e: e["detail"].update(eventTime="yesterday"), "eventTime is not an ISO-8601"),
        (lambda e: e.update(detail="{}"), "detail is not a JSON object"),
    ],
)
def test_given_a_malformed_event_when_parsed_then_the_first_problem_is_named(
    change: Change, message: str
) -> None:
    event = sample()
    change(event)
    with pytest.raises(InvalidEventError) as raised:
        parse_key_event(event)
    assert raised.value.reason == "malformed-event"
    assert message in raised.value.message


def test_given_something_that_is_not_an_event_when_parsed_then_it_is_rejected() -> None:
    with pytest.raises(InvalidEventError):
        parse_key_event(["not", "an", "event"])
