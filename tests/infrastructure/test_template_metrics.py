"""Issue 7: every metric the dashboard and the alarms read is one the code really emits.

CloudWatch matches a metric by its name and its exact set of dimension names: a widget or alarm
that names one dimension too few or too many shows nothing and never fires. So the handlers run
(in the emulator, with the environment the template gives them), their EMF output is collected,
and the (metric name, dimension names) pairs read from ``BackupCopyOrchestrator`` are compared
with the emitted ones; the dimension values they filter on must be values the code can emit.
"""

from __future__ import annotations

import pytest

from core.kernel.models import Reason, Target
from core.tracking.backup_job_problems import PROBLEM_STATES
from core.tracking.failure_kinds import FailureKind
from core.tracking.tracking_service import TrackingOutcomeKind
from tests.infrastructure.emulated_pipeline import STACK_NAME, PipelineRun, run_pipeline
from tests.infrastructure.metric_references import (
    MetricRead,
    alarm_reads,
    dashboard_body,
    dashboard_reads,
)
from tests.template_loader import RenderedStack, render

NAMESPACE = "BackupCopyOrchestrator"
# Emitted by the reconciler and the key guard (issue 6); Coverage and OldestUnprotectedAgeSeconds
# only at the end of a complete pass, ReconcileRun after every scheduled run.
RECONCILER_METRICS = frozenset(
    {"Coverage", "OldestUnprotectedAgeSeconds", "ReconcileRun", "KeyGuardEvent"}
)
BACKUP_JOB = "Backup Job State Change"
RECONCILE_RUN_OUTCOMES = frozenset({"complete", "continued"})
KEY_GUARD_OUTCOMES = frozenset({"alerted", "not-in-use"})
TARGETS = frozenset({t.value for t in Target} | {"none"})  # Decision.target_label
# Dimension values the live handlers can emit, by (metric, dimension).
HANDLER_VALUES = {
    ("CopyDecision", "Reason"): frozenset(r.value for r in Reason),
    ("CopyDecision", "Target"): TARGETS,
    ("CopyResult", "Outcome"): frozenset(o.value for o in TrackingOutcomeKind),
    ("CopyResult", "Target"): TARGETS,
    ("CopyFailure", "Reason"): frozenset(f.value for f in FailureKind),
    ("BackupJobProblem", "State"): frozenset(PROBLEM_STATES),
}


@pytest.fixture(scope="module")
def run() -> PipelineRun:
    return run_pipeline()


@pytest.fixture(scope="module")
def reads() -> list[MetricRead]:
    """What a stack of the same name reads."""
    stack = render(stack_name=STACK_NAME)
    found = [*dashboard_reads(dashboard_body(stack, "CopyStatusDashboard")), *alarm_reads(stack)]
    return [read for read in found if read.namespace == NAMESPACE]


def test_the_scenario_reaches_every_handler_metric(run: PipelineRun) -> None:
    # Given the pipeline run / Then every metric of the handlers was emitted, so the comparison
    # below covers them all
    emitted = {name for name, _ in run.metric_sets(NAMESPACE)}
    assert {
        "CopyDecision",
        "RejectedRecord",
        "CopyResult",
        "CopyFailure",
        "BackupJobProblem",
    } <= emitted
    assert emitted >= RECONCILER_METRICS


def test_the_reconciler_completes_a_pass_and_the_key_guard_alerts(run: PipelineRun) -> None:
    # The emitted coverage comes from a complete pass, and the stack's own vault key encrypts
    # its source vaults: the key guard raises its alert (outcome "alerted").
    assert run.answers["ReconcilerFunction"]["outcome"] == "complete"
    assert run.answers["KeyGuardFunction"]["outcome"] == "alerted"


def test_the_tracking_queue_gets_no_created_events(run: PipelineRun) -> None:
    # The emulator's copy events went through the template's rule: CREATED is filtered out.
    copy_states = {state for kind, state in run.tracked_events if kind == "Copy Job State Change"}
    assert "CREATED" not in copy_states
    assert {"RUNNING", "COMPLETED", "FAILED"} <= copy_states


