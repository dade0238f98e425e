"""The high-severity alert of the key guard: a key that encrypts backups is being taken away.

Rendered for the same SNS topic (e-mail) as ``core.kernel.alerts``, with the same subject rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.kernel.alerts import console_link, fit_subject
from core.key_guard.kms_events import KeyEvent
from core.reconcile.coverage import Coverage, Finding, Standing

KEY_AT_RISK = "key-at-risk"  # the AlertKind message attribute
SEVERITY = "high"

_WHAT_TO_DO = {
    "ScheduleKeyDeletion": (
        "If this deletion was not planned, cancel it now (KMS CancelKeyDeletion) while the "
        "waiting period runs: once the key is deleted, the recovery points above are lost."
    ),
    "DisableKey": (
        "If this was not planned, enable the key again (KMS EnableKey): while it is disabled, "
        "AWS Backup cannot copy or restore the recovery points above."
    ),
    "PutKeyPolicy": (
        "Check the new key policy: if it no longer lets AWS Backup use the key, the recovery "
        "points above can be neither copied nor restored."
    ),
    "DeleteImportedKeyMaterial": (
        "Import the same key material again (KMS ImportKeyMaterial) if you still have it: until "
        "then the key is unusable, and without that material the recovery points above are lost."
    ),
    "RevokeGrant": (
        "Check which grant was revoked (KMS ListGrants on the key): if it was AWS Backup's, its "
        "copies and restores of the recovery points above fail until the role's access is back."
    ),
    "RetireGrant": (
        "Check which grant was retired (KMS ListGrants on the key): if it was AWS Backup's, its "
        "copies and restores of the recovery points above fail until the role's access is back."
    ),
}


@dataclass(frozen=True, slots=True)
class KeyRiskAlert:
    event: KeyEvent
    region: str
    vaults: tuple[str, ...]  # the source vaults whose recovery points depend on the key
    coverage: Coverage  # of the recovery points under the key
    unprotected: tuple[Finding, ...]  # the first of them, for the message
    scan_complete: bool  # False: time ran out (or an error) before every vault was read
    scan_error: str | None = None

    @property
    def unprotected_count(self) -> int:
        totals = self.coverage.totals()
        return sum(n for s, n in totals.items() if s.lacks_protection)


def key_risk_subject(alert: KeyRiskAlert) -> str:
    text = (
        f"[HIGH] KMS {alert.event.event_name} on a key that encrypts backups: "
        f"{alert.unprotected_count} recovery points not protected"
    )
    return fit_subject(text)


def key_risk_message(alert: KeyRiskAlert) -> str:
    lines = [
        *_what_happened(alert.event),
        *_what_is_at_risk(alert),
        *_unprotected_lines(alert),
        "",
        "The orchestrator is copying every recovery point it can, now; copies in flight are "
        "tracked as usual, and `copyctl status` shows where each one stands.",
        _WHAT_TO_DO[alert.event.event_name],
        "",
        *(f"Vault {v} in the console: {console_link(alert.region, v)}" for v in alert.vaults),
    ]
    return "\n".join(lines)


def _what_happened(event: KeyEvent) -> list[str]:
    lines = [
        f"Severity: {SEVERITY.upper()}",
        f"What happened: {event.event_name} on {event.key_arn}",
        f"By: {event.actor} at {event.event_time.isoformat()}",
    ]
    if event.grant_id is not None:
        lines.append(f"Grant: {event.grant_id}")
    if event.pending_window_days is not None:
        lines.append(f"Deletion waiting period: {event.pending_window_days} days")
    if event.error_code:
        lines.append(
            f"The call failed ({event.error_code}): the key is unchanged, but it was tried."
        )
    return lines


def _what_is_at_risk(alert: KeyRiskAlert) -> list[str]:
    totals = alert.coverage.totals()
    lines = [
        f"Source vaults whose recovery points depend on this key: {', '.join(alert.vaults)}",
        f"Recovery points under this key: {alert.coverage.in_scope}; protected by a "
        f"key-independent copy: {totals[Standing.PROTECTED]}; not protected: "
        f"{alert.unprotected_count} (of which unprotectable: {totals[Standing.UNPROTECTABLE]})",
    ]
    if alert.scan_error:
        lines.append(f"The scan failed ({alert.scan_error}): the counts above are incomplete.")
    elif not alert.scan_complete:
        lines.append("The scan ran out of time: there may be more recovery points under this key.")
    return lines


def _unprotected_lines(alert: KeyRiskAlert) -> list[str]:
    if not alert.unprotected:
        return []
    shown = len(alert.unprotected)
    partial = shown < alert.unprotected_count
    lines = ["", f"Not protected (the first {shown}):" if partial else "Not protected:"]
    for finding in alert.unprotected:
        point = finding.point
        lines.append(
            f"- {point.arn} ({point.vault_name}, {point.resource_type}, "
            f"{finding.standing.value}: {finding.reason})"
        )
    return lines


# --- The alert path's own key ---------------------------------------------------------------

ALERT_PATH_AT_RISK = "alert-path-at-risk"  # the AlertKind message attribute

_ALERT_PATH_TO_DO = {
    "ScheduleKeyDeletion": "If this deletion was not planned, cancel it (KMS CancelKeyDeletion) "
    "and enable the key again (KMS EnableKey): a cancelled deletion leaves the key disabled.",
    "DisableKey": "If this was not planned, enable the key again (KMS EnableKey).",
    "PutKeyPolicy": "Check the new key policy: SNS (for the account's principals) and "
    "cloudwatch.amazonaws.com must still be allowed kms:GenerateDataKey* and kms:Decrypt.",
    "DeleteImportedKeyMaterial": "Import the key material again (KMS ImportKeyMaterial).",
    "RevokeGrant": "Check which grant was revoked (KMS ListGrants on the key).",
    "RetireGrant": "Check which grant was retired (KMS ListGrants on the key).",
}


@dataclass(frozen=True, slots=True)
class AlertPathRisk:
    """A call on the alert topic's own key: every alert and alarm may stop arriving."""

    event: KeyEvent
    alert_topic_arn: str


def alert_path_subject(risk: AlertPathRisk) -> str:
    return fit_subject(
        f"[HIGH] KMS {risk.event.event_name} on the backup alert topic's key: "
        "alarms and alerts may be lost"
    )


def alert_path_message(risk: AlertPathRisk) -> str:
    return "\n".join(
        [
            *_what_happened(risk.event),
            "",
            f"Every alert of the backup copy orchestrator and every one of its CloudWatch alarms "
            f"goes to {risk.alert_topic_arn}, encrypted with this key. While the key cannot be "
            "used, SNS cannot accept those messages: no alarm reaches you, whatever happens to "
            "the backups or their keys.",
            _ALERT_PATH_TO_DO[risk.event.event_name],
            "",
            "This message comes through the fallback alert topic, encrypted with the AWS managed "
            "key aws/sns, which nobody in the account can disable or delete. Until the alert "
            "topic's key is usable again, watch this topic and the copy status dashboard.",
        ]
    )
