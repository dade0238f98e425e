"""BackupGateway's tracking calls against botocore's AWS Backup model (Stubber).

DescribeCopyJob, DescribeRecoveryPoint (the copy's key) and DescribeBackupVault: exact requests,
answers parsed into domain values, errors translated. The Stubber validates requests and answers
against the service model, so a field name that AWS does not have fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from adapters.backup import BackupGateway
from core.kernel.copy_jobs import CopyJobFacts, RecoveryPointKey, VaultRetention
from core.kernel.errors import PermanentError, RetryableError
from tests.samples import LAG_VAULT_ARN, REGION, vault_arn
from tests.tracking_fakes import AWS_OWNED_KEY, CUSTOMER_KEY

JOB_ID = "0175DE71-5784-589F-D8AC-541ACCB4CAC8"
SOURCE = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718"
COPY = "arn:aws:backup:us-east-1:111122223333:recovery-point:3c9c2e5a-1f0b-4b6e-9d7a-5e2f8c1d0a47"
WHEN = datetime(2026, 10, 12, 7, 26, 25, tzinfo=UTC)
LAG = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"


@pytest.fixture
def client() -> Any:
    return boto3.client("backup", region_name=REGION)


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def copy_job_answer(**changes: Any) -> dict[str, Any]:
    job = {
        "CopyJobId": JOB_ID,
        "SourceBackupVaultArn": vault_arn("hourly"),
        "SourceRecoveryPointArn": SOURCE,
        "DestinationBackupVaultArn": LAG_VAULT_ARN,
        "DestinationVaultType": LAG,
        "DestinationRecoveryPointArn": COPY,
        "DestinationEncryptionKeyArn": AWS_OWNED_KEY,
        "DestinationRecoveryPointLifecycle": {"DeleteAfterDays": 7},
        "CreationDate": WHEN,
        "State": "COMPLETED",
        "ResourceType": "EBS",
        **changes,
    }
    return {"CopyJob": job}


def test_given_a_completed_copy_job_when_described_then_key_vault_type_and_lifecycle_are_read(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response("describe_copy_job", copy_job_answer(), {"CopyJobId": JOB_ID})
    facts = BackupGateway(client).describe_copy_job(JOB_ID)
    assert facts == CopyJobFacts(
        copy_job_id=JOB_ID,
        state="COMPLETED",
        destination_recovery_point_arn=COPY,
        destination_key_arn=AWS_OWNED_KEY,
        destination_vault_type=LAG,
        status_message=None,
        message_category=None,
        delete_after_days=7,
    )


def test_given_a_failed_copy_job_when_described_then_message_and_category_are_read(
    client: Any, stubber: Stubber
) -> None:
    answer = copy_job_answer(State="FAILED", StatusMessage="Rate exceeded", MessageCategory="X")
    for absent in ("DestinationRecoveryPointArn", "DestinationEncryptionKeyArn"):
        del answer["CopyJob"][absent]
    stubber.add_response("describe_copy_job", answer, {"CopyJobId": JOB_ID})
    facts = BackupGateway(client).describe_copy_job(JOB_ID)
    assert (facts.status_message, facts.message_category) == ("Rate exceeded", "X")
    assert (facts.destination_key_arn, facts.destination_recovery_point_arn) == (None, None)


def test_given_a_copy_job_not_found_yet_when_described_then_the_error_is_retryable(
    client: Any, stubber: Stubber
) -> None:
    # Right after the event the job record may not be readable yet: let SQS redeliver
    stubber.add_client_error("describe_copy_job", "ResourceNotFoundException", http_status_code=404)
    with pytest.raises(RetryableError):
        BackupGateway(client).describe_copy_job(JOB_ID)


def test_given_a_bad_copy_job_id_when_described_then_the_error_is_permanent(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error(
        "describe_copy_job", "InvalidParameterValueException", http_status_code=400
    )
    with pytest.raises(PermanentError) as caught:
        BackupGateway(client).describe_copy_job(JOB_ID)
    assert caught.value.reason == "InvalidParameterValueException"


def test_given_a_copy_in_a_lag_vault_when_its_key_is_described_then_the_key_type_is_read(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response(
        "describe_recovery_point",
        {
            "RecoveryPointArn": COPY,
            "BackupVaultName": "lag",
            "EncryptionKeyArn": AWS_OWNED_KEY,
            "EncryptionKeyType": "AWS_OWNED_KMS_KEY",
            "VaultType": LAG,
            "IsEncrypted": True,
        },
        {"BackupVaultName": "lag", "RecoveryPointArn": COPY},
    )
    key = BackupGateway(client).recovery_point_key("lag", COPY)
    assert key == RecoveryPointKey(AWS_OWNED_KEY, "AWS_OWNED_KMS_KEY", LAG, True)


def test_given_a_recovery_point_without_key_fields_when_described_then_they_are_none(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response(
        "describe_recovery_point",
        {"RecoveryPointArn": COPY, "EncryptionKeyArn": CUSTOMER_KEY},
        {"BackupVaultName": "managed", "RecoveryPointArn": COPY},
    )
    key = BackupGateway(client).recovery_point_key("managed", COPY)
    assert key == RecoveryPointKey(CUSTOMER_KEY, None, None, None)


def test_given_a_locked_vault_when_its_retention_is_described_then_min_and_max_are_read(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response(
        "describe_backup_vault",
        {
            "BackupVaultName": "lag",
            "BackupVaultArn": LAG_VAULT_ARN,
            "VaultType": LAG,
            "Locked": True,
            "MinRetentionDays": 14,
            "MaxRetentionDays": 400,
        },
        {"BackupVaultName": "lag"},
    )
    assert BackupGateway(client).vault_retention("lag") == VaultRetention(14, 400)


def test_given_an_unlocked_vault_when_its_retention_is_described_then_there_is_no_bound(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response(
        "describe_backup_vault",
        {"BackupVaultName": "managed", "BackupVaultArn": vault_arn("managed"), "Locked": False},
        {"BackupVaultName": "managed"},
    )
    assert BackupGateway(client).vault_retention("managed") == VaultRetention(None, None)


def test_given_throttling_when_a_vault_is_described_then_the_error_is_retryable(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error("describe_backup_vault", "ThrottlingException", http_status_code=400)
    with pytest.raises(RetryableError):
        BackupGateway(client).vault_retention("lag")
