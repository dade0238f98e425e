"""The real copy handler on the local AWS Backup emulator, provisioned from template.yaml.

No Stubber here: the template's plans back up registered resources on their schedule, the
emulator publishes the completed-backup events into moto's EventBridge, the template's rule
routes them to the copy queue, and the demo's Lambda runtime delivers them to the handler as
Lambda would. Every AWS request is therefore checked against botocore's model by moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

import emulator
from demo.stack import DemoStack, provision_stack
from localrun.runtime import FunctionSpec, LambdaRuntime

TEMPLATE = Path(__file__).parents[2] / "template.yaml"
REGION = "us-east-1"
MIDNIGHT = datetime(2026, 11, 2, tzinfo=UTC)  # not a first: only the hourly rule fires at 00:20
NO_RETRIES = Config(retries={"total_max_attempts": 1})
COPY_HANDLER = "handlers.copy_handler.lambda_handler"

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture
def stack() -> Iterator[DemoStack]:
    emulator.install()
    with mock_aws():
        emulator.set_time(MIDNIGHT)
        emulator.configure(seed=11, dynamodb_advanced_features=False)
        yield provision_stack(
            TEMPLATE,
            {"StackRole": "primary"},
            stack_name="it",
            region=REGION,
            account=emulator.api.default_account(),
        )


@pytest.fixture
def runtime(stack: DemoStack) -> Iterator[LambdaRuntime[DemoStack]]:
    with LambdaRuntime(stack) as running:
        yield running


@pytest.fixture
def aws(stack: DemoStack) -> dict[str, Any]:
    return {
        name: boto3.client(name, region_name=REGION, config=NO_RETRIES)
        for name in ("backup", "dynamodb", "kms", "sqs")
    }


def copy_function(stack: DemoStack) -> FunctionSpec:
    return next(spec for spec in stack.functions.values() if spec.handler == COPY_HANDLER)


def deliver_copy_queue(runtime: LambdaRuntime[DemoStack]) -> int:
    spec = copy_function(runtime.stack)
    return sum(runtime.pump(spec, source) for source in spec.queues)


def register(aws: dict[str, Any], resource_type: str, arn: str, *, encrypted: bool = True) -> str:
    key = aws["kms"].create_key(Description="workload")["KeyMetadata"]["Arn"] if encrypted else None
    emulator.register_resource(arn, resource_type=resource_type, encryption_key_arn=key)
    return arn


def hourly_backups_complete() -> None:
    """The hourly rule fires at 00:20; backup jobs take at most 30 minutes (EmulatorConfig)."""
    emulator.advance_clock(hours=1)


def copy_jobs(aws: dict[str, Any]) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = aws["backup"].list_copy_jobs()["CopyJobs"]
    return jobs


def ledger_entries(aws: dict[str, Any], stack: DemoStack) -> list[dict[str, Any]]:
    table = copy_function(stack).environment["LEDGER_TABLE_NAME"]
    items: list[dict[str, Any]] = aws["dynamodb"].scan(TableName=table)["Items"]
    return items


def entry_for(entries: list[dict[str, Any]], resource_arn: str) -> dict[str, Any]:
    (entry,) = [e for e in entries if e["ResourceArn"]["S"] == resource_arn]
    return entry


def account() -> str:
    return emulator.api.default_account()


def test_given_plan_backups_of_four_types_when_delivered_then_each_gets_its_decision(
    stack: DemoStack, runtime: LambdaRuntime[DemoStack], aws: dict[str, Any]
) -> None:
    # Given
    ebs = register(aws, "EBS", f"arn:aws:ec2:{REGION}:{account()}:volume/vol-0a0000000000000e1")
    # (a type without LAG support; the RDS family has no hourly rule: issue 12, item 2)
    timestream = register(
        aws, "Timestream", f"arn:aws:timestream:{REGION}:{account()}:database/metrics"
    )
    table = register(
        aws, "DynamoDB", f"arn:aws:dynamodb:{REGION}:{account()}:table/t", encrypted=False
    )
    redshift = register(aws, "Redshift", f"arn:aws:redshift:{REGION}:{account()}:cluster:dw")
    hourly_backups_complete()
    # When
    delivered = deliver_copy_queue(runtime)
    # Then
    jobs = {job["ResourceArn"]: job for job in copy_jobs(aws)}
    lag, managed = stack.provisioned.arn("LagVault"), stack.provisioned.arn("ManagedKeyVault")
    assert delivered == 4
    assert set(jobs) == {ebs, timestream}
    assert jobs[ebs]["DestinationBackupVaultArn"] == lag
    # The hourly rule keeps 3 days; the LAG vault's minimum is 7.
    assert jobs[ebs]["DestinationRecoveryPointLifecycle"] == {"DeleteAfterDays": 7}
    assert jobs[timestream]["DestinationBackupVaultArn"] == managed
    entries = ledger_entries(aws, stack)
    assert entry_for(entries, ebs)["State"]["S"] == "started"
    for skipped in (table, redshift):
        entry = entry_for(entries, skipped)
        assert (entry["State"]["S"], entry["Reason"]["S"]) == (
            "unprotectable",
            "skip-not-copyable",
        )
        assert entry["DestinationVaultArn"]["S"] == "-"


def test_given_every_event_delivered_twice_when_handled_then_one_copy_job_per_recovery_point(
    runtime: LambdaRuntime[DemoStack], aws: dict[str, Any]
) -> None:
    # Given
    for index in range(3):
        register(aws, "EBS", f"arn:aws:ec2:{REGION}:{account()}:volume/vol-0b00000000000000{index}")
    emulator.set_faults(duplicate_event_rate=1.0)
    hourly_backups_complete()
    emulator.reset_faults()
    # When
    delivered = deliver_copy_queue(runtime)
    # Then
    jobs = copy_jobs(aws)
    assert delivered == 6
    assert len(jobs) == 3
    assert len({job["SourceRecoveryPointArn"] for job in jobs}) == 3


def test_given_an_on_demand_backup_when_handled_then_it_goes_to_the_managed_vault(
    stack: DemoStack, runtime: LambdaRuntime[DemoStack], aws: dict[str, Any]
) -> None:
    # Given: no plan made it, so no plan opts it into the LAG vault
    efs = register(
        aws,
        "EFS",
        f"arn:aws:elasticfilesystem:{REGION}:{account()}:file-system/fs-1",
        encrypted=False,
    )
    emulator.configure(run_backup_plans=False)
    aws["backup"].start_backup_job(
        BackupVaultName=stack.provisioned.ref("DailyVault"),
        ResourceArn=efs,
        IamRoleArn=stack.provisioned.arn("BackupServiceRole"),
        Lifecycle={"DeleteAfterDays": 30},
    )
    emulator.settle()
    # When
    deliver_copy_queue(runtime)
    # Then
    (job,) = copy_jobs(aws)
    assert job["DestinationBackupVaultArn"] == stack.provisioned.arn("ManagedKeyVault")
    assert job["DestinationRecoveryPointLifecycle"] == {"DeleteAfterDays": 30}


def test_given_a_malformed_message_when_handled_then_it_is_parked_with_its_reason_not_retried(
    stack: DemoStack, runtime: LambdaRuntime[DemoStack], aws: dict[str, Any]
) -> None:
    # Given
    (source,) = copy_function(stack).queues
    aws["sqs"].send_message(QueueUrl=source.queue_url, MessageBody='{"detail-type": ')
    # When
    delivered = deliver_copy_queue(runtime)
    # Then
    parked = aws["sqs"].receive_message(
        QueueUrl=stack.provisioned.ref("CopyDeadLetterQueue"),
        MessageAttributeNames=["All"],
    )["Messages"]
    assert delivered == 1
    assert runtime.waiting == 0
    assert len(parked) == 1
    assert parked[0]["Body"] == '{"detail-type": '
    assert parked[0]["MessageAttributes"]  # the reason travels with the record


def test_given_start_copy_job_throttled_when_handled_then_the_record_comes_back_and_is_copied(
    runtime: LambdaRuntime[DemoStack], aws: dict[str, Any]
) -> None:
    # Given
    register(aws, "EBS", f"arn:aws:ec2:{REGION}:{account()}:volume/vol-0c0000000000000c1")
    hourly_backups_complete()
    emulator.set_faults(throttle_rate=1.0, operations=["StartCopyJob"])
    # When
    deliver_copy_queue(runtime)
    # Then: reported in batchItemFailures, kept in the queue, nothing copied yet
    assert runtime.stats.failed_records["CopyFunction"] == 1
    assert runtime.stats.backoff_seconds > 0  # botocore retried first, without waiting for real
    assert runtime.waiting == 1
    assert copy_jobs(aws) == []
    # When the visibility timeout has passed and AWS answers again
    emulator.reset_faults()
    emulator.advance_clock(seconds=360)  # the copy queue's visibility timeout
    runtime.release_failed()
    redelivered = deliver_copy_queue(runtime)
    # Then
    assert redelivered == 1
    assert len(copy_jobs(aws)) == 1
