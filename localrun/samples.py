"""The sample configuration the tests, the local pipeline and the bench share.

One configuration (``SETTINGS_ENV``, the function environment of ``docs/contracts.md``) and the
``events/`` fixtures (their expectations, ``events/README.md``, are read by ``tests.samples``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localrun.invocation import DEFAULT_REQUEST_ID, LambdaContext

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DIR = ROOT / "events"

ACCOUNT = "111122223333"
REGION = "us-east-1"
SOURCE_VAULTS = ("hourly", "daily", "monthly", "dr")


def vault_arn(name: str, *, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:backup:{region}:{account}:backup-vault:{name}"


LAG_VAULT_ARN = vault_arn("lag")
MANAGED_VAULT_ARN = vault_arn("orchestrator-managed-key")  # its name gives the -svc- vaults'
COPY_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/backup-copy-orchestrator-backup-role"
LAG_PLAN_ID = "5b8d2c4e-1f3a-4e6b-9c7d-0a1b2c3d4e5f"  # listed in LAG_PLAN_IDS
PLAIN_PLAN_ID = "8e7d6c5b-4a39-4281-b7a6-f5e4d3c2b1a0"  # a plan that does not opt in
LEDGER_TABLE = "backup-copy-ledger"
PARKING_QUEUE = "backup-copy-dlq"
PARKING_QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{PARKING_QUEUE}"

# The service-key vaults (core.kernel.service_key_vaults): a stack named "orchestrator" with a dr
# stack in DR_REGION. Their names follow the managed-key and DR vaults', so this configuration
# names those two by the template's rule.
DR_REGION = "us-west-2"
SVC_RDS_VAULT_ARN = vault_arn("orchestrator-svc-rds")
SVC_EBS_VAULT_ARN = vault_arn("orchestrator-svc-ebs")
DR_VAULT_ARN = vault_arn("orchestrator-dr", region=DR_REGION)
DR_SVC_RDS_VAULT_ARN = vault_arn("orchestrator-svc-rds", region=DR_REGION)
DR_SVC_EBS_VAULT_ARN = vault_arn("orchestrator-svc-ebs", region=DR_REGION)
SERVICE_KEY_ENV: dict[str, str] = {
    "SERVICE_KEY_VAULTS": "rds,ebs",
    "SERVICE_KEY_PLACEMENT": "same-region",
    "DR_VAULT_ARN": DR_VAULT_ARN,
}


def create_destination_vaults(backup: Any, kms: Any) -> None:
    """This Region's destinations of SETTINGS_ENV but the LAG vault: the managed-key vault
    (aws/backup) and the service-key vaults under aws/rds and aws/ebs (the naming rule)."""
    backup.create_backup_vault(BackupVaultName=MANAGED_VAULT_ARN.rsplit(":", 1)[1])
    for service, vault_arn_ in (("rds", SVC_RDS_VAULT_ARN), ("ebs", SVC_EBS_VAULT_ARN)):
        key = kms.describe_key(KeyId=f"alias/aws/{service}")["KeyMetadata"]["Arn"]
        backup.create_backup_vault(
            BackupVaultName=vault_arn_.rsplit(":", 1)[1], EncryptionKeyArn=key
        )


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
    **SERVICE_KEY_ENV,
}

# How long each source vault's plan rule keeps its recovery points (the seed ThinkStack plans).
SOURCE_RETENTION_DAYS = {"hourly": 3, "daily": 30, "monthly": 365, "dr": 30}


def event_file_names() -> list[str]:
    return sorted(path.name for path in EVENTS_DIR.glob("*.json"))


def read_event(name: str) -> Any:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def create_tracking_ledger_table(client: Any, name: str) -> None:
    """The ledger table with the GSI the stuck-copy query reads (State + UpdatedAt)."""
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "RecoveryPointArn", "KeyType": "HASH"},
            {"AttributeName": "DestinationVaultArn", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "RecoveryPointArn", "AttributeType": "S"},
            {"AttributeName": "DestinationVaultArn", "AttributeType": "S"},
            {"AttributeName": "State", "AttributeType": "S"},
            {"AttributeName": "UpdatedAt", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "StateUpdatedAtIndex",
                "KeySchema": [
                    {"AttributeName": "State", "KeyType": "HASH"},
                    {"AttributeName": "UpdatedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def sample_context(
    function_name: str = "HandlerUnderTest",
    memory_limit_in_mb: int = 256,
    remaining_milliseconds: int = 60_000,
    aws_request_id: str = DEFAULT_REQUEST_ID,
) -> LambdaContext:
    """The Lambda context of an invocation in the sample account and Region."""
    return LambdaContext.of(
        function_name,
        account=ACCOUNT,
        region=REGION,
        memory_mb=memory_limit_in_mb,
        timeout_millis=remaining_milliseconds,
        request_id=aws_request_id,
    )
