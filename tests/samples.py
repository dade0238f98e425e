"""Sample data shared by the unit, contract and integration tests.

One configuration (``SETTINGS_ENV``, the function environment of ``docs/contracts.md``) and the
``events/`` fixtures, with the expectations written down in ``events/README.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DIR = ROOT / "events"

ACCOUNT = "111122223333"
REGION = "us-east-1"
SOURCE_VAULTS = ("hourly", "daily", "monthly", "dr")


def vault_arn(name: str, *, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:backup:{region}:{account}:backup-vault:{name}"


LAG_VAULT_ARN = vault_arn("lag")
MANAGED_VAULT_ARN = vault_arn("managed")
COPY_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/backup-copy-orchestrator-backup-role"
LAG_PLAN_ID = "5b8d2c4e-1f3a-4e6b-9c7d-0a1b2c3d4e5f"  # listed in LAG_PLAN_IDS
PLAIN_PLAN_ID = "8e7d6c5b-4a39-4281-b7a6-f5e4d3c2b1a0"  # a plan that does not opt in
LEDGER_TABLE = "backup-copy-ledger"
PARKING_QUEUE = "backup-copy-dlq"
PARKING_QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{PARKING_QUEUE}"

SETTINGS_ENV: dict[str, str] = {
    "SOURCE_VAULT_NAMES": ",".join(SOURCE_VAULTS),
    "LAG_VAULT_ARN": LAG_VAULT_ARN,
    "LAG_VAULT_MIN_RETENTION_DAYS": "7",
    "LAG_VAULT_MAX_RETENTION_DAYS": "400",
    "MANAGED_VAULT_ARN": MANAGED_VAULT_ARN,
    "MANAGED_VAULT_MIN_RETENTION_DAYS": "1",
    "MANAGED_VAULT_MAX_RETENTION_DAYS": "0",
    "COPY_ROLE_ARN": COPY_ROLE_ARN,
    "LAG_PLAN_IDS": LAG_PLAN_ID,
    "LAG_PLAN_NAMES": "",
    "LAG_PLAN_TAG": "",
    "LAG_SOURCE_VAULT_NAMES": "dr",  # the DR vault: copies made by another Region's plans
    "DESTINATION_OVERRIDES": "{}",
    "SUPPORT_MATRIX_OVERRIDES": "{}",
    "LEDGER_TABLE_NAME": LEDGER_TABLE,
    "MAX_COPY_ATTEMPTS": "4",
    "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:backup-copy-alerts",
    "PARKING_QUEUE_URL": PARKING_QUEUE_URL,
}

# How long each source vault's plan rule keeps its recovery points (the seed ThinkStack plans).
SOURCE_RETENTION_DAYS = {"hourly": 3, "daily": 30, "monthly": 365, "dr": 30}


def event_file_names() -> list[str]:
    return sorted(path.name for path in EVENTS_DIR.glob("*.json"))


def read_event(name: str) -> Any:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Expectation:
    """One row of a table in ``events/README.md``."""

    key: str  # a file name, or a messageId for the records of an SQS batch
    expected: str  # a Reason value, ``rejected:<reason>`` or ``batch``
    target: str
    why: str

    @property
    def rejected_reason(self) -> str | None:
        prefix, _, reason = self.expected.partition(":")
        return reason if prefix == "rejected" else None

    @property
    def quoted_why(self) -> str:
        """The part of ``why`` in backticks: what a rejection message must contain."""
        match = re.search(r"`([^`]+)`", self.why)
        return match.group(1) if match else ""


_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*`?([^|`]*)`?\s*\|\s*(.*?)\s*\|$")


def readme_expectations() -> dict[str, Expectation]:
    """Every table row of ``events/README.md`` whose first two cells are code spans."""
    rows: dict[str, Expectation] = {}
    for line in (EVENTS_DIR / "README.md").read_text(encoding="utf-8").splitlines():
        if match := _ROW.match(line.strip()):
            key, expected, target, why = match.groups()
            if key in rows:
                raise AssertionError(f"events/README.md lists {key} twice")
            rows[key] = Expectation(key, expected, target.strip(), why)
    return rows


def create_ledger_table(client: Any, name: str = LEDGER_TABLE) -> None:
    """The ledger table's keys as adapters.ledger writes them: (recovery point, destination)."""
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "RecoveryPointArn", "KeyType": "HASH"},
            {"AttributeName": "DestinationVaultArn", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "RecoveryPointArn", "AttributeType": "S"},
            {"AttributeName": "DestinationVaultArn", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
