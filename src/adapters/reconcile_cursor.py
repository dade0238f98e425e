"""The reconciler's cursor, kept in the ledger table under a reserved key.

Key: ``RecoveryPointArn`` = ``#reconciler-cursor`` (no recovery point ARN starts with ``#``),
``DestinationVaultArn`` = ``-``. The item has no ``State`` attribute, so the ``StateUpdatedAtIndex``
(the stuck-copy query) never sees it, and no ``ExpiresAt``, so TTL never removes it. Every save is
conditional on the version that was read: of two runs at once, the second save loses and that run
stops, so a pass is never walked twice in parallel.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated
from core.reconcile.coverage import Coverage
from core.reconcile.cursor import ReconcileCursor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CURSOR_KEY = {"RecoveryPointArn": {"S": "#reconciler-cursor"}, "DestinationVaultArn": {"S": "-"}}


class DynamoCursorStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def load(self) -> ReconcileCursor | None:
        with translated("GetItem"):
            answer = self._client.get_item(
                TableName=self._table, Key=CURSOR_KEY, ConsistentRead=True
            )
        item = answer.get("Item")
        return cursor_from_item(item) if item else None

    def save(self, cursor: ReconcileCursor) -> bool:
        with translated("PutItem"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item_from_cursor(cursor),
                    ConditionExpression=(
                        "attribute_not_exists(RecoveryPointArn) OR Version = :previous"
                    ),
                    ExpressionAttributeValues={":previous": {"N": str(cursor.version - 1)}},
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return False
                raise
        return True


def item_from_cursor(cursor: ReconcileCursor) -> dict[str, Any]:
    item: dict[str, Any] = {
        **CURSOR_KEY,
        "Version": {"N": str(cursor.version)},
        "Vaults": {"S": json.dumps(list(cursor.vaults))},
        "PassStartedAt": {"S": cursor.pass_started_at.isoformat()},
        "Coverage": {"S": json.dumps(cursor.coverage.to_document())},
        "LastKeyUsage": {
            "S": json.dumps({key: sorted(v) for key, v in sorted(cursor.last_key_usage.items())})
        },
    }
    if cursor.created_after is not None:
        item["CreatedAfter"] = {"S": cursor.created_after.isoformat()}
    if cursor.vault is not None:
        item["Vault"] = {"S": cursor.vault}
    if cursor.page_token is not None:
        item["PageToken"] = {"S": cursor.page_token}
    return item


def cursor_from_item(item: Mapping[str, Any]) -> ReconcileCursor:
    def text(name: str) -> str | None:
        return str(item[name]["S"]) if name in item else None

    created_after = text("CreatedAfter")
    usage = json.loads(text("LastKeyUsage") or "{}")
    return ReconcileCursor(
        vaults=tuple(json.loads(text("Vaults") or "[]")),
        created_after=datetime.fromisoformat(created_after) if created_after else None,
        vault=text("Vault"),
        page_token=text("PageToken"),
        pass_started_at=datetime.fromisoformat(str(text("PassStartedAt"))),
        coverage=Coverage.from_document(json.loads(text("Coverage") or "{}")),
        last_key_usage={key: frozenset(vaults) for key, vaults in usage.items()},
        version=int(item["Version"]["N"]),
    )
