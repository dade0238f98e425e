"""Fixtures for the emulator tests: fake credentials, moto in-process, a standard set of vaults."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import emulator
from tests.emulator.emulator_testkit import NO_RETRIES, REGION, ROLE_ARN, START, Vaults, drain


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "EMULATOR_START_TIME": START,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "EMULATOR_FAULTS", "EMULATOR_CONFIG", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mocked() -> Iterator[None]:
    emulator.install()
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def clients() -> dict[str, Any]:
    """One client per service for the whole run: moto's mock applies to clients made before it."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return {
        name: session.client(name, config=NO_RETRIES) for name in ("backup", "kms", "sqs", "events")
    }


@pytest.fixture
def backup(mocked: None, clients: dict[str, Any]) -> Any:
    return clients["backup"]


@pytest.fixture
def kms(mocked: None, clients: dict[str, Any]) -> Any:
    return clients["kms"]


@pytest.fixture
def sqs(mocked: None, clients: dict[str, Any]) -> Any:
    return clients["sqs"]


@pytest.fixture
def events(mocked: None, clients: dict[str, Any]) -> Any:
    return clients["events"]


@pytest.fixture
def vaults(backup: Any, kms: Any) -> Vaults:
    """daily (CMK), locked (CMK, lock 7-35 days), managed (aws/backup), lag (7-400), ebs-keyed."""
    cmk = kms.create_key(Description="backup vaults")["KeyMetadata"]["Arn"]
    backup.create_backup_vault(BackupVaultName="daily", EncryptionKeyArn=cmk)
    backup.create_backup_vault(BackupVaultName="locked", EncryptionKeyArn=cmk)
    backup.put_backup_vault_lock_configuration(
        BackupVaultName="locked", MinRetentionDays=7, MaxRetentionDays=35
    )
    backup.create_backup_vault(BackupVaultName="managed")
    backup.create_logically_air_gapped_backup_vault(
        BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=400
    )
    ebs_key = emulator.aws_managed_key_arn("alias/aws/ebs")
    backup.create_backup_vault(BackupVaultName="ebs-keyed", EncryptionKeyArn=ebs_key)
    return Vaults(cmk, "daily", "locked", "managed", "lag", "ebs-keyed")


@pytest.fixture
def start_copy(backup: Any, vaults: Vaults) -> Callable[..., str]:
    """StartCopyJob from a vault (default daily) into a named vault, 30-day retention by default."""

    def start(recovery_point: str, into: str, **overrides: Any) -> str:
        request = {
            "RecoveryPointArn": recovery_point,
            "SourceBackupVaultName": overrides.pop("source", vaults.daily),
            "DestinationBackupVaultArn": vaults.arn(into),
            "IamRoleArn": ROLE_ARN,
            "Lifecycle": {"DeleteAfterDays": 30},
            **overrides,
        }
        return str(backup.start_copy_job(**request)["CopyJobId"])

    return start


@pytest.fixture
def event_queue(sqs: Any, events: Any) -> Callable[..., Callable[[], list[dict[str, Any]]]]:
    """An EventBridge rule (default: any aws.backup event) into a new SQS queue: a reader."""
    made = iter(range(100))

    def subscribe(pattern: dict[str, Any] | None = None) -> Callable[[], list[dict[str, Any]]]:
        index = next(made)
        url = sqs.create_queue(QueueName=f"events-{index}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        events.put_rule(
            Name=f"rule-{index}", EventPattern=json.dumps(pattern or {"source": ["aws.backup"]})
        )
        events.put_targets(
            Rule=f"rule-{index}", Targets=[{"Id": "q", "Arn": queue_arn["Attributes"]["QueueArn"]}]
        )
        return lambda: drain(sqs, url)

    return subscribe
