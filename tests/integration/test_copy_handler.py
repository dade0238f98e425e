"""The real copy handler, end to end: moto for DynamoDB and SQS, a Stubber for AWS Backup.

Environment as docs/contracts.md describes it; the ledger table and the copy DLQ are created per
test; AWS Backup is answered by a botocore Stubber on the handler's own cached client, so every
call the handler makes must be expected (an unexpected one fails the test).
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
from botocore.stub import ANY, Stubber
from moto import mock_aws

from tests.lambda_context import FakeLambdaContext
from tests.samples import (
    ACCOUNT,
    COPY_ROLE_ARN,
    LAG_VAULT_ARN,
    LEDGER_TABLE,
    PARKING_QUEUE,
    REGION,
    SVC_EBS_VAULT_ARN,
    create_ledger_table,
    read_event,
    readme_expectations,
)

CREATED = datetime(2026, 10, 5, 7, 20, 11, tzinfo=UTC)
EBS_LAG = read_event("backup-completed-ebs-lag-plan.json")
ON_DEMAND = read_event("backup-completed-on-demand.json")
FOREIGN = read_event("backup-completed-foreign-vault.json")
MALFORMED = read_event("backup-completed-malformed.json")
DR_COPY = read_event("copy-completed-into-dr-vault.json")

# The handler publishes every metric with single_metric, so the log_metrics decorator always finds
# its own buffer empty and warns; that warning says nothing about the behaviour under test.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@dataclass
class Aws:
    handler: ModuleType
    backup: Stubber
    dynamodb: Any
    sqs: Any
    dlq_url: str

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.lambda_handler(
            event, FakeLambdaContext(function_name="CopyFunction")
        )
        return result

    def parked(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            messages += batch
            for message in batch:
                self.sqs.delete_message(
                    QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return messages

    def ledger_item(self, recovery_point_arn: str, destination: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=LEDGER_TABLE,
            Key={
                "RecoveryPointArn": {"S": recovery_point_arn},
                "DestinationVaultArn": {"S": destination},
            },
        ).get("Item")
        return item

    # --- what AWS Backup is expected to be asked ---

    def expect_describe(self, event: dict[str, Any], vault: str, days: int = 30) -> None:
        recovery_point = recovery_point_of(event)
        self.backup.add_response(
            "describe_recovery_point",
            {
                "RecoveryPointArn": recovery_point,
                "BackupVaultName": vault,
                "Status": "COMPLETED",
                "StorageClass": "WARM",
                "CreationDate": CREATED,
                "Lifecycle": {"DeleteAfterDays": days},
            },
            expected_params={"BackupVaultName": vault, "RecoveryPointArn": recovery_point},
        )

    def expect_copy(
        self, event: dict[str, Any], vault: str, destination: str, days: int = 30
    ) -> None:
        self.backup.add_response(
            "start_copy_job",
            {"CopyJobId": f"copy-{vault}", "CreationDate": CREATED, "IsParent": False},
            expected_params={
                "RecoveryPointArn": recovery_point_of(event),
                "SourceBackupVaultName": vault,
                "DestinationBackupVaultArn": destination,
                "IamRoleArn": COPY_ROLE_ARN,
                "IdempotencyToken": ANY,
                "Lifecycle": {"DeleteAfterDays": days},
            },
        )


def recovery_point_of(event: dict[str, Any]) -> str:
    destination = event["detail"].get("destinationRecoveryPointArn")
    arn: str = destination if isinstance(destination, str) else event["resources"][0]
    return arn


def sqs_event(*bodies: tuple[str, dict[str, Any] | str]) -> dict[str, Any]:
    """An SQS -> Lambda event whose records carry the given (messageId, body) pairs."""
    template = read_event("sqs-batch-mixed.json")["Records"][0]
    records = []
    for message_id, body in bodies:
        text = body if isinstance(body, str) else json.dumps(body)
        record = copy.deepcopy(template)
        record.update(
            messageId=message_id,
            body=text,
            md5OfBody=hashlib.md5(text.encode()).hexdigest(),  # SQS's own checksum
        )
        records.append(record)
    return {"Records": records}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, settings_env: dict[str, str]) -> Iterator[Aws]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        create_ledger_table(dynamodb)
        dlq_url = sqs.create_queue(QueueName=PARKING_QUEUE)["QueueUrl"]
        environment = {
            **settings_env,
            "PARKING_QUEUE_URL": dlq_url,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_NAMESPACE": "BackupCopyOrchestrator",
            "POWERTOOLS_SERVICE_NAME": "copy",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        # Imported once the environment is set: Powertools reads it when the module loads.
        from adapters import clients  # noqa: PLC0415
        from handlers import copy_handler, copy_wiring  # noqa: PLC0415

        copy_wiring.reset()
        with Stubber(clients.backup()) as backup:
            yield Aws(copy_handler, backup, dynamodb, sqs, dlq_url)
            backup.assert_no_pending_responses()
        copy_wiring.reset()


# --- The mixed batch ---------------------------------------------------------------------------


def test_given_a_mixed_batch_when_handled_then_good_records_are_processed_and_bad_ones_parked(
    aws: Aws,
) -> None:
    # Given the sample batch: a LAG copy, two skips and three bad records
    batch = read_event("sqs-batch-mixed.json")
    aws.expect_describe(EBS_LAG, "daily")
    aws.expect_copy(EBS_LAG, "daily", LAG_VAULT_ARN)
    # When the handler runs
    response = aws.invoke(batch)
    # Then no record goes back to the queue: nothing failed in a way a retry could fix
    assert response == {"batchItemFailures": []}
    # ... the copy was started and recorded
    copy_entry = aws.ledger_item(recovery_point_of(EBS_LAG), LAG_VAULT_ARN)
    assert copy_entry is not None
    assert (copy_entry["State"]["S"], copy_entry["CopyJobId"]["S"]) == ("started", "copy-daily")
    # ... and the skips were recorded with their reasons
    foreign = aws.ledger_item(recovery_point_of(FOREIGN), "-")
    assert foreign is not None
    assert foreign["Reason"]["S"] == "skip-out-of-scope"


def test_given_a_mixed_batch_when_handled_then_each_bad_record_is_parked_with_its_reason(
    aws: Aws,
) -> None:
    # Given the sample batch, and what events/README.md expects of each record
    batch = read_event("sqs-batch-mixed.json")
    expectations = readme_expectations()
    rejected = {
        record["body"]: expectations[record["messageId"]]
        for record in batch["Records"]
        if expectations[record["messageId"]].rejected_reason
    }
    aws.expect_describe(EBS_LAG, "daily")
    aws.expect_copy(EBS_LAG, "daily", LAG_VAULT_ARN)
    # When the handler runs
    aws.invoke(batch)
    # Then exactly the rejected records are in the DLQ, each with its reason and detail
    parked = {message["Body"]: message["MessageAttributes"] for message in aws.parked()}
    assert set(parked) == set(rejected)
    for body, expectation in rejected.items():
        assert parked[body]["RejectionReason"]["StringValue"] == expectation.rejected_reason
        assert expectation.quoted_why in parked[body]["RejectionDetail"]["StringValue"]


def test_given_a_throttled_copy_in_a_batch_when_handled_then_only_that_record_is_retried(
    aws: Aws,
) -> None:
    # Given two copies in one batch, and AWS Backup throttling the first StartCopyJob
    batch = sqs_event(("throttled", EBS_LAG), ("fine", ON_DEMAND))
    aws.expect_describe(EBS_LAG, "daily")
    aws.backup.add_client_error("start_copy_job", "ThrottlingException", http_status_code=400)
    aws.expect_describe(ON_DEMAND, "daily")
    aws.expect_copy(ON_DEMAND, "daily", SVC_EBS_VAULT_ARN)  # no LAG: EBS copies under aws/ebs
    # When handled
    response = aws.invoke(batch)
    # Then only the throttled record goes back to the queue, and nothing is parked
    assert response == {"batchItemFailures": [{"itemIdentifier": "throttled"}]}
    assert aws.parked() == []
    # ... its claim stays PLANNED so the redelivery may start the copy
    throttled = aws.ledger_item(recovery_point_of(EBS_LAG), LAG_VAULT_ARN)
    assert throttled is not None
    assert throttled["State"]["S"] == "planned"


def test_given_a_rejected_copy_request_when_handled_then_it_is_parked_not_retried(
    aws: Aws,
) -> None:
    # Given AWS Backup refusing the request itself (not retryable as-is)
    aws.expect_describe(EBS_LAG, "daily")
    aws.backup.add_client_error(
        "start_copy_job", "InvalidRequestException", "retention out of range", 400
    )
    # When handled
    response = aws.invoke(sqs_event(("refused", EBS_LAG), ("skip", FOREIGN)))
    # Then the record is parked with AWS's code as its reason, and not put back on the queue
    assert response == {"batchItemFailures": []}
    [message] = aws.parked()
    reason = message["MessageAttributes"]["RejectionReason"]["StringValue"]
    assert reason == "InvalidRequestException"


# --- Duplicates --------------------------------------------------------------------------------


def test_given_the_same_event_twice_when_handled_then_one_copy_job_is_started(aws: Aws) -> None:
    # Given one event delivered twice; AWS Backup expects one StartCopyJob only
    aws.expect_describe(EBS_LAG, "daily")
    aws.expect_copy(EBS_LAG, "daily", LAG_VAULT_ARN)
    aws.expect_describe(EBS_LAG, "daily")
    # When both deliveries are handled
    first = aws.invoke(copy.deepcopy(EBS_LAG))
    second = aws.invoke(copy.deepcopy(EBS_LAG))
    # Then the second one finds the claim and starts nothing
    assert first == {"outcome": "copy-started"}
    assert second == {"outcome": "already-claimed"}


def test_given_the_same_event_twice_in_one_batch_when_handled_then_one_copy_job_is_started(
    aws: Aws,
) -> None:
    aws.expect_describe(EBS_LAG, "daily")
    aws.expect_copy(EBS_LAG, "daily", LAG_VAULT_ARN)
    aws.expect_describe(EBS_LAG, "daily")
    assert aws.invoke(sqs_event(("one", EBS_LAG), ("two", EBS_LAG))) == {"batchItemFailures": []}


# --- Bare EventBridge events (sam local invoke -e events/...) ----------------------------------


def test_given_a_bare_eventbridge_event_when_handled_then_the_copy_is_started(aws: Aws) -> None:
    aws.expect_describe(EBS_LAG, "daily")
    aws.expect_copy(EBS_LAG, "daily", LAG_VAULT_ARN)
    assert aws.invoke(copy.deepcopy(EBS_LAG)) == {"outcome": "copy-started"}


def test_given_a_bare_dr_copy_event_when_handled_then_the_copy_goes_to_the_lag_vault(
    aws: Aws,
) -> None:
    # Given an EBS copy that completed into the source vault "dr", made by a plan of the other
    # Region, and "dr" in LAG_SOURCE_VAULT_NAMES
    aws.expect_describe(DR_COPY, "dr")
    aws.expect_copy(DR_COPY, "dr", LAG_VAULT_ARN)
    # When handled / Then its new recovery point is copied into the LAG vault, with no plan lookup
    assert aws.invoke(copy.deepcopy(DR_COPY)) == {"outcome": "copy-started"}


def test_given_the_dr_copy_event_forwarded_from_the_source_region_when_handled_then_it_is_copied(
    aws: Aws,
) -> None:
    # Given the same copy's event as the source Region's bus raised it, forwarded to this one
    forwarded = copy.deepcopy(DR_COPY)
    forwarded["region"] = forwarded["detail"]["sourceBackupVaultArn"].split(":")[3]
    aws.expect_describe(DR_COPY, "dr")
    aws.expect_copy(DR_COPY, "dr", LAG_VAULT_ARN)
    # When handled / Then it is in scope (its vault is here) and copied like the native one
    assert aws.invoke(forwarded) == {"outcome": "copy-started"}


def test_given_a_bare_out_of_scope_event_when_handled_then_it_is_skipped_without_aws_calls(
    aws: Aws,
) -> None:
    # No Stubber response is queued: any AWS Backup call would fail the test
    assert aws.invoke(copy.deepcopy(FOREIGN)) == {"outcome": "skipped"}


def test_given_a_bare_malformed_event_when_handled_then_it_is_rejected_and_parked(
    aws: Aws,
) -> None:
    assert aws.invoke(copy.deepcopy(MALFORMED)) == {"outcome": "rejected"}
    [message] = aws.parked()
    assert json.loads(message["Body"]) == MALFORMED
    detail = message["MessageAttributes"]["RejectionDetail"]["StringValue"]
    assert detail == "backupVaultArn is missing or not a non-empty string"


# --- Metrics ------------------------------------------------------------------------------------


def emf_metrics(output: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric-format documents the handler printed."""
    documents = []
    for line in output.splitlines():
        try:
            document = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            documents.append(document)
    return documents


def test_given_a_batch_when_handled_then_one_metric_per_outcome_is_published(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the mixed batch
    aws.expect_describe(EBS_LAG, "daily")
    aws.expect_copy(EBS_LAG, "daily", LAG_VAULT_ARN)
    # When handled
    aws.invoke(read_event("sqs-batch-mixed.json"))
    # Then each record produced one metric with the contract's dimensions
    documents = emf_metrics(capsys.readouterr().out)
    decisions = sorted(
        (d["Reason"], d["ResourceType"], d["Target"]) for d in documents if "CopyDecision" in d
    )
    assert decisions == [
        ("copy-to-lag", "EBS", "lag"),
        ("skip-continuous", "RDS", "none"),
        ("skip-out-of-scope", "EBS", "none"),
    ]
    rejections = [d["Reason"] for d in documents if "RejectedRecord" in d]
    assert rejections == ["malformed-event"] * 3
    assert {d["_aws"]["CloudWatchMetrics"][0]["Namespace"] for d in documents} == {
        "BackupCopyOrchestrator"
    }
