"""Copy handler: SQS batch of completed-backup events → one copy job (or an explained skip) each.

Retryable errors fail only their own record (partial batch response), so SQS redelivers it with
backoff; permanent ones are parked in the DLQ with their reason and never block the batch.
A bare EventBridge event is accepted too, so `sam local invoke -e events/…` works.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.copying.recovery_point_events import decode_body, parse_recovery_point_event
from core.kernel.errors import PermanentError
from handlers.copy_wiring import copy_dependencies
from handlers.observability import count_decision, count_rejection, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        response = process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
        return dict(response)
    return {"outcome": handle_body(json.dumps(event))}


def handle_record(record: SQSRecord) -> str:
    return handle_body(record.body)


def handle_body(body: str) -> str:
    """Protect the recovery point one EventBridge event describes; return the outcome's name."""
    deps = copy_dependencies()
    try:
        event = parse_recovery_point_event(decode_body(body))
        logger.set_correlation_id(event.recovery_point_arn or event.job_id)
        outcome = deps.service.protect(event)
    except PermanentError as error:
        deps.parking.park(body, error.reason, error.message)
        count_rejection(error.reason, error.message)
        return "rejected"
    count_decision(outcome.decision, outcome.kind.value)
    return outcome.kind.value
