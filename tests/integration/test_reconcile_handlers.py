"""The reconcile and key guard handlers, wired from their environment, on the AWS Backup emulator.

Nothing is stubbed: the handlers build their clients as in Lambda, moto answers (and checks every
request against botocore's model), the emulator plays AWS Backup. Their clock is the emulator's,
so five simulated hours pass in no time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

import emulator
from tests.integration.reconciler_estate import Estate, build_estate
from tests.lambda_context import FakeLambdaContext
from tests.samples import ACCOUNT, read_event

START = datetime(2026, 10, 19, 0, 0, tzinfo=UTC)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@dataclass
class Handlers:
    estate: Estate
    reconcile: ModuleType
    key_guard: ModuleType
    inbox: str  # an SQS queue subscribed to the alert topic

    def scheduled(self, remaining_milliseconds: int = 60_000) -> dict[str, Any]:
        event = read_event("scheduled-reconcile.json")
        result: dict[str, Any] = self.reconcile.lambda_handler(
            event,
            FakeLambdaContext(
                "ReconcilerFunction", 512, remaining_milliseconds=remaining_milliseconds
            ),
        )
        return result

    def key_event(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.key_guard.lambda_handler(
            event, FakeLambdaContext("KeyGuardFunction")
        )
        return result

    def alerts(self) -> list[dict[str, Any]]:
        sqs, received = self.estate.sqs, []
        while batch := sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.inbox, ReceiptHandle=message["ReceiptHandle"])
        return received


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Handlers]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    emulator.install()
    with mock_aws():
        emulator.set_time(START)
        estate = build_estate()
        inbox = estate.sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
        inbox_arn = estate.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
        estate.aws.sns.subscribe(
            TopicArn=estate.settings.alert_topic_arn,
            Protocol="sqs",
            Endpoint=inbox_arn["Attributes"]["QueueArn"],
        )
        for name, value in {
            **estate.env,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_SERVICE_NAME": "reconciler",
        }.items():
            monkeypatch.setenv(name, value)
        # Imported once the environment is set: Powertools reads it when the module loads.
        from handlers import key_guard_handler, reconcile_handler, reconcile_wiring  # noqa: PLC0415

        monkeypatch.setattr(reconcile_wiring, "utc_now", emulator.now)
        reconcile_wiring.reset()
        yield Handlers(estate, reconcile_handler, key_guard_handler, inbox)
        reconcile_wiring.reset()


def emf(output: str) -> list[dict[str, Any]]:
    documents = []
    for line in output.splitlines():
        try:
            document = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            documents.append(document)
    return documents


def dimensions(document: dict[str, Any]) -> tuple[str, ...]:
    [names] = document["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    return tuple(sorted(names))


# --- the scheduled reconcile -----------------------------------------------------------------


def test_given_points_whose_events_were_lost_when_scheduled_then_copies_and_metrics(
    handlers: Handlers, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given three recovery points the live path never heard of, and one continuous one
    for _ in range(3):
        emulator.seed_recovery_point("daily", resource_type="S3")
    emulator.seed_recovery_point("hourly", resource_type="S3", continuous=True)
    # When the schedule fires
    result = handlers.scheduled()
    # Then the pass completes, copies start, and the dashboard's metrics come out
    assert (result["outcome"], result["actions"]) == ("complete", {"copy-started": 3, "none": 1})
    documents = emf(capsys.readouterr().out)
    coverage = {d["State"]: d["Coverage"][0] for d in documents if "Coverage" in d}
    assert coverage == {
        "in-scope": 4,
        "protected": 0,
        "in-flight": 3,
        "failed": 0,
        "unprotectable": 1,
        "key-dependent": 0,
    }
    # Powertools adds its ``service`` dimension (the stack name, in Lambda) to every metric
    assert {dimensions(d) for d in documents if "Coverage" in d} == {("State", "service")}
    [age] = [d for d in documents if "OldestUnprotectedAgeSeconds" in d]
    assert dimensions(age) == ("service",)
    assert age["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Seconds"
    assert [d["Outcome"] for d in documents if "ReconcileRun" in d] == ["complete"]


def test_given_no_time_left_when_scheduled_then_the_run_continues_later_without_coverage(
    handlers: Handlers, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given more work than time (under ten seconds left: the safety margin takes it all)
    for _ in range(3):
        emulator.seed_recovery_point("daily", resource_type="S3")
    # When the schedule fires twice
    first = handlers.scheduled(remaining_milliseconds=5_000)
    second = handlers.scheduled()
    # Then the first run stopped after one point; the second completed the pass
    assert (first["outcome"], first["examined"]) == ("continued", 1)
    assert second["outcome"] == "complete"
    documents = emf(capsys.readouterr().out)
    assert [d["Outcome"] for d in documents if "ReconcileRun" in d] == ["continued", "complete"]
    assert sum(1 for d in documents if "Coverage" in d) == 6  # after the complete pass only


def test_given_a_copy_held_running_when_scheduled_five_hours_later_then_it_is_reported_stuck(
    handlers: Handlers,
) -> None:
    emulator.seed_recovery_point("daily", resource_type="S3")
    emulator.set_faults(hold_copy_jobs_in="RUNNING")
    handlers.scheduled()
    emulator.advance_clock(hours=5)
    result = handlers.scheduled()
    assert (result["stuck"], result["stuck_reported"]) == (1, 1)
    [alert] = handlers.alerts()
    assert alert["Subject"].startswith("AWS Backup copy job stuck")


# --- the key guard ------------------------------------------------------------------------------


def deletion_of(key_arn: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(read_event("kms-schedule-key-deletion.json"))
    event["detail"]["requestParameters"]["keyId"] = key_arn
    event["detail"]["resources"][0]["ARN"] = key_arn
    return event


def test_given_the_key_of_the_source_vaults_scheduled_for_deletion_then_alert_and_copies(
    handlers: Handlers,
) -> None:
    # Given two unprotected recovery points under the source vaults' key
    points = [emulator.seed_recovery_point("daily", resource_type="S3") for _ in range(2)]
    # When that key is scheduled for deletion
    result = handlers.key_event(deletion_of(handlers.estate.cmk))
    # Then one high-severity alert names the vaults and both points, and both are being copied
    assert result["outcome"] == "alerted"
    assert result["vaults"] == ["daily", "dr", "hourly", "monthly"]
    assert result["actions"] == {"copy-started": 2}
    [alert] = handlers.alerts()
    assert alert["Subject"].startswith("[HIGH] KMS ScheduleKeyDeletion")
    assert alert["MessageAttributes"]["Severity"]["Value"] == "high"
    assert all(point in alert["Message"] for point in points)


def test_given_a_key_no_source_vault_uses_when_disabled_then_no_alert(handlers: Handlers) -> None:
    other = handlers.estate.aws.kms.create_key(Description="unrelated")["KeyMetadata"]["Arn"]
    result = handlers.key_event(deletion_of(other))
    assert result["outcome"] == "not-in-use"
    assert handlers.alerts() == []


def test_given_a_malformed_key_event_when_handled_then_it_is_rejected_with_its_reason(
    handlers: Handlers, capsys: pytest.CaptureFixture[str]
) -> None:
    result = handlers.key_event(read_event("kms-malformed-no-key-id.json"))
    assert result["outcome"] == "rejected"
    assert "requestParameters.keyId is missing" in result["reason"]
    documents = emf(capsys.readouterr().out)
    assert [d["Reason"] for d in documents if "RejectedRecord" in d] == ["malformed-event"]
