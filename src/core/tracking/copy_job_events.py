"""Parse the "Copy Job State Change" events of tracked copies into ``CopyJobUpdate``.

Shapes: https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html ("Copy Job events"):
- ``resources[0]`` is the *source* recovery point, in every state;
- the CREATED sample carries only ``creationDate``, ``state`` and the two vault ARNs (no
  ``copyJobId``, no resource);
- ``destinationRecoveryPointArn`` is an empty object ``{}`` until the job completes;
- ``backupSizeInBytes`` is a number; ``createdBy`` only for copies a backup plan made;
- FAILED carries ``statusMessage``; backup job samples wrap it in quotes, so quotes are stripped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.copying.recovery_point_events import COPY_JOB_DETAIL_TYPE
from core.kernel import event_fields as fields
from core.kernel.arns import parse_arn, vault_name_from_arn
from core.kernel.copy_jobs import CopyJobState, CopyJobUpdate
from core.kernel.errors import InvalidEventError

_STATES = {state.value: state for state in CopyJobState}


def parse_copy_job_update(raw: object) -> CopyJobUpdate:
    """Parse one EventBridge event; raise ``InvalidEventError`` naming the first problem."""
    event = fields.mapping(raw, "event")
    if event.get("source") != "aws.backup" or event.get("detail-type") != COPY_JOB_DETAIL_TYPE:
        raise InvalidEventError(
            f"expected an aws.backup {COPY_JOB_DETAIL_TYPE!r} event, got "
            f"{event.get('source')!r} / {event.get('detail-type')!r}"
        )
    detail = fields.mapping(event.get("detail"), "detail")
    state = _state(detail)
    return CopyJobUpdate(
        copy_job_id=_copy_job_id(detail, state),
        state=state,
        account=fields.account(event),
        region=fields.text(event, "region"),
        source_recovery_point_arn=_source_recovery_point(event),
        source_vault_arn=_vault_arn(detail, "sourceBackupVaultArn"),
        destination_vault_arn=_vault_arn(detail, "destinationBackupVaultArn"),
        destination_recovery_point_arn=_destination_recovery_point(detail, state),
        status_message=_status_message(detail),
        resource_type=fields.optional_text(detail, "resourceType"),
        resource_arn=fields.optional_text(detail, "resourceArn"),
        backup_plan_id=fields.plan_id(detail.get("createdBy")),
    )


def _state(detail: Mapping[str, Any]) -> CopyJobState:
    value = fields.text(detail, "state")
    if value not in _STATES:
        raise InvalidEventError(f"state {value!r} is not a copy job state")
    return _STATES[value]


def _copy_job_id(detail: Mapping[str, Any], state: CopyJobState) -> str | None:
    if state is CopyJobState.CREATED:
        return fields.optional_text(detail, "copyJobId")
    return fields.text(detail, "copyJobId")


def _source_recovery_point(event: Mapping[str, Any]) -> str:
    resources = event.get("resources")
    if not isinstance(resources, list) or not resources:
        raise InvalidEventError("resources must name the source recovery point")
    parse_arn(resources[0], field="resources[0]")
    return str(resources[0])


def _vault_arn(detail: Mapping[str, Any], key: str) -> str:
    value = fields.text(detail, key)
    vault_name_from_arn(value, field=f"detail.{key}")
    return value


def _destination_recovery_point(detail: Mapping[str, Any], state: CopyJobState) -> str | None:
    value = detail.get("destinationRecoveryPointArn")
    if isinstance(value, str) and value:
        parse_arn(value, field="detail.destinationRecoveryPointArn")
        return value
    if value not in (None, {}, ""):
        raise InvalidEventError(
            f"destinationRecoveryPointArn is neither an ARN nor {{}}: {value!r}"
        )
    if state is CopyJobState.COMPLETED:
        raise InvalidEventError("a COMPLETED copy job must name its destinationRecoveryPointArn")
    return None


def _status_message(detail: Mapping[str, Any]) -> str | None:
    message = fields.optional_text(detail, "statusMessage")
    if message is None:
        return None
    return message.strip().strip('"').strip() or None
