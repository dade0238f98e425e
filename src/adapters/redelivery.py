"""Hand an SQS message back later: the tracking's backoff waits in its own queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.aws_errors import translated
from core.kernel.arns import parse_arn

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class QueueRedelivery:
    def __init__(self, client: SQSClient) -> None:
        self._client = client

    def redeliver_after(self, queue_arn: str, receipt_handle: str, seconds: int) -> None:
        """Keep a received message hidden for ``seconds`` from now; SQS then delivers it again.

        The timeout counts from this call, not from the receive (API_ChangeMessageVisibility.html),
        and the message must not be deleted: the handler reports it as a batch item failure.
        """
        with translated("ChangeMessageVisibility"):
            self._client.change_message_visibility(
                QueueUrl=self.queue_url(queue_arn),
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=seconds,
            )

    def queue_url(self, queue_arn: str) -> str:
        """The queue's URL at the client's own endpoint: ``{endpoint}/{account}/{name}``.

        An SQS event record names its queue by ARN only; the URL is the endpoint the client
        talks to, the owning account and the queue name (sqs-queue-message-identifiers.html).
        """
        arn = parse_arn(queue_arn, field="eventSourceARN")
        endpoint = self._client.meta.endpoint_url.rstrip("/")
        return f"{endpoint}/{arn.account}/{arn.resource_id}"
