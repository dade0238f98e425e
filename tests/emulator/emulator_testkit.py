"""Constants and helpers shared by the emulator tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.config import Config

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole"
START = "2026-03-01T00:00:00Z"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message now in the queue, parsed, and deleted."""
    bodies: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def error_of(raised: Any) -> tuple[str, str]:
    """(code, message) of a botocore ClientError caught by pytest.raises."""
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@dataclass(frozen=True)
class Vaults:
    """Names and ARNs of the vaults every copy test starts from."""

    cmk_arn: str
    daily: str
    locked: str
    managed: str
    lag: str
    ebs_keyed: str

    def arn(self, name: str) -> str:
        return f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{name}"
