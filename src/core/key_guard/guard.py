"""The key guard: a key that encrypts backups is scheduled for deletion, disabled, re-policied,
loses its imported key material, or has a grant revoked or retired by someone other than AWS.

0. A grant an AWS service removed itself is routine (``KeyEvent.routine``): nothing to do.
   A call on the alert topic's own key is reported through the fallback topic
   (``core.key_guard.alert_path``).

1. Which source vaults depend on the key: the vault's own key (DescribeBackupVault, once per
   container: no API changes a vault's key) and, for types AWS Backup does not fully manage
   (EBS, RDS, …, encrypted with their resource's key), the keys the last complete reconcile pass
   saw on recovery points.
2. A read-only look at the recovery points under that key in those vaults (the whole vault, not
   only the look-back window), then one high-severity alert naming the vaults and the points still
   not protected; the alert goes out even when the time runs out before the scan ends.
3. A reconcile of exactly those points, at once, until the function's own deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.kernel.config import Settings
from core.kernel.errors import OrchestratorError, PermanentError
from core.kernel.recovery_points import ListedRecoveryPoint
from core.key_guard.alert_path import AlertPathSettings
from core.key_guard.alerts import AlertPathRisk, KeyRiskAlert
from core.key_guard.kms_events import KeyEvent, KeyRef
from core.reconcile.coverage import Coverage, Finding
from core.reconcile.examine import Mode
from core.reconcile.ports import (
    AlertPathRiskPort,
    CursorReaderPort,
    KeyRiskAlertPort,
    VaultKeyPort,
)
from core.reconcile.reconciler import (
    RUN_WIDE_PROBLEMS,
    Reconciler,
    RunOutcome,
    RunReport,
    RunRequest,
)

ALERT_LIST_LIMIT = 50  # recovery points named in the message; the counts cover all of them


class GuardOutcomeKind(StrEnum):
    ALERTED = "alerted"
    NOT_IN_USE = "not-in-use"  # the key encrypts nothing in the source vaults
    ROUTINE = "routine"  # an AWS service retired or revoked its own grant after its job
    ALERT_PATH_AT_RISK = "alert-path-at-risk"  # the alert topic's own key: told via the fallback


@dataclass(frozen=True)
class GuardOutcome:
    kind: GuardOutcomeKind
    vaults: tuple[str, ...] = ()
    survey: RunReport | None = None
    heal: RunReport | None = None
    error: str | None = None  # why the survey or the heal stopped early


@dataclass
class KeyGuard:
    settings: Settings
    vault_keys: VaultKeyPort
    reconciler: Reconciler
    alerts: KeyRiskAlertPort
    clock: Callable[[], datetime]
    cursors: CursorReaderPort | None = None  # where the last pass's key usage is kept
    alert_path: AlertPathSettings = field(default_factory=AlertPathSettings)
    fallback: AlertPathRiskPort | None = None  # the topic under aws/sns
    _vault_keys: dict[str, KeyRef | None] = field(default_factory=dict)

    def guard(self, event: KeyEvent, deadline: datetime | None) -> GuardOutcome:
        if event.routine:
            return GuardOutcome(GuardOutcomeKind.ROUTINE)
        if self.alert_path.is_alert_key(event.key) and self.fallback is not None:
            # The alert topic may be unusable: say so through the topic that does not need it.
            self.fallback.publish_alert_path_risk(
                AlertPathRisk(event, alert_topic_arn=self.settings.alert_topic_arn)
            )
            return GuardOutcome(GuardOutcomeKind.ALERT_PATH_AT_RISK)
        keyed, used = self._vaults_keyed_by(event.key), self._vaults_using(event.key)
        vaults = tuple(sorted(set(keyed) | set(used)))
        if not vaults:
            return GuardOutcome(GuardOutcomeKind.NOT_IN_USE)
        at_risk = _AtRisk(event.key, frozenset(keyed))
        survey, unprotected, survey_error = self._survey(vaults, at_risk, deadline)
        self.alerts.publish_key_risk(
            KeyRiskAlert(
                event=event,
                region=self.settings.region,
                vaults=vaults,
                coverage=survey.coverage if survey else Coverage(),
                unprotected=tuple(unprotected),
                scan_complete=survey is not None and survey.outcome is RunOutcome.COMPLETE,
                scan_error=survey_error,
            )
        )
        try:
            heal = self.reconciler.run(self._request(Mode.HEAL, deadline, vaults, at_risk))
        except OrchestratorError as error:
            # The alert is out; the scheduled reconciler copies the rest (in its look-back window).
            return GuardOutcome(GuardOutcomeKind.ALERTED, vaults, survey, None, error.message)
        return GuardOutcome(GuardOutcomeKind.ALERTED, vaults, survey, heal, survey_error)

    def _survey(
        self, vaults: tuple[str, ...], at_risk: _AtRisk, deadline: datetime | None
    ) -> tuple[RunReport | None, list[Finding], str | None]:
        """Read-only: where the points under the key stand. An error must not stop the alert."""
        unprotected: list[Finding] = []
        try:
            survey = self.reconciler.run(
                self._request(Mode.STATUS, self._halfway(deadline), vaults, at_risk),
                observe=lambda finding: _collect(unprotected, finding),
            )
        except OrchestratorError as error:
            return None, unprotected, error.message
        return survey, unprotected, None

    def _vaults_keyed_by(self, key: KeyRef) -> list[str]:
        return [v for v in sorted(self.settings.source_vault_names) if self._vault_key(v) == key]

    def _vaults_using(self, key: KeyRef) -> list[str]:
        saved = self.cursors.load() if self.cursors else None
        if saved is None:
            return []
        usage = saved.last_key_usage
        vaults = {v for arn, names in usage.items() if KeyRef.from_arn(arn) == key for v in names}
        return sorted(vaults & self.settings.source_vault_names)

    def _vault_key(self, vault_name: str) -> KeyRef | None:
        if vault_name in self._vault_keys:
            return self._vault_keys[vault_name]
        try:
            arn = self.vault_keys.encryption_key_arn(vault_name)
        except PermanentError as error:
            if error.reason in RUN_WIDE_PROBLEMS - {"ResourceNotFoundException"}:
                raise
            return None  # a source vault that does not exist (yet) holds nothing at risk
        self._vault_keys[vault_name] = KeyRef.from_arn(arn) if arn else None
        return self._vault_keys[vault_name]

    def _halfway(self, deadline: datetime | None) -> datetime | None:
        if deadline is None:
            return None
        now = self.clock()
        return now + (deadline - now) / 2

    @staticmethod
    def _request(
        mode: Mode, deadline: datetime | None, vaults: tuple[str, ...], at_risk: _AtRisk
    ) -> RunRequest:
        return RunRequest(mode, deadline, vaults, look_back_days=None, point_filter=at_risk)


@dataclass(frozen=True)
class _AtRisk:
    """A recovery point under the key: by its own key, or by its vault's when it names none."""

    key: KeyRef
    keyed_vaults: frozenset[str]

    def __call__(self, point: ListedRecoveryPoint) -> bool:
        if point.encryption_key_arn:
            return KeyRef.from_arn(point.encryption_key_arn) == self.key
        return point.vault_name in self.keyed_vaults


def _collect(unprotected: list[Finding], finding: Finding) -> None:
    if len(unprotected) >= ALERT_LIST_LIMIT:
        return
    if finding.standing.lacks_protection:
        unprotected.append(finding)
