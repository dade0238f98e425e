"""The DR case end to end on the emulator, both stacks of template.yaml in two Regions.

The primary stack (us-east-1) backs up registered resources on its daily rule and copies them into
the DR stack's vault (us-west-2), as AWS Backup's copy action does; the copies keep the primary
plan's ``CreatedBy``, a plan the DR Region does not know. Which Region's bus receives a
cross-Region copy's "Copy Job State Change" is not documented, so the emulator raises it in the
source Region, the destination Region, or both (``cross_region_copy_events``); the primary stack's
DrCopyEventsForwardingRule forwards what the source Region receives. Whatever AWS does, the DR
stack's copy function must copy each DR recovery point into its own LAG vault exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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
PRIMARY_REGION, DR_REGION = "us-east-1", "us-west-2"
NAME = "bco"  # one NamePrefix for both stacks: the primary computes its DR vault ARN from it
# The daily rule runs at 07:20 (not on the 1st, when the monthly rule would take its place).
BEFORE_THE_DAILY_RULE = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
NO_RETRIES = Config(retries={"total_max_attempts": 1})
COPY_HANDLER = "handlers.copy_handler.lambda_handler"

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@dataclass
class TwoRegions:
    primary: DemoStack
    dr: DemoStack
    account: str
    copy_events_in: str  # the Regions whose bus receives a cross-Region copy's events

    def client(self, service: str, region: str = DR_REGION) -> Any:
        return boto3.client(service, region_name=region, config=NO_RETRIES)


@pytest.fixture(params=["source", "destination", "both"])
def world(request: pytest.FixtureRequest) -> Iterator[TwoRegions]:
    """Both stacks provisioned, AWS raising cross-Region copy events as ``request.param`` says."""
    emulator.install()
    with mock_aws():
        emulator.set_time(BEFORE_THE_DAILY_RULE)
        emulator.configure(seed=7, cross_region_copy_events=request.param)
        account = emulator.api.default_account()
        dr = provision_stack(
            TEMPLATE,
            {"StackRole": "dr", "NamePrefix": NAME},
            stack_name="dr",
            region=DR_REGION,
            account=account,
        )
        primary = provision_stack(
            TEMPLATE,
            {"StackRole": "primary", "NamePrefix": NAME, "DrRegion": DR_REGION},
            stack_name="prod",
            region=PRIMARY_REGION,
            account=account,
        )
        yield TwoRegions(primary, dr, account, request.param)


@pytest.fixture
def dr_runtime(world: TwoRegions, monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaRuntime]:
    """The DR stack's functions, with the Region Lambda gives them (AWS_REGION)."""
    monkeypatch.setenv("AWS_REGION", DR_REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", DR_REGION)
    with LambdaRuntime(world.dr) as running:
        yield running


def copy_function(stack: DemoStack) -> FunctionSpec:
    return next(spec for spec in stack.functions.values() if spec.handler == COPY_HANDLER)


def register_encrypted(world: TwoRegions, resource_type: str, arn: str) -> str:
    kms = world.client("kms", PRIMARY_REGION)
    key = kms.create_key(Description="workload")["KeyMetadata"]["Arn"]
    emulator.register_resource(
        arn, region=PRIMARY_REGION, resource_type=resource_type, encryption_key_arn=key
    )
    return arn


def copy_jobs_into(world: TwoRegions, vault_arn: str) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    for region in (PRIMARY_REGION, DR_REGION):
        pages = world.client("backup", region).get_paginator("list_copy_jobs").paginate()
        jobs += [job for page in pages for job in page["CopyJobs"]]
    return [job for job in jobs if job["DestinationBackupVaultArn"] == vault_arn]


def test_given_daily_copies_into_the_dr_vault_when_delivered_then_each_gets_one_lag_copy(
    world: TwoRegions, dr_runtime: LambdaRuntime
) -> None:
    # Given an EBS volume and an Aurora cluster of the primary Region, encrypted with a CMK
    ebs = register_encrypted(
        world, "EBS", f"arn:aws:ec2:{PRIMARY_REGION}:{world.account}:volume/vol-0d0000000000000e1"
    )
    aurora = register_encrypted(
        world, "Aurora", f"arn:aws:rds:{PRIMARY_REGION}:{world.account}:cluster:orders"
    )
    # ... backed up by the daily rule and copied into the DR vault, with the primary's plan
    emulator.advance_clock(hours=4)
    dr_vault = str(world.dr.provisioned.arn("DrVault"))
    into_dr = {job["ResourceArn"]: job for job in copy_jobs_into(world, dr_vault)}
    assert set(into_dr) == {ebs, aurora}
    assert {job["State"] for job in into_dr.values()} == {"COMPLETED"}
    # (the main plan backs up EBS, the RDS plan the Aurora cluster: both are the primary's)
    plans = {
        arn: world.primary.provisioned.attribute(plan, "BackupPlanId")
        for arn, plan in ((ebs, "MainBackupPlan"), (aurora, "RdsBackupPlan"))
    }
    assert {arn: job["CreatedBy"]["BackupPlanId"] for arn, job in into_dr.items()} == plans
    # When the DR stack's copy queue is delivered to its copy function (once per event, and
    # twice per copy when both Regions' buses receive it)
    spec = copy_function(world.dr)
    delivered = sum(dr_runtime.pump(spec, source) for source in spec.queues)
    # Then each DR recovery point got exactly one copy, into the DR Region's LAG vault
    copies_per_event = 2 if world.copy_events_in == "both" else 1
    assert delivered == 2 * copies_per_event
    lag_vault = str(world.dr.provisioned.arn("LagVault"))
    to_lag = copy_jobs_into(world, lag_vault)
    assert sorted(job["ResourceArn"] for job in to_lag) == sorted([ebs, aurora])
    assert {job["SourceBackupVaultArn"] for job in to_lag} == {dr_vault}
    assert copy_jobs_into(world, str(world.dr.provisioned.arn("ManagedKeyVault"))) == []
    # ... and one ledger entry each, claimed once whatever the number of deliveries
    table = copy_function(world.dr).environment["LEDGER_TABLE_NAME"]
    items = world.client("dynamodb").scan(TableName=table)["Items"]
    copies = [item for item in items if item["DestinationVaultArn"]["S"] == lag_vault]
    assert sorted(item["ResourceArn"]["S"] for item in copies) == sorted([ebs, aurora])
    assert {item["Attempts"]["N"] for item in copies} == {"1"}
