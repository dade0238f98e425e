"""Promises broken on purpose: the runner's checks must see it.

The checks read AWS (the emulator) and the ledger afresh, so a duplicate copy job, a deleted
ledger entry or a skip without its reason, made after a clean run, must each break its promise.
One short run (its own moto session) is shared; each test tampers with a different recovery point
and looks only at the promise it broke.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from demo.report import PromiseCheck
from demo.run import DemoOptions, DemoResult, check_again, demo_session, run_demo

NO_RETRIES = Config(retries={"total_max_attempts": 1})

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture(scope="module")
def short_run() -> Iterator[DemoResult]:
    """Two hours of the hourly rule for 6 resources: enough recovery points to tamper with."""
    with demo_session():
        result = run_demo(DemoOptions(resources=6, seed=99, hours=2))
        assert result.report.promises_kept  # tampering must be what breaks them
        yield result


def client(name: str) -> Any:
    return boto3.client(name, region_name="us-east-1", config=NO_RETRIES)


def check(checks: list[PromiseCheck], name: str) -> PromiseCheck:
    (found,) = [c for c in checks if c.name == name]
    return found


def test_given_a_second_copy_job_for_a_protected_point_when_checked_then_a_duplicate_is_found(
    short_run: DemoResult,
) -> None:
    # Given
    point = next(
        p
        for p in short_run.report.recovery_points
        if p["outcome"] == "protected" and p["ledger"][0]["target"] == "lag"
    )
    client("backup").start_copy_job(
        RecoveryPointArn=point["recovery_point_arn"],
        SourceBackupVaultName=point["vault"],
        DestinationBackupVaultArn=short_run.settings.lag_vault.vault_arn,
        IamRoleArn=short_run.settings.copy_role_arn,
        Lifecycle={"DeleteAfterDays": 7},
    )
    # When
    found = check(check_again(short_run), "no-duplicate-copy")
    # Then
    assert not found.kept
    assert any(point["recovery_point_arn"] in detail for detail in found.broken)


def test_given_a_ledger_entry_deleted_when_checked_then_its_recovery_point_is_lost(
    short_run: DemoResult,
) -> None:
    # Given
    point = next(p for p in short_run.report.recovery_points if p["resource_type"] == "EFS")
    dynamodb = client("dynamodb")
    table = short_run.settings.ledger_table_name
    keys = dynamodb.query(
        TableName=table,
        KeyConditionExpression="RecoveryPointArn = :arn",
        ExpressionAttributeValues={":arn": {"S": point["recovery_point_arn"]}},
        ProjectionExpression="RecoveryPointArn, DestinationVaultArn",
    )["Items"]
    for key in keys:
        dynamodb.delete_item(TableName=table, Key=key)
    # When
    found = check(check_again(short_run), "no-lost-recovery-point")
    # Then
    assert keys
    assert not found.kept
    assert any(point["recovery_point_arn"] in detail for detail in found.broken)


def test_given_a_skip_without_its_reason_when_checked_then_it_is_unexplained(
    short_run: DemoResult,
) -> None:
    # Given
    point = next(p for p in short_run.report.recovery_points if p["resource_type"] == "DynamoDB")
    client("dynamodb").update_item(
        TableName=short_run.settings.ledger_table_name,
        Key={
            "RecoveryPointArn": {"S": point["recovery_point_arn"]},
            "DestinationVaultArn": {"S": "-"},
        },
        UpdateExpression="SET Reason = :blank",
        ExpressionAttributeValues={":blank": {"S": ""}},
    )
    # When
    found = check(check_again(short_run), "no-unexplained-skip")
    # Then
    assert not found.kept
    assert any(point["recovery_point_arn"] in detail for detail in found.broken)
