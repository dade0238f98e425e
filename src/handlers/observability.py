"""The one place that configures logging, metrics and tracing (Powertools).

Tracing is the template's ``Tracing`` parameter, which sets ``POWERTOOLS_TRACE_DISABLED``. When it
is disabled no Powertools ``Tracer`` is built: building one imports the X-Ray SDK and patches
botocore (about 100 ms of every cold start) even when it then stays disabled. Importing the class
costs little (``aws_lambda_powertools`` imports its tracing module anyway, the SDK lazily). The
handlers get ``NoTracer`` instead, whose decorator hands the handler back unchanged.

Powertools comes from its public layer, whose version number does not name its Powertools
release in the template: each function instance logs the release it runs once, at cold start
(``runtime``, field ``powertools_version``), to compare with the template's Metadata
``PowertoolsLayer`` (the tested pair).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.shared.constants import TRACER_DISABLED_ENV
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION

from core.kernel.models import CopyDecision, Decision
from core.reconcile.coverage import Coverage

NAMESPACE = "BackupCopyOrchestrator"

Handler = TypeVar("Handler", bound=Callable[..., Any])


class HandlerTracer(Protocol):
    """The part of Powertools' ``Tracer`` the handlers use (mypy holds them to it)."""

    def capture_lambda_handler(self, lambda_handler: Callable[..., Any]) -> Callable[..., Any]: ...


class NoTracer:
    """Stands in for Powertools' ``Tracer`` when tracing is disabled: its decorator returns the
    handler itself."""

    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler:
        return lambda_handler


def tracing_enabled(environment: Mapping[str, str]) -> bool:
    """Whether ``POWERTOOLS_TRACE_DISABLED`` leaves tracing on, read the way Powertools reads it
    (unset is ``false``; a value that is not a truth value raises ``ValueError``)."""
    disabled = resolve_truthy_env_var_choice(env=environment.get(TRACER_DISABLED_ENV, "false"))
    return not disabled


def build_tracer(environment: Mapping[str, str]) -> HandlerTracer:
    """Powertools' ``Tracer`` when tracing is on, else ``NoTracer`` (the X-Ray SDK stays out)."""
    return Tracer() if tracing_enabled(environment) else NoTracer()


logger = Logger(utc=True)
metrics = Metrics(namespace=NAMESPACE)
tracer: HandlerTracer = build_tracer(os.environ)


def log_runtime() -> None:
    """The Powertools release this function instance runs (the public layer's), as a field."""
    logger.info("runtime", powertools_version=POWERTOOLS_VERSION)


log_runtime()  # once per cold start: a module is imported once per execution environment


def count_decision(decision: Decision, outcome: str) -> None:
    """One metric per outcome, with the reason, resource type and target as dimensions."""
    with single_metric(
        name="CopyDecision", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="Reason", value=decision.reason.value)
        metric.add_dimension(name="ResourceType", value=decision.resource_type or "unknown")
        metric.add_dimension(name="Target", value=decision.target_label)
    logger.info(
        "decision",
        reason=decision.reason.value,
        outcome=outcome,
        explanation=decision.explanation,
        resource_type=decision.resource_type,
        target=decision.target_label,
        request=decision.request if isinstance(decision, CopyDecision) else None,
    )


def count_rejection(reason: str, detail: str) -> None:
    with single_metric(
        name="RejectedRecord", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="Reason", value=reason)
    logger.warning("rejected", reason=reason, detail=detail)


def count_copy_result(outcome: str, resource_type: str, target: str, **details: Any) -> None:
    """One metric per tracked copy job state change, by what the tracking did with it."""
    with single_metric(
        name="CopyResult", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="Outcome", value=outcome)
        metric.add_dimension(name="ResourceType", value=resource_type or "unknown")
        metric.add_dimension(name="Target", value=target)
    logger.info(
        "copy-result", outcome=outcome, resource_type=resource_type, target=target, **details
    )


def count_copy_failure(reason: str) -> None:
    """One metric per failed copy job, by the kind of failure (retention, lag-rejected, ...)."""
    with single_metric(
        name="CopyFailure", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="Reason", value=reason)


def publish_coverage(coverage: Coverage, now: datetime) -> None:
    """After a complete reconcile pass: ``Coverage`` by ``State``, and the oldest unprotected."""
    for state, count in coverage.metric_counts().items():
        with single_metric(
            name="Coverage", unit=MetricUnit.Count, value=count, namespace=NAMESPACE
        ) as metric:
            metric.add_dimension(name="State", value=state)
    age = coverage.oldest_unprotected_age_seconds(now)
    with single_metric(
        name="OldestUnprotectedAgeSeconds", unit=MetricUnit.Seconds, value=age, namespace=NAMESPACE
    ):
        pass  # no dimension: one series for the whole stack
    logger.info("coverage", coverage=coverage.metric_counts(), oldest_unprotected_seconds=age)


def count_reconcile_run(outcome: str, **details: Any) -> None:
    """One per scheduled run: ``complete`` (a pass ended) or ``continued`` (a later run goes on)."""
    with single_metric(
        name="ReconcileRun", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="Outcome", value=outcome)
    logger.info("reconcile-run", outcome=outcome, **details)


def count_backup_problem(state: str, resource_type: str, **details: Any) -> None:
    """One per backup job of a source vault that ended FAILED, EXPIRED or ABORTED (alerted)."""
    with single_metric(
        name="BackupJobProblem", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="State", value=state)
        metric.add_dimension(name="ResourceType", value=resource_type)
    logger.warning("backup-job-problem", state=state, resource_type=resource_type, **details)


def count_key_event(outcome: str, event_name: str, **details: Any) -> None:
    """One per KMS call the key guard looked at: ``alerted``, ``alert-path-at-risk`` (a warning
    log line too), ``not-in-use`` or ``routine``."""
    with single_metric(
        name="KeyGuardEvent", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="Outcome", value=outcome)
        metric.add_dimension(name="EventName", value=event_name)
    log = logger.warning if outcome in {"alerted", "alert-path-at-risk"} else logger.info
    log("key-event", outcome=outcome, event_name=event_name, **details)
