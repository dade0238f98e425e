"""What a replayed event changed, read back from AWS as an operator would: the ledger tables,
the copy jobs, and the records the handlers parked in their dead-letter queues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from demo.replay.world import ReplayWorld

# Moto answers at once: one attempt is all a reader needs.
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 1})
LedgerKey = tuple[str, str, str]  # table, RecoveryPointArn, DestinationVaultArn


@dataclass(frozen=True, slots=True)
class Snapshot:
    ledger: dict[LedgerKey, dict[str, Any]]
    copy_jobs: dict[str, dict[str, Any]]  # copy job id -> ListCopyJobs entry

    def changed_entries(self, earlier: Snapshot) -> list[dict[str, Any]]:
        """Ledger entries written since ``earlier`` (new or different), as they are now."""
        return [
            {"Table": key[0], **item}
            for key, item in self.ledger.items()
            if earlier.ledger.get(key) != item
        ]

    def new_copy_jobs(self, earlier: Snapshot) -> list[dict[str, Any]]:
        return [job for job_id, job in self.copy_jobs.items() if job_id not in earlier.copy_jobs]


class Observer:
    def __init__(self, world: ReplayWorld) -> None:
        self._world = world
        region = world.region
        self._dynamodb = boto3.client("dynamodb", region_name=region, config=_CLIENT_CONFIG)
        self._backup = boto3.client("backup", region_name=region, config=_CLIENT_CONFIG)
        self._sqs = boto3.client("sqs", region_name=region, config=_CLIENT_CONFIG)

    def snapshot(self, *, copy_jobs: bool = True) -> Snapshot:
        """The ledger tables and (unless told not to) the copy jobs, as they are now."""
        ledger = {
            (table, item["RecoveryPointArn"], item["DestinationVaultArn"]): item
            for table in self._world.ledger_tables()
            for item in self._ledger_items(table)
        }
        jobs = {job["CopyJobId"]: job for job in self._copy_jobs()} if copy_jobs else {}
        return Snapshot(ledger, jobs)

    def take_parked(self) -> list[dict[str, Any]]:
        """Every record in the dead-letter queues, removed as it is read (each is reported once):
        those the handlers parked carry their reason (adapters.parking); the others SQS moved
        there after too many receives."""
        return [parked for url in self._world.parking_queues() for parked in self._drain(url)]

    def _ledger_items(self, table: str) -> Iterator[dict[str, Any]]:
        for page in self._dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page.get("Items", []):
                yield {name: _plain(value) for name, value in item.items()}  # type: ignore[arg-type]

    def _copy_jobs(self) -> Iterator[dict[str, Any]]:
        for page in self._backup.get_paginator("list_copy_jobs").paginate():
            for job in page.get("CopyJobs", []):
                yield {name: _json_ready(value) for name, value in job.items()}

    def _drain(self, queue_url: str) -> Iterator[dict[str, Any]]:
        while messages := self._sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            for message in messages:
                attributes = message.get("MessageAttributes", {})
                yield {
                    "queue": queue_url.rsplit("/", 1)[-1],
                    "reason": attributes.get("RejectionReason", {}).get("StringValue"),  # type: ignore[call-overload]
                    "detail": attributes.get("RejectionDetail", {}).get("StringValue"),  # type: ignore[call-overload]
                    "body": message["Body"],
                }
            self._sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )


def same_event(parked_body: str, delivered_body: str) -> bool:
    """A parked record is the delivered event when both say the same (EventBridge gives a routed
    event a new id and time); bodies that are not JSON must be equal."""
    parked, delivered = _json_or_none(parked_body), _json_or_none(delivered_body)
    if isinstance(parked, dict) and isinstance(delivered, dict):
        fields = ("source", "detail-type", "detail", "resources")
        return all(parked.get(name) == delivered.get(name) for name in fields)
    return parked_body == delivered_body


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value without its type: strings as they are, numbers as numbers."""
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    return raw


def _json_ready(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
