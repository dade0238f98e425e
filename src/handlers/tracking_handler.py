"""Tracking handler: SQS batch of "Copy Job State Change" events → the ledger, retries and alerts;
"Backup Job State Change" events of backup jobs that wrote nothing (FAILED, EXPIRED, ABORTED in a
source vault, rule ``BackupJobProblemRule``) → one alert each.

Retryable errors fail only their own record (partial batch response), so SQS redelivers it;
permanent ones are parked in the DLQ with their reason and never block the batch.
A transient copy failure whose retry backs off (``core.kernel.retry_delay``) is no error: its
message is hidden for the delay (ChangeMessageVisibility) and reported in ``batchItemFailures``
so SQS delivers it again then, without failing the invocation when the whole batch waits.
A bare EventBridge event is accepted too, so `sam local invoke -e events/copy-job-…` works; it
has no queue to wait in, so its retry starts at once.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.copying.recovery_point_events import decode_body
from core.kernel.errors import OrchestratorError, PermanentError
from core.kernel.retry_delay import Delivery
from core.tracking.backup_job_problems import is_backup_job_event, parse_backup_job_problem
from core.tracking.copy_job_events import parse_copy_job_update
from core.tracking.tracking_service import TrackingOutcome
from handlers.observability import (
    count_backup_problem,
    count_copy_failure,
    count_copy_result,
    count_rejection,
    logger,
    metrics,
    tracer,
)
from handlers.tracking_wiring import tracking_dependencies

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        waiting: list[str] = []
        response = process_partial_response(
            event=event,
            record_handler=functools.partial(handle_record, waiting=waiting),
            processor=processor,
            context=context,
        )
        return _with_waiting(dict(response), waiting)
    return {"outcome": handle_body(json.dumps(event))}


def handle_record(record: SQSRecord, waiting: list[str]) -> str:
    """Track one record; one whose retry backs off is hidden for the delay and its message id
    added to ``waiting``."""
    if (reported := _report_backup_problem(record.body)) is not None:
        return reported
    delivery = Delivery.of_receive(int(record.attributes.approximate_receive_count))
    outcome = _track(record.body, delivery)
    if outcome is None:
        return "rejected"
    if outcome.retry_after_seconds is not None:
        _wait_in_queue(record, outcome.retry_after_seconds)
        waiting.append(record.message_id)
    return outcome.kind.value


def handle_body(body: str) -> str:
    """Track the copy job one EventBridge event describes; return the outcome's name."""
    if (reported := _report_backup_problem(body)) is not None:
        return reported
    outcome = _track(body, Delivery.DIRECT)
    return "rejected" if outcome is None else outcome.kind.value


def _report_backup_problem(body: str) -> str | None:
    """Alert on a backup job that wrote nothing; None when the body is no backup job event."""
    try:
        raw = decode_body(body)
    except PermanentError:
        return None  # _track parks it with its reason
    if not is_backup_job_event(raw):
        return None
    deps = tracking_dependencies()
    try:
        problem = parse_backup_job_problem(raw)
        logger.set_correlation_id(problem.job_id)
        deps.alerts.publish_backup_problem(problem)
    except PermanentError as error:
        deps.parking.park(body, error.reason, error.message)
        count_rejection(error.reason, error.message)
        return "rejected"
    count_backup_problem(
        problem.state,
        problem.resource_type,
        backup_job_id=problem.job_id,
        vault=problem.vault_name,
        resource=problem.resource_arn,
        reason=problem.status_message,
    )
    return f"backup-{problem.state.lower()}-alerted"


def _track(body: str, delivery: Delivery) -> TrackingOutcome | None:
    """The outcome of tracking one event; None when it was rejected (and parked)."""
    deps = tracking_dependencies()
    try:
        update = parse_copy_job_update(decode_body(body))
        logger.set_correlation_id(update.source_recovery_point_arn)
        outcome = deps.service.track(update, delivery)
    except PermanentError as error:
        deps.parking.park(body, error.reason, error.message)
        count_rejection(error.reason, error.message)
        return None
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
        retry_after_seconds=outcome.retry_after_seconds,
    )
    return outcome


def _wait_in_queue(record: SQSRecord, seconds: int) -> None:
    try:
        tracking_dependencies().redelivery.redeliver_after(
            record.event_source_arn, record.receipt_handle, seconds
        )
    except OrchestratorError as error:
        # Still reported as waiting: SQS then delivers it after the queue's visibility timeout.
        logger.warning("backoff-not-set", reason=error.reason, detail=error.message)


def _with_waiting(response: dict[str, Any], waiting: list[str]) -> dict[str, Any]:
    """The partial batch response, with the waiting records as failures: SQS keeps them."""
    failures = [
        *response.get("batchItemFailures", []),
        *({"itemIdentifier": message_id} for message_id in waiting),
    ]
    return {**response, "batchItemFailures": failures}
