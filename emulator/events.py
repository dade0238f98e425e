"""EventBridge events of AWS Backup job state changes, delivered through moto's own put_events.

Shapes follow the documented samples at
https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html :
- "Backup Job State Change": ``resources`` is ``[]`` until COMPLETED, then ``[recovery point]``;
  ``backupSizeInBytes`` and ``bytesTransferred`` are strings; ``createdBy`` only for plan jobs;
  a FAILED job's ``statusMessage`` is wrapped in quotes, as in every documented failure sample;
  the CREATED sample carries only ``backupJobId``, ``state`` and ``creationDate``.
- "Copy Job State Change": ``resources`` is ``[source recovery point]``; ``backupSizeInBytes`` is a
  number; ``destinationRecoveryPointArn`` is ``{}`` until COMPLETED; the CREATED sample carries
  only ``creationDate``, ``state`` and the two vault ARNs (no ``copyJobId``).
Delivery is best effort (events-ref-backup.html): the fault knobs drop, duplicate and reorder.
Which Region's bus gets a cross-Region copy's events is undocumented: ``cross_region_copy_events``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from moto.events.models import events_backends

from emulator import arns
from emulator.clock import iso_ms
from emulator.control import control
from emulator.models import BackupJob, CopyJob, present

SOURCE = "aws.backup"
BACKUP_JOB_STATE_CHANGE = "Backup Job State Change"
COPY_JOB_STATE_CHANGE = "Copy Job State Change"


def _created_by(job: BackupJob | CopyJob) -> dict[str, str] | None:
    if not job.created_by:
        return None
    plan = job.created_by
    return {
        "backupPlanId": plan["BackupPlanId"],
        "backupPlanArn": plan["BackupPlanArn"],
        "backupPlanVersion": plan["BackupPlanVersion"],
        "backupPlanRuleId": plan["BackupRuleId"],
    }


def backup_job_event(job: BackupJob) -> tuple[list[str], dict[str, Any]]:
    if job.state == "CREATED":
        detail = {
            "backupJobId": job.job_id,
            "state": job.state,
            "creationDate": iso_ms(job.creation_date),
        }
        return [], detail
    completed = job.state == "COMPLETED"
    detail = present(
        {
            "backupJobId": job.job_id,
            "backupSizeInBytes": str(job.size_in_bytes),
            "backupVaultArn": job.vault_arn,
            "backupVaultName": job.vault_name,
            "bytesTransferred": str(job.size_in_bytes if completed else 0),
            "creationDate": iso_ms(job.creation_date),
            "iamRoleArn": job.iam_role_arn,
            "resourceArn": job.resource_arn,
            "resourceType": job.resource_type,
            "state": job.state,
            "statusMessage": f'"{job.status_message}"' if job.status_message else None,
            "completionDate": iso_ms(job.completion_date) if job.completion_date else None,
            "startBy": iso_ms(job.creation_date + timedelta(hours=8)),
            "percentDone": 100 if completed else 0,
            "createdBy": _created_by(job),
        }
    )
    return ([job.recovery_point_arn] if completed else []), detail


def copy_job_event(job: CopyJob) -> tuple[list[str], dict[str, Any]]:
    resources = [job.source_recovery_point_arn]
    if job.state == "CREATED":
        return resources, {
            "creationDate": iso_ms(job.creation_date),
            "state": job.state,
            "sourceBackupVaultArn": job.source_vault_arn,
            "destinationBackupVaultArn": job.destination_vault_arn,
        }
    destination: str | dict[str, Any] = {}
    if job.state == "COMPLETED" and job.destination_recovery_point_arn:
        destination = job.destination_recovery_point_arn
    detail = present(
        {
            "copyJobId": job.job_id,
            "backupSizeInBytes": job.size_in_bytes,
            "creationDate": iso_ms(job.creation_date),
            "iamRoleArn": job.iam_role_arn,
            "resourceArn": job.resource_arn,
            "resourceType": job.resource_type,
            "sourceBackupVaultArn": job.source_vault_arn,
            "state": job.state,
            "statusMessage": job.status_message,
            "completionDate": iso_ms(job.completion_date) if job.completion_date else None,
            "destinationBackupVaultArn": job.destination_vault_arn,
            "destinationRecoveryPointArn": destination,
            "createdBy": _created_by(job),
        }
    )
    return resources, detail


def publish_job_state(job: BackupJob | CopyJob, now: datetime) -> None:
    if isinstance(job, CopyJob):
        detail_type = COPY_JOB_STATE_CHANGE
        resources, detail = copy_job_event(job)
    else:
        detail_type = BACKUP_JOB_STATE_CHANGE
        resources, detail = backup_job_event(job)
    entry = {
        "Source": SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "Resources": resources,
        "Time": now.timestamp(),
    }
    for account, region in _event_homes(job):
        _send(account, region, entry)


def _event_homes(job: BackupJob | CopyJob) -> list[tuple[str, str]]:
    """The (account, Region) whose default bus gets the job's events: the job's own, and for a
    cross-Region copy what ``cross_region_copy_events`` says (AWS does not document it)."""
    source = (job.account, job.region)
    if not isinstance(job, CopyJob):
        return [source]
    destination = arns.parse(job.destination_vault_arn)
    target = (destination.account, destination.region)
    choice = control().config.cross_region_copy_events
    if target == source or choice == "source":
        return [source]
    return [target] if choice == "destination" else [source, target]


def _send(account: str, region: str, entry: dict[str, Any]) -> None:
    state = control()
    faults, roll = state.faults, state.fault_rolls
    if faults.drop_event_rate and roll.random() < faults.drop_event_rate:
        state.event_log.append({"fate": "dropped", **entry})
        return
    copies = 2 if faults.duplicate_event_rate and roll.random() < faults.duplicate_event_rate else 1
    for _ in range(copies):
        if faults.reorder_events:
            state.held_events.append((account, region, entry))
            state.event_log.append({"fate": "held", **entry})
        else:
            _deliver(account, region, entry)


def _deliver(account: str, region: str, entry: dict[str, Any]) -> None:
    try:
        events_backends[account][region].put_events([entry])
    except NotImplementedError as error:
        # A rule with a target moto cannot deliver to (a Lambda function): AWS would deliver.
        control().event_log.append({"fate": f"undeliverable: {error}", **entry})
        return
    control().event_log.append({"fate": "delivered", **entry})


def flush_held_events() -> int:
    """Deliver held events in a shuffled (seeded) order; return how many."""
    state = control()
    held, state.held_events = state.held_events, []
    state.fault_rolls.shuffle(held)
    for account, region, entry in held:
        _deliver(account, region, entry)
    return len(held)
