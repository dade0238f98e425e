"""Park inputs that can never succeed in the dead-letter queue, with their reason as attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.aws_errors import translated

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_MAX_ATTRIBUTE_CHARS = 1024


class DeadLetterParking:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def park(self, body: str, reason: str, detail: str) -> None:
        with translated("SendMessage"):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=body or "(empty)",
                MessageAttributes={
                    "RejectionReason": {"DataType": "String", "StringValue": reason},
                    "RejectionDetail": {
                        "DataType": "String",
                        "StringValue": detail[:_MAX_ATTRIBUTE_CHARS] or reason,
                    },
                },
            )
