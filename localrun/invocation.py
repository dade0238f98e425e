"""What Lambda hands a handler and what it makes of the answer, for local runs of the functions.

- ``LambdaContext``: the attributes of the context object that Powertools and the handlers read.
- ``sqs_record``: one record of an SQS event, in the shape Lambda delivers it
  (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), from a message as SQS's
  ReceiveMessage returns it; ``sqs_message`` makes such a message when there is no queue.
- ``failed_message_ids``: the partial batch response rule ("an error fails the batch; otherwise only
  the reported ``batchItemFailures`` fail",
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
- ``scheduled_event``: what an EventBridge schedule sends its target.

Used by the demo's runtime (``localrun.runtime``), the tests and the bench.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEFAULT_REQUEST_ID = "0f8e2b6c-3d1a-4c5b-9e7f-1a2b3c4d5e6f"


@dataclass(frozen=True, slots=True)
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and handlers read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    function_version: str = "$LATEST"
    timeout_millis: int = 60_000

    @classmethod
    def of(
        cls,
        function_name: str,
        *,
        account: str,
        region: str,
        memory_mb: int = 128,
        timeout_millis: int = 60_000,
        request_id: str | None = None,
    ) -> LambdaContext:
        """The context of an invocation of ``function_name`` in this account and Region (a
        fresh request id unless one is given)."""
        return cls(
            function_name=function_name,
            invoked_function_arn=f"arn:aws:lambda:{region}:{account}:function:{function_name}",
            memory_limit_in_mb=memory_mb,
            aws_request_id=request_id or str(uuid.uuid4()),
            timeout_millis=timeout_millis,
        )

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "emulated"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_millis


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of an SQS event, in the shape Lambda delivers (with-sqs.html), from a message
    as ReceiveMessage returns it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _lambda_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_message(
    message_id: str,
    body: str,
    receive_count: int = 1,
    *,
    receipt_handle: str | None = None,
    sent_timestamp: str = "1791184000000",
) -> dict[str, Any]:
    """A message as ReceiveMessage returns it (system attributes requested), without a queue."""
    return {
        "MessageId": message_id,
        "ReceiptHandle": receipt_handle or f"handle-{message_id}",
        "Body": body,
        "Attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": sent_timestamp,
            "SenderId": "AIDAEVENTBRIDGE",
            "ApproximateFirstReceiveTimestamp": str(int(sent_timestamp) + 1),
        },
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),
    }


def _lambda_message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS's MessageAttributeValue as Lambda spells it in an event record."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value["DataType"],
    }


def failed_message_ids(
    response: Any,
    message_ids: Iterable[str],
    *,
    errored: bool,
    reports_failures: bool = True,
) -> set[str]:
    """Lambda's rule: an error fails the batch; otherwise only the reported items fail (and
    none unless the event source has ``FunctionResponseTypes: [ReportBatchItemFailures]``)."""
    every = set(message_ids)
    if errored:
        return every
    if not reports_failures:
        return set()
    failures = (response or {}).get("batchItemFailures") or []
    return {str(item["itemIdentifier"]) for item in failures} & every


def scheduled_event(
    *, account: str, region: str, rule_name: str, now: datetime, event_id: str | None = None
) -> dict[str, Any]:
    """The event a schedule rule sends to its target (EventBridge "Scheduled Event" shape,
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule_name}"],
        "detail": {},
    }
