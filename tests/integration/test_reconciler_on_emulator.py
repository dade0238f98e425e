"""The reconciler on the local AWS Backup emulator: lost events, stuck and failed copies.

Plans back up registered resources on their schedule; the emulator's EventBridge rules deliver
(or, with the ``drop_event_rate`` fault, lose) the events; ``Estate.deliver`` plays the live
handlers. Every AWS request goes through moto, so botocore's model checks each one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from moto import mock_aws

import emulator
from adapters.ledger import DynamoLedger
from core.kernel.ledger_states import LedgerState
from core.reconcile.coverage import Action, Finding, Standing
from core.reconcile.examine import Mode
from core.reconcile.reconciler import RunOutcome, RunRequest
from core.tracking.stuck_copies import StuckCopyReporter
from tests.integration.reconciler_estate import Estate, build_estate, lag_plan, select
from tests.samples import ACCOUNT, LEDGER_TABLE, REGION
from tests.tracking_fakes import RecordingAlerts

START = datetime(2026, 10, 19, 0, 0, tzinfo=UTC)
HEAL = RunRequest(Mode.HEAL, look_back_days=35)


@pytest.fixture
def estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    emulator.install()
    with mock_aws():
        emulator.set_time(START)
        emulator.configure(seed=20261019)
        yield build_estate()


def a_day_of_backups(estate: Estate) -> Estate:
    """Hourly EBS backups (a LAG plan) and daily S3 backups (not LAG) for one simulated day."""
    hourly = lag_plan(estate, "hourly", "cron(20 * * * ? *)", 3)
    daily = lag_plan(estate, "daily", "cron(20 7 * * ? *)", 30)
    volumes = [f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0a1b2c3d4e5f6070{n}" for n in range(2)]
    buckets = [f"arn:aws:s3:::invoices-{n}" for n in range(2)]
    for volume in volumes:
        emulator.register_resource(volume, resource_type="EBS", encryption_key_arn=estate.cmk)
    for bucket in buckets:
        emulator.register_resource(bucket, resource_type="S3")
    select(estate, hourly, volumes)
    select(estate, daily, buckets)
    estate = estate.configured(LAG_PLAN_IDS=hourly)
    for _ in range(24):
        emulator.advance_clock(hours=1)
        estate.deliver()
    emulator.settle()
    estate.deliver()
    return estate


def test_given_a_day_losing_30_percent_of_events_when_reconciled_once_then_all_copied_once(
    estate: Estate,
) -> None:
    # Given a day of backups, with 30% of all events lost on the way
    emulator.set_faults(drop_event_rate=0.3)
    estate = a_day_of_backups(estate)
    points = estate.recovery_points()
    lost = [point for point in points if not estate.entries(point)]
    assert len(points) == 50
    assert lost, "the fault lost no completed-backup event: the test would prove nothing"
    # When the reconciler runs once, and the copies it started finish
    report = estate.reconciler().run(HEAL)
    emulator.settle()
    # Then every recovery point has exactly one copy job, and it completed
    assert report.outcome is RunOutcome.COMPLETE
    assert report.actions[Action.COPY_STARTED] == len(lost)
    assert {p: [j["State"] for j in estate.copy_jobs_of(p)] for p in points} == {
        p: ["COMPLETED"] for p in points
    }


def test_given_copies_whose_completion_was_lost_when_reconciled_then_all_become_protected(
    estate: Estate,
) -> None:
    # Given a day losing 30% of events, reconciled once, the copies finished (events lost too)
    emulator.set_faults(drop_event_rate=0.3)
    estate = a_day_of_backups(estate)
    estate.reconciler().run(HEAL)
    emulator.settle()
    estate.deliver()
    # When the reconciler runs again
    report = estate.reconciler().run(HEAL)
    # Then it settled what the lost events left in flight, and the coverage is complete
    totals = report.coverage.metric_counts()
    assert report.actions.get(Action.SETTLED, 0) > 0
    assert totals == {
        "in-scope": 50,
        "protected": 50,
        "in-flight": 0,
        "failed": 0,
        "unprotectable": 0,
        "key-dependent": 0,
    }
    assert report.coverage.tallies[("hourly", "EBS", "lag")].counts[Standing.PROTECTED] == 48
    assert report.coverage.tallies[("daily", "S3", "managed")].counts[Standing.PROTECTED] == 2


def test_given_copies_held_running_for_five_hours_when_reconciled_then_they_are_reported_stuck(
    estate: Estate,
) -> None:
    # Given two recovery points whose events never came, and copy jobs that hang in RUNNING
    points = [emulator.seed_recovery_point("daily", resource_type="S3") for _ in range(2)]
    emulator.set_faults(hold_copy_jobs_in="RUNNING")
    estate.reconciler().run(HEAL)
    emulator.advance_clock(hours=5)
    # When the reconciler runs again and reports stuck copies
    report = estate.reconciler().run(HEAL)
    alerts = RecordingAlerts()
    ledger = DynamoLedger(estate.aws.dynamodb, LEDGER_TABLE, clock=emulator.now)
    stuck = StuckCopyReporter(estate.settings, ledger, alerts, clock=emulator.now).report()
    # Then both are still in flight, each reported stuck once
    assert report.coverage.totals()[Standing.IN_FLIGHT] == 2
    assert sorted(e.recovery_point_arn for e in stuck.newly_reported) == sorted(points)
    assert [a.reason for a in alerts.published] == ["stuck-started", "stuck-started"]


def test_given_copies_that_keep_failing_when_reconciled_then_they_end_failed_with_a_reason(
    estate: Estate,
) -> None:
    # Given one recovery point and copies that always fail, at most two attempts
    estate = estate.configured(MAX_COPY_ATTEMPTS="2")
    point = emulator.seed_recovery_point("daily", resource_type="S3")
    emulator.set_faults(copy_failure_rate=1.0)
    reconciler = estate.reconciler()
    # When the reconciler starts the copy, then settles each failure its event did not report
    reconciler.run(HEAL)
    for _ in range(2):
        emulator.settle()
        findings: list[Finding] = []
        report = reconciler.run(HEAL, observe=findings.append)
    # Then the copy was tried twice and the point is reported failed, with why
    assert len(estate.copy_jobs_of(point)) == 2
    [finding] = findings
    assert (finding.standing, finding.reason) == (Standing.FAILED, "retries-exhausted")
    assert report.coverage.metric_counts()["failed"] == 1
    [entry] = [e for e in estate.entries(point) if e.destination_vault_arn != "-"]
    assert entry.state is LedgerState.FAILED
