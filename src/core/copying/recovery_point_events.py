"""Parse AWS Backup EventBridge events into ``RecoveryPointEvent``.

Shapes: https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html
- "Backup Job State Change": the recovery point ARN is ``resources[0]``; ``backupSizeInBytes`` is a
  string; ``createdBy`` is absent for on-demand jobs.
- "Copy Job State Change": ``resources[0]`` is the *source* recovery point; the new one is
  ``destinationRecoveryPointArn``, an empty object until the job completes. The event's account
  and Region are those of the destination vault (where the recovery point to protect is).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.kernel import event_fields as fields
from core.kernel.arns import parse_arn, vault_name_from_arn
from core.kernel.errors import InvalidEventError
from core.kernel.models import Origin, RecoveryPointEvent

BACKUP_JOB_DETAIL_TYPE = "Backup Job State Change"
COPY_JOB_DETAIL_TYPE = "Copy Job State Change"


def decode_body(body: str) -> object:
    """The JSON document an SQS message body carries; ``InvalidEventError`` when it is not JSON."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise InvalidEventError(f"body is not JSON: {error.msg} at {error.pos}") from error


def parse_recovery_point_event(raw: object) -> RecoveryPointEvent:
    """Parse one EventBridge event; raise ``InvalidEventError`` naming the first problem."""
    event = fields.mapping(raw, "event")
    if event.get("source") != "aws.backup":
        raise InvalidEventError(f"source is {event.get('source')!r}, expected 'aws.backup'")
    detail_type = event.get("detail-type")
    detail = fields.mapping(event.get("detail"), "detail")
    if detail_type == BACKUP_JOB_DETAIL_TYPE:
        return _backup_job_event(event, detail)
    if detail_type == COPY_JOB_DETAIL_TYPE:
        return _copy_job_event(event, detail)
    raise InvalidEventError(f"detail-type {detail_type!r} is not a backup or copy job state change")


def _backup_job_event(event: Mapping[str, Any], detail: Mapping[str, Any]) -> RecoveryPointEvent:
    vault_arn = fields.text(detail, "backupVaultArn")
    vault_name = fields.text(detail, "backupVaultName")
    if vault_name_from_arn(vault_arn, field="detail.backupVaultArn") != vault_name:
        raise InvalidEventError("detail.backupVaultName does not match detail.backupVaultArn")
    recovery_point = _first_resource(event) or fields.optional_text(detail, "recoveryPointArn")
    created_by = detail.get("createdBy")
    return RecoveryPointEvent(
        origin=Origin.BACKUP_JOB,
        job_id=fields.text(detail, "backupJobId"),
        state=fields.text(detail, "state"),
        account=fields.account(event),
        region=fields.text(event, "region"),
        vault_name=vault_name,
        vault_arn=vault_arn,
        resource_arn=_arn_text(detail, "resourceArn"),
        resource_type=fields.text(detail, "resourceType"),
        recovery_point_arn=recovery_point,
        backup_plan_id=fields.plan_id(created_by),
        parent_job_id=fields.optional_text(detail, "parentJobId"),
        creation_date=fields.optional_timestamp(detail, "creationDate"),
        size_in_bytes=_optional_size(detail, "backupSizeInBytes"),
    )


def _copy_job_event(event: Mapping[str, Any], detail: Mapping[str, Any]) -> RecoveryPointEvent:
    vault_arn = fields.text(detail, "destinationBackupVaultArn")
    vault = parse_arn(vault_arn, field="detail.destinationBackupVaultArn")
    fields.account(event), fields.text(event, "region")  # the envelope is checked all the same
    destination = detail.get("destinationRecoveryPointArn")
    recovery_point = destination if isinstance(destination, str) and destination else None
    if recovery_point is not None:
        parse_arn(recovery_point, field="detail.destinationRecoveryPointArn")
    elif detail.get("state") == "COMPLETED":
        raise InvalidEventError("a COMPLETED copy job must name its destinationRecoveryPointArn")
    return RecoveryPointEvent(
        origin=Origin.COPY_JOB,
        job_id=fields.text(detail, "copyJobId"),
        state=fields.text(detail, "state"),
        # Where the copy landed, from its vault's ARN, not from the envelope: a cross-Region
        # copy's event may reach this Region's bus forwarded from the source Region's (the
        # primary stack's DrCopyEventsForwardingRule), and an event's `region` is "the AWS
        # Region where the event originated" (eb-events-structure.html). Whether forwarding
        # keeps it is not stated by AWS; the vault's ARN is right either way.
        account=vault.account,
        region=vault.region,
        vault_name=vault_name_from_arn(vault_arn, field="detail.destinationBackupVaultArn"),
        vault_arn=vault_arn,
        resource_arn=_arn_text(detail, "resourceArn"),
        resource_type=fields.text(detail, "resourceType"),
        recovery_point_arn=recovery_point,
        backup_plan_id=fields.plan_id(detail.get("createdBy")),
        parent_job_id=fields.optional_text(detail, "parentJobId"),
        creation_date=fields.optional_timestamp(detail, "creationDate"),
        size_in_bytes=_optional_size(detail, "backupSizeInBytes"),
    )


def _arn_text(container: Mapping[str, Any], key: str) -> str:
    value = fields.text(container, key)
    parse_arn(value, field=key)
    return value


def _first_resource(event: Mapping[str, Any]) -> str | None:
    resources = event.get("resources", [])
    if not isinstance(resources, list):
        raise InvalidEventError("resources is not a list")
    if not resources:
        return None
    parse_arn(resources[0], field="resources[0]")
    return str(resources[0])


def _optional_size(container: Mapping[str, Any], key: str) -> int | None:
    """Backup job events carry the size as a string, copy job events as a number."""
    value = container.get(key)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    # str.isdigit() also accepts digits such as "²" that int() refuses, and int() refuses
    # strings longer than sys.get_int_max_str_digits(): neither may escape as a ValueError.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        try:
            return int(value)
        except ValueError:
            pass
    raise InvalidEventError(f"{key} is not a byte count: {value!r:.80}")
