"""Alerts for actionable problems: one message per problem, rendered for an SNS topic (e-mail).

SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less
than 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); the
subject is kept printable ASCII so every e-mail client shows it as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.kernel.arns import parse_arn
from core.kernel.ledger_states import LedgerEntry

SUBJECT_MAX_CHARS = 99
_CONSOLE = (
    "https://console.aws.amazon.com/backup/home?region={region}#/backupvaults/details/{vault}"
)


class AlertKind(StrEnum):
    COPY_FAILED = "copy-failed"
    KEY_DEPENDENT = "key-dependent"
    STUCK = "stuck"


_HEADLINES = {
    AlertKind.COPY_FAILED: "copy failed",
    AlertKind.KEY_DEPENDENT: "copy still depends on a customer key",
    AlertKind.STUCK: "copy job stuck",
}
_ADVICE = {
    AlertKind.COPY_FAILED: (
        "The orchestrator will not retry this copy by itself. Fix the cause above, then run "
        "`copyctl reconcile --retry-failed` (with --dry-run first to list what it would start): "
        "it starts one new attempt of each failed copy."
    ),
    AlertKind.KEY_DEPENDENT: (
        "AWS reports the copy as completed, but it is encrypted with a key your account can "
        "delete: deleting that key destroys this copy too. Check the destination vault's key."
    ),
    AlertKind.STUCK: (
        "The copy job has not finished within the configured age. Check it in the AWS Backup "
        "console; AWS keeps a copy job in CREATED for up to 2 hours while it retries."
    ),
}


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    region: str
    recovery_point_arn: str
    destination_vault_arn: str
    reason: str
    detail: str
    resource_arn: str | None = None
    resource_type: str | None = None
    source_vault_name: str | None = None
    copy_job_id: str | None = None
    destination_key_arn: str | None = None
    attempts: int = 0
    since: datetime | None = None


def alert_for_entry(entry: LedgerEntry, kind: AlertKind, region: str) -> Alert:
    return Alert(
        kind=kind,
        region=region,
        recovery_point_arn=entry.recovery_point_arn,
        destination_vault_arn=entry.destination_vault_arn,
        reason=entry.reason,
        detail=entry.explanation or entry.reason,
        resource_arn=entry.resource_arn,
        resource_type=entry.resource_type,
        source_vault_name=entry.source_vault_name,
        copy_job_id=entry.copy_job_id,
        destination_key_arn=entry.destination_key_arn,
        attempts=entry.attempts,
        since=entry.updated_at,
    )


def subject(alert: Alert) -> str:
    text = (
        f"AWS Backup {_HEADLINES[alert.kind]}: {alert.resource_type or 'recovery point'} "
        f"to {_vault_name(alert.destination_vault_arn)} ({alert.reason})"
    )
    return fit_subject(text)


def fit_subject(text: str) -> str:
    """SNS subjects are printable ASCII, fewer than 100 characters (API_Publish.html)."""
    printable = "".join(c if " " <= c <= "~" else "?" for c in text)
    if len(printable) <= SUBJECT_MAX_CHARS:
        return printable
    return printable[: SUBJECT_MAX_CHARS - 3] + "..."


def message(alert: Alert) -> str:
    destination = _vault_name(alert.destination_vault_arn)
    lines = [
        f"Problem: {_HEADLINES[alert.kind]} ({alert.reason})",
        f"Detail: {alert.detail}",
        f"Recovery point: {alert.recovery_point_arn}",
        f"Resource: {alert.resource_arn or 'unknown'} ({alert.resource_type or 'unknown type'})",
        f"Source vault: {alert.source_vault_name or 'unknown'}",
        f"Destination vault: {alert.destination_vault_arn}",
        f"Copy job: {alert.copy_job_id or 'none recorded'} (attempts: {alert.attempts})",
    ]
    if alert.destination_key_arn:
        lines.append(f"Destination key: {alert.destination_key_arn}")
    if alert.since is not None:
        lines.append(f"In this state since: {alert.since.isoformat()}")
    lines.append(f"Destination vault in the console: {console_link(alert.region, destination)}")
    if alert.source_vault_name:
        source_link = console_link(alert.region, alert.source_vault_name)
        lines.append(f"Source vault in the console: {source_link}")
    lines += ["", _ADVICE[alert.kind]]
    return "\n".join(lines)


def console_link(region: str, vault_name: str) -> str:
    return _CONSOLE.format(region=region, vault=vault_name)


def _vault_name(vault_arn: str) -> str:
    return parse_arn(vault_arn, field="vault").resource_id
