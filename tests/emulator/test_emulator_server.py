"""Server mode: moto's ThreadedMotoServer, and the standalone ``python -m emulator.server``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.remote import EmulatorClient
from tests.emulator.emulator_testkit import NO_RETRIES, REGION, ROLE_ARN, drain, error_of
from tests.local_server import emulator_server, free_port

ROOT = Path(__file__).parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with emulator_server() as url:
        yield url


@pytest.fixture
def control(endpoint: str) -> EmulatorClient:
    client = EmulatorClient(endpoint)
    client.reset()
    return client


@pytest.fixture
def client(endpoint: str, control: EmulatorClient) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint, config=NO_RETRIES)

    return make


def test_given_server_mode_when_a_lag_vault_is_created_then_describe_reports_its_type(
    client: Callable[[str], Any],
) -> None:
    # Given
    backup = client("backup")
    backup.create_logically_air_gapped_backup_vault(
        BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=100
    )
    # When
    vault = backup.describe_backup_vault(BackupVaultName="lag")
    # Then
    assert vault["VaultType"] == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"


def test_given_server_mode_when_an_ebs_point_is_copied_then_the_copy_is_described_by_its_arn(
    client: Callable[[str], Any], control: EmulatorClient
) -> None:
    # Given (a CMK-keyed source: LAG vaults refuse sources under AWS managed keys)
    backup = client("backup")
    cmk = client("kms").create_key()["KeyMetadata"]["Arn"]
    backup.create_backup_vault(BackupVaultName="daily", EncryptionKeyArn=cmk)
    backup.create_logically_air_gapped_backup_vault(
        BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=100
    )
    source = control.seed_recovery_point("daily", resource_type="EBS")
    job_id = backup.start_copy_job(
        RecoveryPointArn=source,
        SourceBackupVaultName="daily",
        DestinationBackupVaultArn=backup.describe_backup_vault(BackupVaultName="lag")[
            "BackupVaultArn"
        ],
        IamRoleArn=ROLE_ARN,
        Lifecycle={"DeleteAfterDays": 30},
    )["CopyJobId"]
    # When
    control.settle()
    # Then
    job = backup.describe_copy_job(CopyJobId=job_id)["CopyJob"]
    described = backup.describe_recovery_point(BackupVaultName="daily", RecoveryPointArn=source)
    assert job["State"] == "COMPLETED"
    assert described["RecoveryPointArn"].startswith("arn:aws:ec2:us-east-1::snapshot/")
    copy = backup.describe_recovery_point(
        BackupVaultName="lag", RecoveryPointArn=job["DestinationRecoveryPointArn"]
    )
    assert copy["EncryptionKeyType"] == "AWS_OWNED_KMS_KEY"


def test_given_server_mode_when_a_selection_is_created_then_the_plans_route_does_not_swallow_it(
    client: Callable[[str], Any],
) -> None:
    # Given
    backup = client("backup")
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "p",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}],
        }
    )
    # When
    selection = backup.create_backup_selection(
        BackupPlanId=plan["BackupPlanId"],
        BackupSelection={"SelectionName": "s", "IamRoleArn": ROLE_ARN, "Resources": ["*"]},
    )
    # Then
    listed = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])
    assert [s["SelectionId"] for s in listed["BackupSelectionsList"]] == [selection["SelectionId"]]


def test_given_server_mode_when_recovery_points_are_paged_then_every_page_is_served(
    client: Callable[[str], Any], control: EmulatorClient
) -> None:
    # Given
    backup = client("backup")
    backup.create_backup_vault(BackupVaultName="daily")
    seeded = {control.seed_recovery_point("daily", resource_type="EBS") for _ in range(3)}
    # When
    pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
        BackupVaultName="daily", PaginationConfig={"PageSize": 2}
    )
    # Then
    assert {p["RecoveryPointArn"] for page in pages for p in page["RecoveryPoints"]} == seeded


def test_given_throttling_set_through_the_control_endpoint_when_called_then_throttled(
    client: Callable[[str], Any], control: EmulatorClient
) -> None:
    # Given
    control.set_faults(throttle_rate=1.0)
    # When
    with pytest.raises(ClientError) as raised:
        client("backup").list_backup_vaults()
    # Then
    assert error_of(raised)[0] == "ThrottlingException"


def test_given_the_service_key_policy_set_through_the_control_endpoint_then_copies_keep_the_cmk(
    client: Callable[[str], Any], control: EmulatorClient
) -> None:
    # Given the same-Region service-key switch set remotely, and a vault under aws/rds
    backup = client("backup")
    cmk = client("kms").create_key()["KeyMetadata"]["Arn"]
    rds_key = client("kms").describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]
    backup.create_backup_vault(BackupVaultName="daily", EncryptionKeyArn=cmk)
    backup.create_backup_vault(BackupVaultName="rds-keyed", EncryptionKeyArn=rds_key)
    answer = control.configure(service_key_vault_policy="keep-source-key")
    source = control.seed_recovery_point("daily", resource_type="RDS")
    # When an RDS point is copied into the aws/rds vault
    job_id = backup.start_copy_job(
        RecoveryPointArn=source,
        SourceBackupVaultName="daily",
        DestinationBackupVaultArn=backup.describe_backup_vault(BackupVaultName="rds-keyed")[
            "BackupVaultArn"
        ],
        IamRoleArn=ROLE_ARN,
        Lifecycle={"DeleteAfterDays": 30},
    )["CopyJobId"]
    control.settle()
    # Then the setting took, and the copy stayed under the source CMK
    assert answer["service_key_vault_policy"] == "keep-source-key"
    assert (
        backup.describe_copy_job(CopyJobId=job_id)["CopyJob"]["DestinationEncryptionKeyArn"] == cmk
    )


def test_given_server_mode_when_a_backup_completes_then_the_event_reaches_sqs(
    client: Callable[[str], Any], control: EmulatorClient
) -> None:
    # Given
    backup, sqs, events = client("backup"), client("sqs"), client("events")
    url = sqs.create_queue(QueueName="completed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    pattern = {"source": ["aws.backup"], "detail": {"state": ["COMPLETED"]}}
    events.put_rule(Name="completed", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="completed", Targets=[{"Id": "q", "Arn": arn}])
    backup.create_backup_vault(BackupVaultName="daily")
    started = backup.start_backup_job(
        BackupVaultName="daily", ResourceArn="arn:aws:s3:::bucket", IamRoleArn=ROLE_ARN
    )
    # When
    control.advance_clock(seconds=3600)
    # Then
    (event,) = drain(sqs, url)
    assert event["resources"] == [started["RecoveryPointArn"]]


def test_given_the_control_endpoint_when_provisioning_then_the_template_vaults_exist(
    client: Callable[[str], Any], control: EmulatorClient
) -> None:
    # When
    stack = control.provision(str(FIXTURE))
    # Then
    names = {v["BackupVaultName"] for v in client("backup").list_backup_vaults()["BackupVaultList"]}
    assert stack["resources"]["LagVault"]["ref"] in names


def test_given_the_standalone_server_when_started_then_it_serves_the_emulator(
    tmp_path: Path,
) -> None:
    # Given
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.server", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for(endpoint)
        backup = boto3.client(
            "backup", region_name=REGION, endpoint_url=endpoint, config=NO_RETRIES
        )
        # When
        backup.create_logically_air_gapped_backup_vault(
            BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=30
        )
        state = EmulatorClient(endpoint).state()
        # Then
        assert backup.describe_backup_vault(BackupVaultName="lag")["MaxRetentionDays"] == 30
        assert state["faults"]["throttle_rate"] == 0.0
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(endpoint: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/emulator/state", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the emulator server at {endpoint} did not start")
