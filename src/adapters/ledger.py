"""DynamoDB ledger: one item per (source recovery point, destination vault); conditional writes.

The conditions make a second copy of the same recovery point impossible even after the
StartCopyJob idempotency window closes, and make every transition valid only from the states that
may precede it (``core.kernel.ledger_states``): duplicate and out-of-order events leave it correct.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated
from adapters.clock import utc_now
from core.kernel.copy_jobs import CopyJobUpdate, CopyResult
from core.kernel.ledger_states import (
    ALLOWED_PREDECESSORS,
    CLAIM_LEASE,
    IN_PROGRESS,
    LedgerEntry,
    LedgerState,
)
from core.kernel.models import CopyDecision, RecoveryPointEvent, SkipDecision

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NO_DESTINATION = "-"  # the sort key of skips, which have no destination vault
ON_DEMAND = "on-demand"  # BackupPlanId of recovery points no backup plan made
SKIP_RETENTION = timedelta(days=400)  # long enough to explain a monthly recovery point kept a year
COPY_RETENTION_MARGIN = timedelta(days=30)
# GSI: State (HASH) + UpdatedAt (RANGE), projecting all attributes; finds copies in progress.
STATE_INDEX = "StateUpdatedAtIndex"
# What a reopened FAILED entry drops: the failed attempt's job, failure and owed alert.
_FORGOTTEN_ON_REOPEN = (
    "CopyJobId",
    "FailureKind",
    "PendingAlert",
    "LastFailedCopyJobId",
    "LastFailureKind",
    "LastFailure",
)
_MAX_TEXT = 1000


class DynamoLedger:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        clock: Callable[[], datetime] = utc_now,
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

    def claim(self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int) -> bool:
        request = decision.request
        fields = self._claim_fields(event, decision, attempt)
        condition = (
            "attribute_not_exists(RecoveryPointArn)"
            " OR (#state = :planned AND Attempts = :attempt AND UpdatedAt < :lease_ended)"
            " OR (#state = :planned AND Attempts = :attempt AND ClaimReleased = :released)"
            " OR (#state IN (:planned, :started) AND Attempts < :attempt)"
        )
        values = {
            ":planned": _s(LedgerState.PLANNED),
            ":started": _s(LedgerState.STARTED),
            ":attempt": _n(attempt),
            ":lease_ended": _s((self._now() - CLAIM_LEASE).isoformat()),
            ":released": {"BOOL": True},
        }
        key = _key(decision.recovery_point_arn, request["DestinationBackupVaultArn"])
        # A new attempt has no copy job yet: a stale job id must not be mistaken for it.
        return self._update(
            key,
            LedgerState.PLANNED,
            fields,
            condition,
            values,
            remove=("CopyJobId", "ClaimReleased"),
        )

    def reopen_failed(
        self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int
    ) -> bool:
        key = _key(decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        return self._update(
            key,
            LedgerState.PLANNED,
            self._claim_fields(event, decision, attempt),
            "#state = :failed AND Attempts < :attempt",
            {":failed": _s(LedgerState.FAILED), ":attempt": _n(attempt)},
            remove=_FORGOTTEN_ON_REOPEN,
        )

    def mark_started(self, decision: CopyDecision, copy_job_id: str, attempt: int) -> None:
        key = _key(decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        self.transition(
            key, LedgerState.STARTED, {"CopyJobId": _s(copy_job_id)}, same_attempt=attempt
        )

    def mark_start_failed(
        self, decision: CopyDecision, attempt: int, reason: str, detail: str
    ) -> None:
        key = _key(decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        fields = {"FailureKind": _s(reason), "Explanation": _s((detail or reason)[:_MAX_TEXT])}
        self.transition(key, LedgerState.FAILED, fields, same_attempt=attempt, create=False)

    def release_claim(self, decision: CopyDecision, attempt: int) -> None:
        # Only this attempt's own claim, and only while no copy job is known for it; a miss means
        # another delivery moved the entry on, which is what a release would have allowed anyway.
        key = _key(decision.recovery_point_arn, decision.request["DestinationBackupVaultArn"])
        condition = "#state = :planned AND Attempts = :attempt AND attribute_not_exists(CopyJobId)"
        values = {":planned": _s(LedgerState.PLANNED), ":attempt": _n(attempt)}
        released = {"ClaimReleased": {"BOOL": True}}
        self._update(key, LedgerState.PLANNED, released, condition, values)

    def record_final(
        self, event: RecoveryPointEvent, decision: SkipDecision, state: LedgerState
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
        when: str | None = None,
        when_values: Mapping[str, Any] | None = None,
        if_absent: Mapping[str, Any] | None = None,
        create: bool = True,
    ) -> bool:
        """Move an entry to ``state`` if its current state may precede it; False when it may not.

        ``when`` adds a condition on the existing entry; ``create=False`` refuses to create one
        even where the state could start an entry; ``if_absent`` fields are written only where
        the entry does not have them yet.
        """
        allowed = sorted(s for s in ALLOWED_PREDECESSORS[state] if s is not None)
        names = [f":from{i}" for i in range(len(allowed))]
        clauses = [f"#state IN ({', '.join(names)})"] if allowed else []
        values: dict[str, Any] = {n: _s(s) for n, s in zip(names, allowed, strict=True)}
        if same_attempt is not None:
            clauses = [f"({clauses[0]} AND Attempts = :attempt)"]
            values[":attempt"] = _n(same_attempt)
        if when is not None:
            clauses = [f"({clauses[0]} AND ({when}))"]
            values.update(when_values or {})
        if create and None in ALLOWED_PREDECESSORS[state]:
            clauses.insert(0, "attribute_not_exists(RecoveryPointArn)")
        return self._update(
            key, state, fields, " OR ".join(clauses), values, if_absent=if_absent or {}
        )

    # --- copy tracking ----------------------------------------------------------------------

    def record_running(self, entry: LedgerEntry, copy_job_id: str) -> bool:
        return self.transition(
            _entry_key(entry),
            LedgerState.STARTED,
            {"CopyJobId": _s(copy_job_id)},
            same_attempt=entry.attempts,
            when=(
                "(attribute_not_exists(CopyJobId) OR CopyJobId = :job)"
                " AND (attribute_not_exists(LastFailedCopyJobId) OR LastFailedCopyJobId <> :job)"
            ),
            when_values={":job": _s(copy_job_id)},
            create=False,
        )

    def note_failure(self, entry: LedgerEntry, copy_job_id: str, kind: str, message: str) -> bool:
        fields = {
            "LastFailedCopyJobId": _s(copy_job_id),
            "LastFailureKind": _s(kind),
            "LastFailure": _s(message[:_MAX_TEXT]),
        }
        return self.transition(
            _entry_key(entry),
            LedgerState.STARTED,
            fields,
            same_attempt=entry.attempts,
            when="CopyJobId = :job",
            when_values={":job": _s(copy_job_id)},
            create=False,
        )

    def record_copy_result(self, update: CopyJobUpdate, result: CopyResult) -> bool:
        key = _key(update.source_recovery_point_arn, update.destination_vault_arn)
        optional = {
            "CopyJobId": result.copy_job_id,
            "DestinationRecoveryPointArn": result.destination_recovery_point_arn,
            "DestinationKeyArn": result.destination_key_arn,
            "FailureKind": result.failure_kind,
            "PendingAlert": result.pending_alert,
        }
        fields = {
            "Reason": _s(result.reason),
            "Explanation": _s(result.explanation[:_MAX_TEXT]),
            **{name: _s(value) for name, value in optional.items() if value is not None},
        }
        if result.state is LedgerState.FAILED:
            # Only the copy job of the current attempt (or the one just retried) can fail it.
            return self.transition(
                key,
                result.state,
                fields,
                when="CopyJobId = :job OR LastFailedCopyJobId = :job",
                when_values={":job": _s(result.copy_job_id or "-")},
                create=False,
            )
        return self.transition(key, result.state, fields, if_absent=self._first_seen(update))

    def take_pending_alert(
        self, recovery_point_arn: str, destination_vault_arn: str
    ) -> LedgerEntry | None:
        old = self._flag(
            _key(recovery_point_arn, destination_vault_arn),
            "REMOVE PendingAlert SET AlertSentAt = :now",
            "attribute_exists(PendingAlert)",
            {":now": _s(self._now().isoformat())},
        )
        return entry_from_item(old) if old else None

    def restore_pending_alert(self, entry: LedgerEntry) -> None:
        if entry.pending_alert is None:
            return
        self._flag(
            _entry_key(entry),
            "SET PendingAlert = :alert REMOVE AlertSentAt",
            "attribute_exists(RecoveryPointArn)",
            {":alert": _s(entry.pending_alert)},
        )

    def in_progress_before(self, cutoff: datetime) -> list[LedgerEntry]:
        return [
            entry_from_item(item)
            for state in IN_PROGRESS
            for item in self._query_state(state, cutoff.isoformat())
        ]

    def flag_stuck(self, entry: LedgerEntry) -> bool:
        """Once per stuck period: the period is named by the UpdatedAt it started at."""
        updated = _updated_text(entry)
        old = self._flag(
            _entry_key(entry),
            "SET StuckReportedFor = :updated",
            "#state = :state AND UpdatedAt = :updated"
            " AND (attribute_not_exists(StuckReportedFor) OR StuckReportedFor <> :updated)",
            {":state": _s(entry.state), ":updated": _s(updated)},
            names={"#state": "State"},
        )
        return old is not None

    def unflag_stuck(self, entry: LedgerEntry) -> None:
        self._flag(
            _entry_key(entry),
            "REMOVE StuckReportedFor",
            "StuckReportedFor = :updated",
            {":updated": _s(_updated_text(entry))},
        )

    def _claim_fields(
        self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int
    ) -> dict[str, Any]:
        request = decision.request
        lifecycle_days = request["Lifecycle"]["DeleteAfterDays"]
        return {
            "Reason": _s(decision.reason.value),
            "Explanation": _s(decision.explanation),
            "Attempts": _n(attempt),
            "Target": _s(decision.target_label),
            "ResourceType": _s(decision.resource_type),
            "ResourceArn": _s(event.resource_arn),
            "SourceVaultName": _s(request["SourceBackupVaultName"]),
            "IdempotencyToken": _s(request["IdempotencyToken"]),
            "BackupPlanId": _s(event.backup_plan_id or ON_DEMAND),
            "ExpiresAt": _n(self._expiry(timedelta(days=lifecycle_days) + COPY_RETENTION_MARGIN)),
        }

    def _first_seen(self, update: CopyJobUpdate) -> dict[str, Any]:
        """What an entry started by a copy event (not by a claim) needs to be readable."""
        fields = {
            "SourceVaultName": _s(update.source_vault_name),
            "Attempts": _n(0),
            "ExpiresAt": _n(self._expiry(SKIP_RETENTION)),
        }
        if update.resource_type:
            fields["ResourceType"] = _s(update.resource_type)
        if update.resource_arn:
            fields["ResourceArn"] = _s(update.resource_arn)
        return fields

    def _query_state(self, state: LedgerState, before: str) -> Iterator[Mapping[str, Any]]:
        paginator = self._client.get_paginator("query")
        with translated("Query"):
            for page in paginator.paginate(
                TableName=self._table,
                IndexName=STATE_INDEX,
                KeyConditionExpression="#state = :state AND UpdatedAt < :before",
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues={":state": _s(state), ":before": _s(before)},
            ):
                yield from page.get("Items", [])

    def _flag(
        self,
        key: Mapping[str, Any],
        expression: str,
        condition: str,
        values: Mapping[str, Any],
        *,
        names: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any] | None:
        """A conditional write that leaves State and UpdatedAt alone; the item as it was, or None.

        Alert bookkeeping must not look like progress: the stuck query reads UpdatedAt.
        """
        extra: dict[str, Any] = {"ExpressionAttributeNames": dict(names)} if names else {}
        with translated("UpdateItem"):
            try:
                answer = self._client.update_item(
                    TableName=self._table,
                    Key=dict(key),
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=dict(values),
                    ReturnValues="ALL_OLD",
                    **extra,
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return None
                raise
        return answer.get("Attributes", {})

    def _update(
        self,
        key: Mapping[str, Any],
        state: LedgerState,
        fields: Mapping[str, Any],
        condition: str,
        values: Mapping[str, Any],
        *,
        if_absent: Mapping[str, Any] | None = None,
        remove: Sequence[str] = (),
    ) -> bool:
        now = self._now().isoformat()
        assignments = [
            "#state = :state",
            "UpdatedAt = :now",
            "CreatedAt = if_not_exists(CreatedAt, :now)",
        ]
        assignments += [f"{name} = :{name}" for name in fields]
        absent = dict(if_absent or {})
        assignments += [f"{name} = if_not_exists({name}, :{name})" for name in absent]
        expression_values = {":state": _s(state), ":now": _s(now), **values}
        expression_values.update({f":{name}": value for name, value in fields.items()})
        expression_values.update({f":{name}": value for name, value in absent.items()})
        expression = "SET " + ", ".join(assignments)
        if remove:
            expression += " REMOVE " + ", ".join(remove)
        with translated("UpdateItem"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=dict(key),
                    UpdateExpression=expression,
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


def _key(recovery_point_arn: str, destination_vault_arn: str) -> dict[str, Any]:
    return {
        "RecoveryPointArn": _s(recovery_point_arn),
        "DestinationVaultArn": _s(destination_vault_arn),
    }


def _entry_key(entry: LedgerEntry) -> dict[str, Any]:
    return _key(entry.recovery_point_arn, entry.destination_vault_arn)


def _updated_text(entry: LedgerEntry) -> str:
    if entry.updated_at is None:
        raise ValueError(f"ledger entry {entry.recovery_point_arn} has no UpdatedAt")
    return entry.updated_at.isoformat()


def _s(value: str) -> dict[str, str]:
    return {"S": str(value)}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def entry_from_item(item: Mapping[str, Any]) -> LedgerEntry:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    updated = text("UpdatedAt")
    plan = text("BackupPlanId")
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
        resource_arn=text("ResourceArn"),
        explanation=text("Explanation"),
        backup_plan_id=None if plan in (None, ON_DEMAND) else plan,
        last_failed_copy_job_id=text("LastFailedCopyJobId"),
        last_failure_kind=text("LastFailureKind"),
        pending_alert=text("PendingAlert"),
    )
