"""The ledger read of the reconciler: every entry of one recovery point, by its partition key.

One Query on the table's hash key (``RecoveryPointArn``) returns the entry of each destination and
the ``-`` entry of a skip; consistent, so a copy claimed a moment ago is seen. No Scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.aws_errors import translated
from adapters.ledger import entry_from_item
from core.kernel.ledger_states import LedgerEntry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoLedgerLookup:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def entries_for(self, recovery_point_arn: str) -> list[LedgerEntry]:
        entries: list[LedgerEntry] = []
        start: dict[str, Any] = {}
        while True:
            with translated("Query"):
                answer = self._client.query(
                    TableName=self._table,
                    KeyConditionExpression="RecoveryPointArn = :arn",
                    ExpressionAttributeValues={":arn": {"S": recovery_point_arn}},
                    ConsistentRead=True,
                    **start,
                )
            entries += [entry_from_item(item) for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return entries
            start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}
