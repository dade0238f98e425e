"""Key guard: a KMS key that encrypts backups is scheduled for deletion, disabled or re-policied.

Trigger: EventBridge "AWS API Call via CloudTrail" events from ``aws.kms`` (ScheduleKeyDeletion,
DisableKey, PutKeyPolicy); CloudTrail must record management events in a trail. A malformed event
is rejected with its reason (a metric and a log line) instead of failing: retrying it cannot help.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from core.kernel.errors import InvalidEventError
from core.key_guard.kms_events import parse_key_event
from core.reconcile.settings import deadline_for
from handlers.observability import count_key_event, count_rejection, logger, metrics, tracer
from handlers.reconcile_wiring import key_guard_dependencies


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = key_guard_dependencies()
    try:
        key_event = parse_key_event(event)
    except InvalidEventError as error:
        count_rejection(error.reason, error.message)
        return {"outcome": "rejected", "reason": error.message}
    logger.set_correlation_id(key_event.key_arn)
    deadline = deadline_for(deps.clock(), context.get_remaining_time_in_millis())
    outcome = deps.key_guard.guard(key_event, deadline)
    copies = outcome.heal.actions if outcome.heal else {}
    summary = {
        "key": key_event.key_arn,
        "vaults": list(outcome.vaults),
        "in_scope": outcome.survey.coverage.in_scope if outcome.survey else 0,
        "actions": {action.value: n for action, n in copies.items()},
        "error": outcome.error,
    }
    count_key_event(outcome.kind.value, key_event.event_name, actor=key_event.actor, **summary)
    return {"outcome": outcome.kind.value, **summary}
