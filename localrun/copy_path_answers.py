"""Canned AWS answers for the copy and tracking paths: a healthy account where every call succeeds.

Each answer is a function of the request (an id derived from the idempotency token, the recovery
point asked about), so any number of records can be handled without queueing responses.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from localrun.canned_aws import CannedAws

CREATED = datetime(2026, 10, 5, 7, 20, 11, tzinfo=UTC)
RETENTION_DAYS = 30


def healthy_copy_path(aws: CannedAws, account: str) -> None:
    """Answers for every call the copy handler can make."""
    region = aws.region
    aws.answer("backup", "DescribeRecoveryPoint", describe_recovery_point)
    aws.answer("backup", "StartCopyJob", start_copy_job)
    points = f"arn:aws:backup:{region}:{account}:recovery-point"
    aws.answer(
        "backup",
        "DescribeBackupJob",
        lambda p: {
            "BackupJobId": p["BackupJobId"],
            "RecoveryPointArn": f"{points}:{p['BackupJobId']}",
        },
    )
    aws.answer(
        "backup",
        "GetBackupPlan",
        lambda p: {
            "BackupPlanId": p["BackupPlanId"],
            "BackupPlanArn": f"arn:aws:backup:{region}:{account}:backup-plan:{p['BackupPlanId']}",
            "BackupPlan": {"BackupPlanName": f"plan-{p['BackupPlanId']}", "Rules": []},
        },
    )
    aws.answer("backup", "ListTags", lambda _: {"Tags": {}})
    aws.answer("dynamodb", "UpdateItem", lambda _: {})
    aws.answer("dynamodb", "GetItem", lambda _: {})
    aws.answer("sqs", "SendMessage", send_message)


def healthy_tracking_path(aws: CannedAws, account: str) -> None:
    """Answers for the tracking handler's own calls: every copy completes under the AWS-owned
    key of AWS Backup, so it verifies; alerts publish."""
    key = f"arn:aws:kms:{aws.region}:{account}:key/aws-backup"
    aws.answer(
        "backup",
        "DescribeCopyJob",
        lambda p: {
            "CopyJob": {
                "CopyJobId": p["CopyJobId"],
                "State": "COMPLETED",
                "DestinationEncryptionKeyArn": key,
            }
        },
    )
    aws.answer(
        "kms", "DescribeKey", lambda p: {"KeyMetadata": {"KeyId": p["KeyId"], "KeyManager": "AWS"}}
    )
    aws.answer("sns", "Publish", lambda _: {"MessageId": "alert"})


def describe_recovery_point(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "RecoveryPointArn": params["RecoveryPointArn"],
        "BackupVaultName": params["BackupVaultName"],
        "Status": "COMPLETED",
        "StorageClass": "WARM",
        "CreationDate": CREATED,
        "Lifecycle": {"DeleteAfterDays": RETENTION_DAYS},
    }


def start_copy_job(params: dict[str, Any]) -> dict[str, Any]:
    token = params.get("IdempotencyToken") or params["RecoveryPointArn"]
    job = str(uuid.uuid5(uuid.NAMESPACE_URL, token)).upper()
    return {"CopyJobId": job, "CreationDate": CREATED, "IsParent": False}


def send_message(params: dict[str, Any]) -> dict[str, Any]:
    return {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": "0" * 32}


def copy_requests(aws: CannedAws) -> list[dict[str, Any]]:
    return [params for service, operation, params in aws.requests if operation == "StartCopyJob"]
