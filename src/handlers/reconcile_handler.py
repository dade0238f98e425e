"""Reconciler: on its schedule, protect every recovery point whose event was lost, then report.

One run continues the saved pass over the source vaults until the function's deadline; a pass
that ends publishes the coverage metrics. Throttling or a network error ends the run early: the
cursor saved at the last finished page lets the next scheduled run continue from there, so the
run does not fail (a failed scheduled invocation would only be retried from the same cursor).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from core.kernel.errors import RetryableError
from core.reconcile.examine import Mode
from core.reconcile.reconciler import RunOutcome, RunRequest
from core.reconcile.settings import deadline_for
from handlers.observability import (
    count_reconcile_run,
    logger,
    metrics,
    publish_coverage,
    tracer,
)
from handlers.reconcile_wiring import reconcile_dependencies


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = reconcile_dependencies()
    logger.info("trigger", detail_type=event.get("detail-type"), source=event.get("source"))
    request = RunRequest(
        Mode.HEAL,
        deadline=deadline_for(deps.clock(), context.get_remaining_time_in_millis()),
        look_back_days=deps.options.look_back_days,
        resume=True,
    )
    try:
        report = deps.reconciler.run(request)
    except RetryableError as error:
        count_reconcile_run(RunOutcome.CONTINUED.value, interrupted_by=error.message)
        return {"outcome": RunOutcome.CONTINUED.value, "interrupted_by": error.reason}
    if report.outcome is RunOutcome.COMPLETE:
        publish_coverage(report.coverage, deps.clock())
    summary = {
        "pages": report.pages,
        "examined": report.examined,
        "actions": {action.value: n for action, n in report.actions.items()},
    }
    count_reconcile_run(report.outcome.value, **summary)
    stuck = deps.stuck.report()
    return {
        "outcome": report.outcome.value,
        **summary,
        "stuck": len(stuck.stuck),
        "stuck_reported": len(stuck.newly_reported),
    }
