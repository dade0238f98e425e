"""A backup job in a source vault that ended without a recovery point: FAILED, EXPIRED, ABORTED.

The orchestrator copies what AWS Backup writes; a backup that never happened leaves nothing to
copy and nothing for the reconciler to find, so it is reported by its own event. Shape of
"Backup Job State Change" (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html):
the job, vault, resource and role in ``detail``, ``resources`` empty until COMPLETED, the reason
in ``statusMessage`` (wrapped in quotes in the documented samples), ``createdBy`` for plan jobs.
States (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupJob.html): EXPIRED is a
job that did not start (or finish) within its plan rule's windows; AWS Backup runs one backup or
copy job per resource at a time (aws-backup-limits.html), so an hourly backup can expire while
a copy of the previous one holds the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.copying.recovery_point_events import BACKUP_JOB_DETAIL_TYPE
from core.kernel import event_fields as fields
from core.kernel.alerts import console_link, fit_subject
from core.kernel.arns import vault_name_from_arn
from core.kernel.errors import InvalidEventError

PROBLEM_STATES = ("FAILED", "EXPIRED", "ABORTED")
ALERT_KIND = "backup-job-problem"  # the AlertKind message attribute

_WHAT_TO_DO = {
    "FAILED": (
        "Fix the cause above (the backup role's permissions, the key policy of the resource's "
        "or the vault's key, the resource's state), then start an on-demand backup if the next "
        "scheduled one is too far away. Nothing was written, so there is nothing to copy."
    ),
    "EXPIRED": (
        "The job did not start within its start window. AWS Backup runs one backup or copy job "
        "per resource at a time: a copy of the previous backup (every hour for the hourly rule) "
        "or another job may have held the resource. If it repeats, widen the start window "
        "(BackupStartWindowMinutes) or back this resource up less often."
    ),
    "ABORTED": (
        "The job was stopped before it finished (StopBackupJob, or the resource went away). "
        "If nobody meant to stop it, find out who did in CloudTrail, then start an on-demand "
        "backup."
    ),
}


@dataclass(frozen=True, slots=True)
class BackupJobProblem:
    job_id: str
    state: str  # FAILED, EXPIRED or ABORTED
    region: str
    vault_name: str
    resource_arn: str
    resource_type: str
    status_message: str | None
    backup_plan_id: str | None
    creation_date: str | None


def is_backup_job_event(raw: object) -> bool:
    return isinstance(raw, Mapping) and raw.get("detail-type") == BACKUP_JOB_DETAIL_TYPE


def parse_backup_job_problem(raw: object) -> BackupJobProblem:
    """One "Backup Job State Change" in a problem state; ``InvalidEventError`` otherwise."""
    event = fields.mapping(raw, "event")
    if event.get("source") != "aws.backup" or event.get("detail-type") != BACKUP_JOB_DETAIL_TYPE:
        raise InvalidEventError(f"expected an aws.backup {BACKUP_JOB_DETAIL_TYPE!r} event")
    detail = fields.mapping(event.get("detail"), "detail")
    state = fields.text(detail, "state")
    if state not in PROBLEM_STATES:
        raise InvalidEventError(f"state {state!r} is not one of {list(PROBLEM_STATES)}")
    vault_name = fields.text(detail, "backupVaultName")
    arn_name = vault_name_from_arn(
        fields.text(detail, "backupVaultArn"), field="detail.backupVaultArn"
    )
    if arn_name != vault_name:
        raise InvalidEventError("detail.backupVaultName does not match detail.backupVaultArn")
    return BackupJobProblem(
        job_id=fields.text(detail, "backupJobId"),
        state=state,
        region=fields.text(event, "region"),
        vault_name=vault_name,
        resource_arn=fields.text(detail, "resourceArn"),
        resource_type=fields.text(detail, "resourceType"),
        status_message=_status_message(detail),
        backup_plan_id=fields.plan_id(detail.get("createdBy")),
        creation_date=fields.optional_text(detail, "creationDate"),
    )


def problem_subject(problem: BackupJobProblem) -> str:
    return fit_subject(
        f"AWS Backup job {problem.state}: {problem.resource_type} in {problem.vault_name} "
        "- no recovery point"
    )


def problem_message(problem: BackupJobProblem) -> str:
    return "\n".join(
        [
            f"Problem: backup job {problem.state}; no recovery point was written",
            f"Reason: {problem.status_message or 'AWS Backup gave none'}",
            f"Backup job: {problem.job_id} (created {problem.creation_date or 'unknown'})",
            f"Resource: {problem.resource_arn} ({problem.resource_type})",
            f"Vault: {problem.vault_name}",
            f"Backup plan: {problem.backup_plan_id or 'none (an on-demand job)'}",
            f"Vault in the console: {console_link(problem.region, problem.vault_name)}",
            f"Job: aws backup describe-backup-job --backup-job-id {problem.job_id} "
            f"--region {problem.region}",
            "",
            _WHAT_TO_DO[problem.state],
        ]
    )


def _status_message(detail: Mapping[str, Any]) -> str | None:
    message = fields.optional_text(detail, "statusMessage")
    if message is None:
        return None
    return message.strip().strip('"').strip() or None
