"""The one place that configures logging, metrics and tracing (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from core.models import Decision

NAMESPACE = "BackupCopyOrchestrator"

logger = Logger(utc=True)
metrics = Metrics(namespace=NAMESPACE)
tracer = Tracer()


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
        request=decision.request,
    )


def count_rejection(reason: str, detail: str) -> None:
    with single_metric(
        name="RejectedRecord", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="Reason", value=reason)
    logger.warning("rejected", reason=reason, detail=detail)
