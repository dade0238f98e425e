"""DynamoDB ledger: one item per (source recovery point, destination vault); conditional writes.

The conditions make a second copy of the same recovery point impossible even after the
StartCopyJob idempotency window closes, and make every transition valid only from the states that
may precede it (``core.ledger_states``), so duplicate and out-of-order events leave it correct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated
from core.ledger_states import ALLOWED_PREDECESSORS, LedgerEntry, LedgerState
from core.models import Decision, RecoveryPointEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NO_DESTINATION = "-"  # the sort key of skips, which have no destination vault
SKIP_RETENTION = timedelta(days=400)  # long enough to explain a monthly recovery point kept a year
COPY_RETENTION_MARGIN = timedelta(days=30)


class DynamoLedger:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._table = table_name
        self._now = clock

    def get(self, recovery_point_arn: str, destination_vault_arn: str) -> LedgerEntry | None:
        with translated("GetItem"):
            answer = self._client.get_item(
                TableName=self._table,
                Key=_key(recovery_point_arn, destination_vault_arn),
                ConsistentRead=True,
            )
        item = answer.get("Item")
        return entry_from_item(item) if item else None

    def claim(self, event: RecoveryPointEvent, decision: Decision, attempt: int) -> bool:
        request = _require_request(decision)
        lifecycle_days = request["Lifecycle"]["DeleteAfterDays"]
        fields = {
            "Reason": _s(decision.reason.value),
            "Explanation": _s(decision.explanation),
            "Attempts": _n(attempt),
            "Target": _s(decision.target_label),
            "ResourceType": _s(decision.resource_type),
            "ResourceArn": _s(event.resource_arn),
            "SourceVaultName": _s(request["SourceBackupVaultName"]),
            "IdempotencyToken": _s(request["IdempotencyToken"]),
            "BackupPlanId": _s(event.backup_plan_id or "on-demand"),
            "ExpiresAt": _n(self._expiry(timedelta(days=lifecycle_days) + COPY_RETENTION_MARGIN)),
        }
        condition = (
            "attribute_not_exists(RecoveryPointArn)"
            " OR (#state = :planned AND Attempts = :attempt)"
            " OR (#state IN (:planned, :started) AND Attempts < :attempt)"
        )
        values = {
            ":planned": _s(LedgerState.PLANNED),
            ":started": _s(LedgerState.STARTED),
            ":attempt": _n(attempt),
        }
        key = _key(decision.recovery_point_arn, request["DestinationBackupVaultArn"])
        return self._update(key, LedgerState.PLANNED, fields, condition, values)

    def mark_started(self, decision: Decision, copy_job_id: str, attempt: int) -> None:
        request = _require_request(decision)
        key = _key(decision.recovery_point_arn, request["DestinationBackupVaultArn"])
        self.transition(
            key, LedgerState.STARTED, {"CopyJobId": _s(copy_job_id)}, same_attempt=attempt
        )

    def record_final(
        self, event: RecoveryPointEvent, decision: Decision, state: LedgerState
    ) -> None:
        fields = {
            "Reason": _s(decision.reason.value),
            "Explanation": _s(decision.explanation),
            "ResourceType": _s(decision.resource_type),
            "ResourceArn": _s(event.resource_arn),
            "SourceVaultName": _s(event.vault_name),
            "Attempts": _n(0),
            "ExpiresAt": _n(self._expiry(SKIP_RETENTION)),
        }
        self.transition(_key(decision.recovery_point_arn, NO_DESTINATION), state, fields)

    def transition(
        self,
        key: Mapping[str, Any],
        state: LedgerState,
        fields: Mapping[str, Any],
        *,
        same_attempt: int | None = None,
    ) -> bool:
        """Move an entry to ``state`` if its current state may precede it; False when it may not."""
        allowed = sorted(s for s in ALLOWED_PREDECESSORS[state] if s is not None)
        names = [f":from{i}" for i in range(len(allowed))]
        clauses = [f"#state IN ({', '.join(names)})"] if allowed else []
        values: dict[str, Any] = {n: _s(s) for n, s in zip(names, allowed, strict=True)}
        if same_attempt is not None:
            clauses = [f"({clauses[0]} AND Attempts = :attempt)"]
            values[":attempt"] = _n(same_attempt)
        if None in ALLOWED_PREDECESSORS[state]:
            clauses.insert(0, "attribute_not_exists(RecoveryPointArn)")
        return self._update(key, state, fields, " OR ".join(clauses), values)

    def _update(
        self,
        key: Mapping[str, Any],
        state: LedgerState,
        fields: Mapping[str, Any],
        condition: str,
        values: Mapping[str, Any],
    ) -> bool:
        now = self._now().isoformat()
        assignments = [
            "#state = :state",
            "UpdatedAt = :now",
            "CreatedAt = if_not_exists(CreatedAt, :now)",
        ]
        assignments += [f"{name} = :{name}" for name in fields]
        expression_values = {":state": _s(state), ":now": _s(now), **values}
        expression_values.update({f":{name}": value for name, value in fields.items()})
        with translated("UpdateItem"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=dict(key),
                    UpdateExpression="SET " + ", ".join(assignments),
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#state": "State"},
                    ExpressionAttributeValues=expression_values,
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def _expiry(self, keep: timedelta) -> int:
        return int((self._now() + keep).timestamp())


def _require_request(decision: Decision) -> Any:
    if decision.request is None:
        raise ValueError(f"decision {decision.reason} carries no copy request")
    return decision.request


def _key(recovery_point_arn: str, destination_vault_arn: str) -> dict[str, Any]:
    return {
        "RecoveryPointArn": _s(recovery_point_arn),
        "DestinationVaultArn": _s(destination_vault_arn),
    }


def _s(value: str) -> dict[str, str]:
    return {"S": str(value)}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def entry_from_item(item: Mapping[str, Any]) -> LedgerEntry:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    updated = text("UpdatedAt")
    return LedgerEntry(
        recovery_point_arn=item["RecoveryPointArn"]["S"],
        destination_vault_arn=item["DestinationVaultArn"]["S"],
        state=LedgerState(item["State"]["S"]),
        reason=text("Reason") or "",
        attempts=int(item.get("Attempts", {"N": "0"})["N"]),
        copy_job_id=text("CopyJobId"),
        source_vault_name=text("SourceVaultName"),
        resource_type=text("ResourceType"),
        destination_recovery_point_arn=text("DestinationRecoveryPointArn"),
        destination_key_arn=text("DestinationKeyArn"),
        updated_at=datetime.fromisoformat(updated) if updated else None,
    )
