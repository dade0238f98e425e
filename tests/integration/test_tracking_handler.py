"""The real tracking handler, end to end: moto for DynamoDB, SQS and SNS; Stubbers for Backup, KMS.

AWS Backup and KMS are answered by botocore Stubbers on the handler's own cached clients, so
every call the handler makes must be expected (an unexpected one fails the test). Alerts go to
a moto SNS topic with an SQS subscription, where the test reads them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from adapters.ledger import DynamoLedger
from core.copying.decision import decide
from core.kernel.config import load_settings
from core.kernel.errors import ConfigError
from localrun.harness import sqs_record
from localrun.samples import create_tracking_ledger_table
from tests.fakes import facts_for_vault, make_event
from tests.lambda_context import FakeLambdaContext
from tests.samples import ACCOUNT, LAG_VAULT_ARN, LEDGER_TABLE, PARKING_QUEUE, REGION, read_event
from tests.sqs_clock import SqsClock, frozen_sqs_clock
from tests.tracking_fakes import CUSTOMER_KEY

RUNNING = read_event("copy-job-running.json")
COMPLETED = read_event("copy-job-completed.json")
THROTTLED = read_event("copy-job-failed-throttled.json")
JOB = RUNNING["detail"]["copyJobId"]
SOURCE = RUNNING["resources"][0]
TRACKING_QUEUE = "TrackingQueue"
TRACKING_QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{TRACKING_QUEUE}"

# Every metric goes through single_metric, so log_metrics always finds its own buffer empty.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@dataclass
class Aws:
    handler: ModuleType
    backup: Stubber
    kms: Stubber
    ledger: DynamoLedger
    sqs: Any
    dlq_url: str
    alerts_url: str
    environment: dict[str, str]

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.lambda_handler(
            event, FakeLambdaContext(function_name="TrackingFunction")
        )
        return result

    def copy_started(self, event: dict[str, Any], job: str | None, attempt: int = 1) -> None:
        """The copy handler's claim (and start) for the copy an event is about."""
        detail = event["detail"]
        vault = detail["sourceBackupVaultArn"].rsplit(":", 1)[1]
        source = make_event(
            vault_name=vault,
            recovery_point_arn=event["resources"][0],
            resource_arn=detail["resourceArn"],
            resource_type=detail["resourceType"],
        )
        uses_lag = detail["destinationBackupVaultArn"] == LAG_VAULT_ARN
        settings = load_settings(self.environment)
        decision = decide(
            source, facts_for_vault(vault, event["resources"][0]), uses_lag, settings, attempt
        )
        assert self.ledger.claim(source, decision, attempt)
        if job is not None:
            self.ledger.mark_started(decision, job, attempt)

    def failure_noted(self, event: dict[str, Any], job: str) -> None:
        """What the first delivery of a transient failure left: the failure noted, to retry."""
        entry = self.ledger.get(event["resources"][0], event["detail"]["destinationBackupVaultArn"])
        assert entry is not None
        assert self.ledger.note_failure(entry, job, "transient", event["detail"]["statusMessage"])

    def state(self, event: dict[str, Any]) -> str:
        entry = self.ledger.get(event["resources"][0], event["detail"]["destinationBackupVaultArn"])
        assert entry is not None
        return entry.state.value

    def drain(self, url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            messages += batch
            for message in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return messages


def sqs_event(*bodies: tuple[str, dict[str, Any] | str], receive_count: int = 1) -> dict[str, Any]:
    template = read_event("sqs-batch-mixed.json")["Records"][0]
    records = []
    for message_id, body in bodies:
        text = body if isinstance(body, str) else json.dumps(body)
        record = copy.deepcopy(template)
        record.update(
            messageId=message_id, body=text, md5OfBody=hashlib.md5(text.encode()).hexdigest()
        )
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        records.append(record)
    return {"Records": records}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, settings_env: dict[str, str]) -> Iterator[Aws]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        create_tracking_ledger_table(dynamodb, LEDGER_TABLE)
        dlq_url = sqs.create_queue(QueueName=PARKING_QUEUE)["QueueUrl"]
        alerts_url = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
        topic = sns.create_topic(Name="backup-copy-alerts")["TopicArn"]
        inbox = sqs.get_queue_attributes(QueueUrl=alerts_url, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox["Attributes"]["QueueArn"])
        environment = {
            **settings_env,
            "PARKING_QUEUE_URL": dlq_url,
            "ALERT_TOPIC_ARN": topic,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_NAMESPACE": "BackupCopyOrchestrator",
            "POWERTOOLS_SERVICE_NAME": "tracking",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        # Imported once the environment is set: Powertools reads it when the module loads.
        from adapters import clients  # noqa: PLC0415
        from handlers import tracking_handler, tracking_wiring  # noqa: PLC0415

        tracking_wiring.reset()
        ledger = DynamoLedger(dynamodb, LEDGER_TABLE)
        with Stubber(clients.backup()) as backup, Stubber(clients.kms()) as kms:
            yield Aws(tracking_handler, backup, kms, ledger, sqs, dlq_url, alerts_url, environment)
            backup.assert_no_pending_responses()
            kms.assert_no_pending_responses()
        tracking_wiring.reset()


def test_given_a_bare_running_event_when_invoked_then_the_planned_copy_is_started(aws: Aws) -> None:
    # Given a claim whose start was never recorded, and the sample as `sam local invoke` sends it
    aws.copy_started(RUNNING, job=None)
    # When the RUNNING event is handled
    result = aws.invoke(RUNNING)
    # Then the ledger follows the copy job, without a single AWS Backup call
    assert result == {"outcome": "started"}
    assert aws.state(RUNNING) == "started"


def test_given_a_batch_with_a_key_dependent_copy_and_a_bad_record_then_alert_and_park(
    aws: Aws,
) -> None:
    # Given a started copy that completed under a customer managed key, and a non-JSON record
    aws.copy_started(RUNNING, job=JOB)
    aws.backup.add_response(
        "describe_copy_job",
        {
            "CopyJob": {
                "CopyJobId": JOB,
                "State": "COMPLETED",
                "DestinationRecoveryPointArn": COMPLETED["detail"]["destinationRecoveryPointArn"],
                "DestinationEncryptionKeyArn": CUSTOMER_KEY,
                "DestinationVaultType": "BACKUP_VAULT",
            }
        },
        {"CopyJobId": JOB},
    )
    aws.kms.add_response(
        "describe_key",
        {"KeyMetadata": {"KeyId": "1234abcd", "Arn": CUSTOMER_KEY, "KeyManager": "CUSTOMER"}},
        {"KeyId": CUSTOMER_KEY},
    )
    # When the batch is handled
    response = aws.invoke(sqs_event(("done", COMPLETED), ("junk", "{not json")))
    # Then nothing goes back to the queue, the copy is key-dependent, one alert went out
    assert response == {"batchItemFailures": []}
    assert aws.state(COMPLETED) == "key-dependent"
    [alert] = [json.loads(m["Body"]) for m in aws.drain(aws.alerts_url)]
    assert alert["Subject"].startswith("AWS Backup copy still depends on a customer key")
    assert SOURCE in alert["Message"]
    # ... and the bad record is parked with its reason
    [parked] = aws.drain(aws.dlq_url)
    assert parked["MessageAttributes"]["RejectionReason"]["StringValue"] == "malformed-event"


def test_given_a_retry_throttled_by_aws_backup_when_handled_then_only_that_record_is_retried(
    aws: Aws,
) -> None:
    # Given a throttled copy failure whose backoff is over (noted in the ledger, delivered
    # again) and whose restart is throttled too, next to a plain RUNNING
    failed_job = THROTTLED["detail"]["copyJobId"]
    aws.copy_started(THROTTLED, job=failed_job)
    aws.failure_noted(THROTTLED, failed_job)
    aws.copy_started(RUNNING, job=None)
    aws.backup.add_response(
        "describe_copy_job",
        {"CopyJob": {"CopyJobId": failed_job, "State": "FAILED"}},
        {"CopyJobId": failed_job},
    )
    aws.backup.add_response(
        "describe_recovery_point",
        {
            "RecoveryPointArn": THROTTLED["resources"][0],
            "CreationDate": datetime(2026, 10, 5, 7, 20, 11, tzinfo=UTC),
            "Lifecycle": {"DeleteAfterDays": 30},
            "Status": "COMPLETED",
            "StorageClass": "WARM",
        },
        {"BackupVaultName": "daily", "RecoveryPointArn": THROTTLED["resources"][0]},
    )
    aws.backup.add_client_error("start_copy_job", "ThrottlingException", http_status_code=400)
    # When handled
    response = aws.invoke(
        sqs_event(("throttled", THROTTLED), ("running", RUNNING), receive_count=2)
    )
    # Then only the throttled record returns to the queue; its retry is claimed as attempt 2
    assert response == {"batchItemFailures": [{"itemIdentifier": "throttled"}]}
    assert aws.state(THROTTLED) == "planned"
    assert aws.state(RUNNING) == "started"
    assert aws.drain(aws.dlq_url) == []


# --- the backoff of a transient failure, in a real (moto) tracking queue ------------------------


@pytest.fixture
def sqs_clock() -> Iterator[SqsClock]:
    with frozen_sqs_clock() as clock:
        yield clock


def tracking_queue(aws: Aws) -> str:
    """TrackingQueue as the template makes it (visibility timeout 360 s)."""
    attributes = {"VisibilityTimeout": "360"}
    url: str = aws.sqs.create_queue(QueueName=TRACKING_QUEUE, Attributes=attributes)["QueueUrl"]
    return url


def receive(aws: Aws, url: str) -> list[dict[str, Any]]:
    """What Lambda's poller would receive now."""
    messages: list[dict[str, Any]] = aws.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def lambda_event(message: dict[str, Any]) -> dict[str, Any]:
    count = int(message["Attributes"]["ApproximateReceiveCount"])
    record = sqs_record(
        message["MessageId"],
        message["Body"],
        count,
        receipt_handle=message["ReceiptHandle"],
        queue_arn=TRACKING_QUEUE_ARN,
    )
    return {"Records": [record]}


def expect_copy_job_failed(aws: Aws, job: str) -> None:
    aws.backup.add_response(
        "describe_copy_job",
        {"CopyJob": {"CopyJobId": job, "State": "FAILED"}},
        {"CopyJobId": job},
    )


def expect_retry_started(aws: Aws, source: str, new_job: str) -> None:
    aws.backup.add_response(
        "describe_recovery_point",
        {
            "RecoveryPointArn": source,
            "CreationDate": datetime(2026, 10, 5, 7, 20, 11, tzinfo=UTC),
            "Lifecycle": {"DeleteAfterDays": 30},
            "Status": "COMPLETED",
            "StorageClass": "WARM",
        },
        {"BackupVaultName": "daily", "RecoveryPointArn": source},
    )
    aws.backup.add_response(
        "start_copy_job",
        {"CopyJobId": new_job, "CreationDate": datetime(2026, 10, 12, 9, 46, tzinfo=UTC)},
    )


def test_given_a_throttled_copy_in_the_tracking_queue_when_handled_then_it_waits_there_and_retries(
    aws: Aws, sqs_clock: SqsClock
) -> None:
    # Given attempt 1 failed as throttled, its event in the tracking queue
    failed_job = THROTTLED["detail"]["copyJobId"]
    aws.copy_started(THROTTLED, job=failed_job)
    url = tracking_queue(aws)
    aws.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(THROTTLED))
    # When Lambda delivers it
    [first] = receive(aws, url)
    expect_copy_job_failed(aws, failed_job)
    response = aws.invoke(lambda_event(first))
    # Then it goes back to the queue without an invocation error, and no copy starts yet
    assert response == {"batchItemFailures": [{"itemIdentifier": first["MessageId"]}]}
    assert aws.state(THROTTLED) == "started"
    # ... hidden for the first delay (60 s), not for the queue's visibility timeout (360 s)
    sqs_clock.advance(59)
    assert receive(aws, url) == []
    sqs_clock.advance(2)
    [again] = receive(aws, url)
    assert (again["MessageId"], again["Attributes"]["ApproximateReceiveCount"]) == (
        first["MessageId"],
        "2",
    )
    # When delivered again
    expect_copy_job_failed(aws, failed_job)
    expect_retry_started(aws, THROTTLED["resources"][0], "retry-job-2")
    response = aws.invoke(lambda_event(again))
    # Then attempt 2 is started and the record is done
    assert response == {"batchItemFailures": []}
    entry = aws.ledger.get(
        THROTTLED["resources"][0], THROTTLED["detail"]["destinationBackupVaultArn"]
    )
    assert entry is not None
    assert (entry.state.value, entry.attempts, entry.copy_job_id) == ("started", 2, "retry-job-2")


