"""Tracking handler: SQS batch of "Copy Job State Change" events → the ledger, retries and alerts.

Retryable errors fail only their own record (partial batch response), so SQS redelivers it;
permanent ones are parked in the DLQ with their reason and never block the batch.
A bare EventBridge event is accepted too, so `sam local invoke -e events/copy-job-…` works.
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

from core.copy_events import parse_copy_job_update
from core.errors import PermanentError
from core.events import decode_body
from handlers.dependencies import tracking_dependencies
from handlers.observability import (
    count_copy_failure,
    count_copy_result,
    count_rejection,
    logger,
    metrics,
    tracer,
)

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
    """Track the copy job one EventBridge event describes; return the outcome's name."""
    deps = tracking_dependencies()
    try:
        update = parse_copy_job_update(decode_body(body))
        logger.set_correlation_id(update.source_recovery_point_arn)
        outcome = deps.service.track(update)
    except PermanentError as error:
        deps.parking.park(body, error.reason, error.message)
        count_rejection(error.reason, error.message)
        return "rejected"
    if outcome.failure is not None:
        count_copy_failure(outcome.failure.value)
    count_copy_result(
        outcome.kind.value,
        outcome.resource_type,
        outcome.target,
        copy_job_id=update.copy_job_id,
        state=update.state.value,
        reason=outcome.reason,
        next_copy_job_id=outcome.next_copy_job_id,
    )
    return outcome.kind.value