def test_the_failed_backup_reaches_the_tracking_function_and_is_counted(run: PipelineRun) -> None:
    # Given a backup job of the hourly vault that failed in the emulator
    # Then BackupJobProblemRule put its event (and no completed backup's) on TrackingQueue
    backup_states = [state for kind, state in run.tracked_events if kind == BACKUP_JOB]
    assert backup_states == ["FAILED"]
    # And the tracking function counted it by state and resource type, for this stack
    counted = {
        (d["State"], d["ResourceType"], d["service"]) for d in run.emf if "BackupJobProblem" in d
    }
    assert counted == {("FAILED", "EBS", STACK_NAME)}


def test_every_metric_carries_the_stack_name_as_service(run: PipelineRun) -> None:
    assert run.dimension_values("service") == {STACK_NAME}


def test_handler_metrics_read_by_dashboard_and_alarms_are_emitted(
    run: PipelineRun, reads: list[MetricRead]
) -> None:
    emitted = run.metric_sets(NAMESPACE)
    handler_reads = [r for r in reads if r.name not in RECONCILER_METRICS]
    assert handler_reads
    missing = sorted(
        {(r.source, r.name, *sorted(r.dimensions)) for r in handler_reads if r.key not in emitted}
    )
    assert not missing, f"read but never emitted: {missing}; emitted: {sorted(emitted)}"


def test_reconciler_metrics_read_by_dashboard_and_alarms_are_emitted(
    run: PipelineRun, reads: list[MetricRead]
) -> None:
    emitted = run.metric_sets(NAMESPACE)
    reconciler_reads = [r for r in reads if r.name in RECONCILER_METRICS]
    assert {r.name for r in reconciler_reads} == RECONCILER_METRICS
    missing = sorted({(r.source, r.name) for r in reconciler_reads if r.key not in emitted})
    assert not missing, f"read but never emitted: {missing}; emitted: {sorted(emitted)}"


def test_filters_use_values_the_handlers_emit(reads: list[MetricRead]) -> None:
    for read in reads:
        for dimension, _, value in read.filters:
            if dimension == "service":
                assert value == STACK_NAME, read.source
            elif (read.name, dimension) in HANDLER_VALUES:
                assert value in HANDLER_VALUES[read.name, dimension], (read.source, value)
            else:
                assert read.name in RECONCILER_METRICS, (read.source, dimension)


def test_filters_use_values_the_reconciler_emits(run: PipelineRun, reads: list[MetricRead]) -> None:
    states = run.dimension_values("State", "Coverage")
    for read in reads:
        for dimension, _, value in read.filters:
            if read.name == "Coverage" and dimension == "State":
                assert value in states, (read.source, value, sorted(states))
            if read.name == "ReconcileRun" and dimension == "Outcome":
                assert value in RECONCILE_RUN_OUTCOMES, (read.source, value)
            if read.name == "KeyGuardEvent" and dimension == "Outcome":
                assert value in KEY_GUARD_OUTCOMES, (read.source, value)


def test_coverage_is_emitted_for_every_state_the_dashboard_explains(run: PipelineRun) -> None:
    # The "Recovery points by state" widget groups by State: every state of the contract is a
    # series once a pass completes (zeros included), so a missing line means a missing state.
    assert run.dimension_values("State", "Coverage") == {
        "in-scope",
        "protected",
        "in-flight",
        "failed",
        "unprotectable",
        "key-dependent",
    }


def test_every_read_of_the_namespace_is_scoped_to_its_stack(reads: list[MetricRead]) -> None:
    # Stacks in one account and Region share the namespace; "service" tells them apart.
    for read in reads:
        assert "service" in read.dimensions, read.source
        assert ("service", "=", STACK_NAME) in read.filters, read.source


def test_grouping_is_by_dimensions_of_the_metric(reads: list[MetricRead]) -> None:
    for read in reads:
        assert set(read.group_by) <= read.dimensions, read.source


def test_the_dashboard_reads_each_metric_issue_7_asks_for() -> None:
    stack: RenderedStack = render(stack_name=STACK_NAME)
    names = {r.name for r in dashboard_reads(dashboard_body(stack, "CopyStatusDashboard"))}
    assert {
        "CopyDecision",
        "CopyResult",
        "CopyFailure",
        "RejectedRecord",
        "BackupJobProblem",
        "Coverage",
        "OldestUnprotectedAgeSeconds",
        "ReconcileRun",
        "KeyGuardEvent",
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "Errors",
        "Throttles",
        "Duration",
        "NumberOfCopyJobsCreated",
        "NumberOfCopyJobsRunning",
        "NumberOfCopyJobsCompleted",
        "NumberOfCopyJobsFailed",
    } <= names
