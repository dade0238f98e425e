"""SQS batch events made up for handler tests (records by ``localrun.invocation``), and the
handler modules in the sample settings' environment."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from localrun.invocation import sqs_message
from localrun.invocation import sqs_record as lambda_record
from localrun.samples import ACCOUNT, REGION, SETTINGS_ENV

QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:CopyQueue"
# Powertools reads these when the handler modules are imported.
POWERTOOLS_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "BackupCopyOrchestrator",
    "POWERTOOLS_SERVICE_NAME": "adversarial",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def sqs_record(
    message_id: str,
    body: str,
    receive_count: int = 1,
    *,
    receipt_handle: str | None = None,
    queue_arn: str = QUEUE_ARN,
) -> dict[str, Any]:
    """One record as the SQS event source delivers it to Lambda (from a real queue when given
    its receipt handle and ARN: the tracking's backoff changes the message's visibility)."""
    message = sqs_message(message_id, body, receive_count, receipt_handle=receipt_handle)
    return lambda_record(message, queue_arn, REGION)


def sqs_batch(bodies: Mapping[str, Any]) -> dict[str, Any]:
    """An SQS event: message id -> body (a string as is, anything else as JSON)."""
    return {
        "Records": [
            sqs_record(message_id, body if isinstance(body, str) else json.dumps(body))
            for message_id, body in bodies.items()
        ]
    }


def failed_ids(response: Mapping[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """These variables set, and the environment as it was afterwards (no pytest needed: the
    bench measures memory in processes that should not carry it)."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def handler_environment(**overrides: str) -> Iterator[tuple[ModuleType, ModuleType]]:
    """The sample settings in the environment; the handler modules with fresh wiring."""
    region = {"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    with environment({**SETTINGS_ENV, **POWERTOOLS_ENV, **overrides, **region}):
        # Imported once the environment is set: Powertools reads it when the module loads.
        from handlers import (  # noqa: PLC0415
            copy_handler,
            copy_wiring,
            tracking_handler,
            tracking_wiring,
        )

        copy_wiring.reset()
        tracking_wiring.reset()
        try:
            yield copy_handler, tracking_handler
        finally:
            copy_wiring.reset()
            tracking_wiring.reset()
