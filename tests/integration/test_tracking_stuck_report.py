"""Stuck copy jobs found through the ledger's State/UpdatedAt index (moto) and reported once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from adapters.ledger import DynamoLedger
from core.copying.decision import decide
from core.kernel.alerts import AlertKind
from core.kernel.config import Settings
from core.kernel.copy_jobs import CopyResult
from core.kernel.ledger_states import LedgerState
from core.tracking.stuck_copies import StuckCopyReporter
from localrun.samples import create_tracking_ledger_table
from tests.fakes import EBS_SNAPSHOT, ManualClock, make_event, make_facts
from tests.samples import LAG_VAULT_ARN, LEDGER_TABLE, REGION
from tests.tracking_fakes import (
    RUNNING,
    RecordingAlerts,
    copy_update,
)

START = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)


@dataclass
class Stuck:
    ledger: DynamoLedger
    alerts: RecordingAlerts
    reporter: StuckCopyReporter
    clock: ManualClock
    settings: Settings

    def copy_started(self, recovery_point_arn: str = EBS_SNAPSHOT, job: str = "job-1") -> None:
        event = make_event(recovery_point_arn=recovery_point_arn)
        decision = decide(event, make_facts(recovery_point_arn), True, self.settings)
        self.ledger.claim(event, decision, 1)
        self.ledger.mark_started(decision, job, 1)


def make_stuck(settings: Settings) -> Stuck:
    client = boto3.client("dynamodb", region_name=REGION)
    create_tracking_ledger_table(client, LEDGER_TABLE)
    clock = ManualClock(START)
    ledger = DynamoLedger(client, LEDGER_TABLE, clock=clock)
    alerts = RecordingAlerts()
    reporter = StuckCopyReporter(settings=settings, ledger=ledger, alerts=alerts, clock=clock)
    return Stuck(ledger, alerts, reporter, clock, settings)


@pytest.fixture
def stuck(settings: Settings) -> Iterator[Stuck]:
    with mock_aws():
        yield make_stuck(settings)


def test_given_a_copy_started_five_hours_ago_when_reported_then_one_stuck_alert(
    stuck: Stuck,
) -> None:
    # Given a copy started at 07:00 and nothing since (STUCK_AFTER_MINUTES defaults to 240)
    stuck.copy_started()
    stuck.clock.advance(timedelta(minutes=300))
    # When the reconciler reports stuck copies
    report = stuck.reporter.report()
    # Then the copy is reported, once, with what a person needs
    assert [entry.recovery_point_arn for entry in report.newly_reported] == [EBS_SNAPSHOT]
    [alert] = stuck.alerts.published
    assert (alert.kind, alert.reason, alert.copy_job_id) == (
        AlertKind.STUCK,
        "stuck-started",
        "job-1",
    )
    assert alert.destination_vault_arn == LAG_VAULT_ARN


def test_given_a_stuck_copy_when_reported_on_every_run_then_it_alerts_once(stuck: Stuck) -> None:
    stuck.copy_started()
    stuck.clock.advance(timedelta(minutes=300))
    stuck.reporter.report()
    stuck.clock.advance(timedelta(minutes=60))
    again = stuck.reporter.report()
    # Still stuck, not reported again
    assert (len(again.stuck), len(again.newly_reported)) == (1, 0)
    assert len(stuck.alerts.published) == 1


def test_given_a_copy_started_an_hour_ago_when_reported_then_nothing(stuck: Stuck) -> None:
    stuck.copy_started()
    stuck.clock.advance(timedelta(minutes=60))
    assert stuck.reporter.report().stuck == []
    assert stuck.alerts.published == []


def test_given_an_old_but_finished_copy_when_reported_then_nothing(stuck: Stuck) -> None:
    stuck.copy_started()
    update = copy_update(RUNNING, copyJobId="job-1")
    done = replace(update, source_recovery_point_arn=EBS_SNAPSHOT)
    stuck.ledger.record_copy_result(
        done, CopyResult(LedgerState.PROTECTED, "key-aws-managed", "aws/backup", "job-1")
    )
    stuck.clock.advance(timedelta(minutes=600))
    assert stuck.reporter.report().stuck == []


def test_given_the_alert_topic_failing_when_reported_then_the_next_run_reports_it(
    stuck: Stuck,
) -> None:
    stuck.copy_started()
    stuck.clock.advance(timedelta(minutes=300))
    stuck.alerts.errors.append(RuntimeError("SNS down"))
    with pytest.raises(RuntimeError):
        stuck.reporter.report()
    assert len(stuck.reporter.report().newly_reported) == 1
    assert len(stuck.alerts.published) == 1


def test_given_a_shorter_configured_age_when_reported_then_it_is_used(settings: Settings) -> None:
    with mock_aws():
        stuck = make_stuck(replace(settings, stuck_after_minutes=30))
        stuck.copy_started()
        stuck.clock.advance(timedelta(minutes=45))
        assert len(stuck.reporter.report().stuck) == 1
