"""The deployed data flow in one process, for the adversarial suites and ``make bench``.

AWS Backup is the emulator; EventBridge, SQS, DynamoDB, SNS and KMS are moto. The resources mirror
template.yaml's orchestrator: source vaults under a CMK, a logically air-gapped vault, a vault under
the AWS managed key, the ledger table, a copy queue and a tracking queue (each with its redrive
DLQ, 5 and 10 receives), the parking queue and the alert topic, and the two EventBridge rules.
The real handlers consume the queues the way the SQS event source does: batches of up to 10,
``ReportBatchItemFailures`` honoured, failed records visible again at once (the visibility timeout
is not under test, nor the tracking's backoff, which changes it), the DLQ after
``maxReceiveCount`` receives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

import emulator
from adapters import clients
from core.kernel.arns import vault_name_from_arn
from localrun.canned_aws import NO_RETRIES
from localrun.harness import environment, handler_environment, sqs_record
from localrun.invocation import failed_message_ids
from localrun.samples import (
    ACCOUNT,
    MANAGED_VAULT_ARN,
    REGION,
    SVC_EBS_VAULT_ARN,
    SVC_RDS_VAULT_ARN,
    create_destination_vaults,
    create_tracking_ledger_table,
    sample_context,
    vault_arn,
)

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/backup-copy-orchestrator-backup-role"
SOURCE_VAULT = "daily"
# The destinations of localrun.samples.SETTINGS_ENV (by the naming rule), in this one Region.
MANAGED_VAULT = vault_name_from_arn(MANAGED_VAULT_ARN, field="MANAGED_VAULT_ARN")
SERVICE_KEY_VAULTS = {
    "rds": vault_name_from_arn(SVC_RDS_VAULT_ARN, field="svc-rds"),
    "ebs": vault_name_from_arn(SVC_EBS_VAULT_ARN, field="svc-ebs"),
}
LEDGER = "backup-copy-ledger"
COPY_RECEIVES, TRACKING_RECEIVES = 5, 10  # template.yaml's maxReceiveCount of each queue
START = "2026-03-01T00:30:00Z"
BATCH = 10


@dataclass
class Queue:
    name: str
    url: str
    dlq_url: str
    handler: ModuleType
    deliveries: int = 0
    bodies: list[str] = field(default_factory=list)  # every body delivered, in order


@dataclass
class Pipeline:
    backup: Any
    sqs: Any
    dynamodb: Any
    copy: Queue
    tracking: Queue
    parking_url: str
    plans: dict[str, str] = field(default_factory=dict)  # plan name -> id

    # --- backups -----------------------------------------------------------------------------

    def add_plan(self, name: str, resources: dict[str, str]) -> str:
        """A daily plan into the source vault backing up these resources (ARN -> type)."""
        plan = self.backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": name,
                "Rules": [
                    {
                        "RuleName": "daily",
                        "TargetBackupVaultName": SOURCE_VAULT,
                        "ScheduleExpression": "cron(0 1 * * ? *)",
                        "Lifecycle": {"DeleteAfterDays": 30},
                    }
                ],
            }
        )
        self.backup.create_backup_selection(
            BackupPlanId=plan["BackupPlanId"],
            BackupSelection={
                "SelectionName": name,
                "IamRoleArn": ROLE_ARN,
                "Resources": list(resources),
            },
        )
        for arn, kind in resources.items():
            emulator.register_resource(arn, resource_type=kind, account=ACCOUNT, region=REGION)
        self.plans[name] = plan["BackupPlanId"]
        return str(plan["BackupPlanId"])

    def back_up(self) -> int:
        """Let the plans fire (their cron is 01:00, the clock starts at 00:30)."""
        return emulator.advance_clock(minutes=30)

    # --- delivery ----------------------------------------------------------------------------

    def deliver(self, queue: Queue) -> int:
        """One batch from the queue through its handler; how many records it carried."""
        messages = self.sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=BATCH,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        if not messages:
            return 0
        queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue.name}"
        records = [
            sqs_record(
                m["MessageId"],
                m["Body"],
                int(m["Attributes"]["ApproximateReceiveCount"]),
                receipt_handle=m["ReceiptHandle"],
                queue_arn=queue_arn,
            )
            for m in messages
        ]
        failed = invoke(queue.handler, {"Records": records})
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
        queue.deliveries += len(messages)
        queue.bodies += [m["Body"] for m in messages]
        return len(messages)

    def drain(self) -> int:
        """Deliver until both queues are empty; how many records were handled."""
        handled = 0
        while moved := self.deliver(self.copy) + self.deliver(self.tracking):
            handled += moved
        return handled

    def run(self, *, step_minutes: float = 10, max_steps: int = 2000) -> int:
        """Drain, let simulated time pass, repeat until nothing moves; the steps it took."""
        for step in range(max_steps):
            handled = self.drain()
            moved = emulator.advance_clock(minutes=step_minutes)
            moved += emulator.flush_events()
            if not handled and not moved and not active_jobs():
                return step
        raise AssertionError(f"the pipeline did not settle in {max_steps} steps")

    # --- what it left behind ------------------------------------------------------------------

    def ledger(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=LEDGER):
            items += page["Items"]
        return items

    def copy_jobs(self) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        for page in self.backup.get_paginator("list_copy_jobs").paginate():
            jobs += page["CopyJobs"]
        return jobs

    def completed_backups(self) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        for page in self.backup.get_paginator("list_backup_jobs").paginate(ByState="COMPLETED"):
            jobs += page["BackupJobs"]
        return jobs

    def messages(self, url: str) -> list[dict[str, Any]]:
        """Everything in a queue now (left in place: visible again at once)."""
        found: dict[str, dict[str, Any]] = {}
        while batch := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            fresh = [m for m in batch if m["MessageId"] not in found]
            if not fresh:
                break
            found.update({m["MessageId"]: m for m in fresh})
        for message in found.values():
            self.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return list(found.values())


def invoke(handler: ModuleType, event: dict[str, Any]) -> set[str]:
    """The message ids Lambda would return to the queue."""
    ids = [record["messageId"] for record in event["Records"]]
    try:
        response = handler.lambda_handler(event, sample_context())
    except BatchProcessingError:  # every record failed: Lambda returns the whole batch
        return failed_message_ids(None, ids, errored=True)
    return failed_message_ids(response, ids, errored=False)


def active_jobs() -> int:
    from emulator.control import control  # noqa: PLC0415 - emulator internals, read only

    return len(control().active_jobs)


def _queue_with_dlq(sqs: Any, name: str, receives: int) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    redrive = {
        "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": receives,
    }
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(redrive)})[
        "QueueUrl"
    ]
    return url, dlq


def _rule(events: Any, sqs: Any, name: str, url: str, pattern: dict[str, Any]) -> None:
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn["QueueArn"]}])


def _vaults(backup: Any, kms: Any) -> None:
    key = kms.create_key(Description="source vaults")["KeyMetadata"]["Arn"]
    backup.create_backup_vault(BackupVaultName=SOURCE_VAULT, EncryptionKeyArn=key)
    backup.create_logically_air_gapped_backup_vault(
        BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=400
    )
    create_destination_vaults(backup, kms)


def _rules(events: Any, sqs: Any, copy_url: str, tracking_url: str) -> None:
    _rule(
        events,
        sqs,
        "backup-completed",
        copy_url,
        {
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change"],
            "detail": {"state": ["COMPLETED"], "backupVaultName": [SOURCE_VAULT]},
        },
    )
    _rule(
        events,
        sqs,
        "copy-job-state-changed",
        tracking_url,
        {
            "source": ["aws.backup"],
            "detail-type": ["Copy Job State Change"],
            "detail": {
                "state": ["RUNNING", "COMPLETED", "FAILED"],  # as template.yaml: not CREATED
                "destinationBackupVaultArn": [
                    vault_arn(name) for name in ("lag", MANAGED_VAULT, *SERVICE_KEY_VAULTS.values())
                ],
            },
        },
    )


@contextmanager
def pipeline(
    *, config: dict[str, Any] | None = None, settings: dict[str, str] | None = None
) -> Iterator[Pipeline]:
    """Everything provisioned, the handlers wired to it; torn down on exit."""
    with (
        environment({"MOTO_ACCOUNT_ID": ACCOUNT, "EMULATOR_START_TIME": START}),
        # Retry timing is not under test: botocore still retries, without sleeping.
        mock.patch.object(ExponentialBackoff, "delay_amount", lambda self, context: 0),
        mock_aws(),
    ):
        emulator.install()
        emulator.configure(**(config or {}))
        made = _provision()
        with handler_environment(**_environment(made, settings)) as (copy, tracking):
            made.copy.handler, made.tracking.handler = copy, tracking
            yield made
        clients.reset()


def _provision() -> Pipeline:
    session = boto3.session.Session(region_name=REGION)
    made: list[Any] = [
        session.client(name, config=NO_RETRIES)  # type: ignore[call-overload]
        for name in ("backup", "sqs", "dynamodb", "events", "kms")
    ]
    backup, sqs, dynamodb, events, kms = made
    _vaults(backup, kms)
    create_tracking_ledger_table(dynamodb, LEDGER)
    copy_url, copy_dlq = _queue_with_dlq(sqs, "copy", COPY_RECEIVES)
    tracking_url, tracking_dlq = _queue_with_dlq(sqs, "tracking", TRACKING_RECEIVES)
    parking = sqs.create_queue(QueueName="parked")["QueueUrl"]
    session.client("sns").create_topic(Name="backup-copy-alerts")
    _rules(events, sqs, copy_url, tracking_url)
    return Pipeline(
        backup,
        sqs,
        dynamodb,
        Queue("copy", copy_url, copy_dlq, handler=ModuleType("unwired")),
        Queue("tracking", tracking_url, tracking_dlq, handler=ModuleType("unwired")),
        parking,
    )


def _environment(made: Pipeline, settings: dict[str, str] | None) -> dict[str, str]:
    return {
        "SOURCE_VAULT_NAMES": SOURCE_VAULT,
        "LAG_SOURCE_VAULT_NAMES": "",  # the sample's "dr" is not a source here
        "DR_VAULT_ARN": "",  # one Region: no DR service-key vault
        "LEDGER_TABLE_NAME": LEDGER,
        "PARKING_QUEUE_URL": made.parking_url,
        "COPY_ROLE_ARN": ROLE_ARN,
        "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:backup-copy-alerts",
        **(settings or {}),
    }


# ---- estates ------------------------------------------------------------------------------


def volumes(count: int, prefix: str = "vol") -> dict[str, str]:
    return {f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{prefix}-{i:017x}": "EBS" for i in range(count)}


def buckets(count: int, prefix: str = "bucket") -> dict[str, str]:
    return {f"arn:aws:s3:::{prefix}-{i}": "S3" for i in range(count)}