def test_given_the_visibility_cannot_be_changed_when_a_copy_waits_then_it_still_goes_back(
    aws: Aws,
) -> None:
    # Given a throttled failure in a record whose queue SQS does not know (the sample's ARN)
    failed_job = THROTTLED["detail"]["copyJobId"]
    aws.copy_started(THROTTLED, job=failed_job)
    aws.copy_started(RUNNING, job=None)
    expect_copy_job_failed(aws, failed_job)
    # When handled
    response = aws.invoke(sqs_event(("throttled", THROTTLED), ("running", RUNNING)))
    # Then the record still returns to the queue (after its visibility timeout), the batch goes on
    assert response == {"batchItemFailures": [{"itemIdentifier": "throttled"}]}
    assert aws.state(THROTTLED) == "started"
    assert aws.state(RUNNING) == "started"


def test_given_no_alert_topic_when_invoked_then_it_fails_naming_the_variable(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers import tracking_wiring  # noqa: PLC0415

    monkeypatch.setenv("ALERT_TOPIC_ARN", "")
    tracking_wiring.reset()
    with pytest.raises(ConfigError, match="ALERT_TOPIC_ARN"):
        aws.invoke(RUNNING)


# --- Backup jobs that wrote nothing (BackupJobProblemRule) ----------------------------------------

BACKUP_FAILED = read_event("backup-failed-ebs.json")


def test_given_a_failed_backup_job_when_handled_then_one_alert_names_job_resource_and_reason(
    aws: Aws,
) -> None:
    # Given AWS Backup's FAILED event of an hourly backup, as BackupJobProblemRule forwards it
    # When the batch is handled
    response = aws.invoke(sqs_event(("failed", BACKUP_FAILED)))
    # Then one alert goes out, with the job, the resource and AWS Backup's reason (unquoted)
    assert response == {"batchItemFailures": []}
    [alert] = [json.loads(m["Body"]) for m in aws.drain(aws.alerts_url)]
    detail = BACKUP_FAILED["detail"]
    assert alert["Subject"] == "AWS Backup job FAILED: EBS in hourly - no recovery point"
    for text in (detail["backupJobId"], detail["resourceArn"], "Reason: Insufficient privileges"):
        assert text in alert["Message"]
    assert alert["MessageAttributes"]["AlertKind"]["Value"] == "backup-job-problem"
    assert alert["MessageAttributes"]["BackupJobState"]["Value"] == "FAILED"
    # ... and nothing is parked: the ledger and AWS Backup are not touched (Stubbers expect none)
    assert aws.drain(aws.dlq_url) == []


def test_given_a_bare_failed_backup_event_when_invoked_then_the_outcome_says_alerted(
    aws: Aws,
) -> None:
    # As `sam local invoke TrackingFunction -e events/backup-failed-ebs.json` sends it
    assert aws.invoke(BACKUP_FAILED) == {"outcome": "backup-failed-alerted"}
    assert len(aws.drain(aws.alerts_url)) == 1


def test_given_a_completed_backup_job_in_the_tracking_queue_when_handled_then_it_is_parked(
    aws: Aws,
) -> None:
    # A completed backup is the copy function's: here it is a wrong input, parked with its reason
    completed = read_event("backup-completed-ebs-lag-plan.json")
    response = aws.invoke(sqs_event(("done", completed)))
    assert response == {"batchItemFailures": []}
    assert aws.drain(aws.alerts_url) == []
    [parked] = aws.drain(aws.dlq_url)
    assert parked["MessageAttributes"]["RejectionReason"]["StringValue"] == "malformed-event"
