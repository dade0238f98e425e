"""SQS batches through the real handlers, AWS answered in memory (localrun.canned_aws).

The clients are real boto3 clients with the production configuration (``adapters.clients``):
botocore validates, serializes and runs its retry bookkeeping for every call; only the HTTP
exchange is replaced. The handlers log to stdout as in Lambda; the bench sends it to /dev/null.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from types import ModuleType
from typing import Any

from adapters import clients
from localrun.canned_aws import CannedAws
from localrun.copy_path_answers import healthy_copy_path, healthy_tracking_path
from localrun.harness import handler_environment, sqs_record
from localrun.samples import ACCOUNT, REGION, read_event, sample_context

BACKUP_EVENT = read_event("backup-completed-ebs-lag-plan.json")
COPY_EVENT = read_event("copy-job-completed.json")


def copy_bodies(count: int, *, vault: str = "daily", first: int = 0) -> list[dict[str, Any]]:
    """Distinct completed backups of the LAG plan in a source vault (or any vault named)."""
    events = []
    for i in range(first, first + count):
        event = copy.deepcopy(BACKUP_EVENT)
        event["resources"] = [f"arn:aws:ec2:{REGION}::snapshot/snap-{i:017x}"]
        event["detail"]["backupJobId"] = f"job-{i:08d}"
        event["detail"]["backupVaultName"] = vault
        event["detail"]["backupVaultArn"] = (
            f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{vault}"
        )
        events.append(event)
    return events


def tracking_bodies(count: int) -> list[dict[str, Any]]:
    """Distinct completed copy jobs into the LAG vault."""
    events = []
    for i in range(count):
        event = copy.deepcopy(COPY_EVENT)
        event["resources"] = [f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:source-{i:08d}"]
        event["detail"]["copyJobId"] = f"COPY-{i:08d}"
        event["detail"]["destinationRecoveryPointArn"] = (
            f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:copy-{i:08d}"
        )
        events.append(event)
    return events


def sqs_event(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    import json  # noqa: PLC0415

    return {"Records": [sqs_record(f"m{i}", json.dumps(b)) for i, b in enumerate(bodies)]}


def canned_aws() -> CannedAws:
    aws = CannedAws(REGION, clients._CONFIG)
    aws.record_requests = False
    healthy_copy_path(aws, ACCOUNT)
    healthy_tracking_path(aws, ACCOUNT)
    return aws


@contextmanager
def wired(aws: CannedAws) -> Iterator[dict[str, ModuleType]]:
    """The handlers, logging to /dev/null, wired to ``aws``."""
    with (
        open(os.devnull, "w", encoding="utf-8") as sink,
        redirect_stdout(sink),
        handler_environment() as (copy_handler, tracking_handler),
        aws.installed(),
    ):
        yield {"copy": copy_handler, "tracking": tracking_handler}


def invoke(handler: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = handler.lambda_handler(event, sample_context())
    if response.get("batchItemFailures"):
        raise AssertionError(f"records failed: {response['batchItemFailures'][:3]}")
    return response


def run_batch(handler: str, records: int) -> None:
    """One batch of ``records`` through a handler (the memory worker's workload)."""
    bodies = copy_bodies(records) if handler == "copy" else tracking_bodies(records)
    event = sqs_event(bodies)
    with wired(canned_aws()) as handlers:
        invoke(handlers[handler], event)
    sys.stdout.flush()
