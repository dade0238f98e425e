"""core.service_keys.resolver, pure: CloudFormation's request read, the reply's documented limits.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html: "The total
size of the response body can't exceed 4096 bytes"; PhysicalResourceId "must be a non-empty
string"; Reason "Required if Status is FAILED".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.kernel.errors import RetryableError
from core.service_keys.resolver import KeyDescription, resolve

STACK_ID = (
    "arn:aws:cloudformation:us-east-1:111122223333:stack/s/5b918d10-cd98-11ea-90d5-0a9cd3354c10"
)
KEY = "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"


class FixedKeys:
    def __init__(self, answer: KeyDescription | Exception) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def describe(self, alias_name: str) -> KeyDescription:
        self.asked.append(alias_name)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def create(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": "Create",
        "RequestId": "r1",
        "ResponseURL": "https://example.s3.amazonaws.com/reply",
        "ResourceType": "Custom::ServiceKey",
        "LogicalResourceId": "ServiceKeyRds",
        "StackId": STACK_ID,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:1:function:f",
            "AliasName": "alias/aws/rds",
        },
    }
    event.update(changes)
    return event


def test_given_a_very_long_failure_reason_when_replied_then_the_body_fits_4096_bytes() -> None:
    # Given KMS failing with an enormous message
    keys = FixedKeys(RetryableError("ThrottlingException", "x" * 20_000))
    # When the reply is built
    reply = resolve(create(), keys)
    # Then it is FAILED, with a reason, and the whole body fits CloudFormation's limit
    assert reply["Status"] == "FAILED"
    assert reply["Reason"].startswith("ThrottlingException")
    assert len(json.dumps(reply).encode()) <= 4096


@pytest.mark.parametrize("request_type", ["Update", "Delete"])
def test_given_an_update_or_delete_without_a_physical_id_when_read_then_failed_without_a_call(
    request_type: str,
) -> None:
    keys = FixedKeys(KeyDescription(KEY, "AWS", "Enabled"))
    reply = resolve(create(RequestType=request_type), keys)
    assert reply["Status"] == "FAILED"
    assert "PhysicalResourceId is missing" in reply["Reason"]
    assert reply["PhysicalResourceId"] == "ServiceKeyRds-unresolved"
    assert keys.asked == []


@pytest.mark.parametrize("event", [None, [], "Create", {}])
def test_given_no_request_object_when_answered_then_failed_with_a_non_empty_id(
    event: object,
) -> None:
    reply = resolve(event, FixedKeys(KeyDescription(KEY, "AWS", "Enabled")))
    assert reply["Status"] == "FAILED"
    assert reply["PhysicalResourceId"] == "unresolved"
    assert reply["Reason"]


def test_given_a_key_arn_that_is_not_a_key_when_resolved_then_failed() -> None:
    # An alias ARN is not a key ARN: a vault cannot take it
    alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/aws/rds"
    reply = resolve(create(), FixedKeys(KeyDescription(alias_arn, "AWS", "Enabled")))
    assert reply["Status"] == "FAILED"
    assert "not a key of this stack's account and Region" in reply["Reason"]


def test_given_a_key_of_another_account_when_resolved_then_failed() -> None:
    other = KEY.replace("111122223333", "444455556666")
    reply = resolve(create(), FixedKeys(KeyDescription(other, "AWS", "Enabled")))
    assert reply["Status"] == "FAILED"
