"""Wiring of the reconciler and the key guard: built once per container, or per ``copyctl`` call.

Free of Powertools, so ``copyctl`` builds the same reconciler with its own clients.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from adapters import clients
from adapters.alerts import SnsAlerts
from adapters.backup import BackupGateway
from adapters.clock import utc_now
from adapters.kms import KmsKeys
from adapters.ledger import DynamoLedger
from adapters.ledger_lookup import DynamoLedgerLookup
from adapters.reconcile_cursor import DynamoCursorStore
from adapters.recovery_points import BackupVaultKeys, RecoveryPointLister
from adapters.sessions import AwsClients
from core.copying.copy_service import RecoveryPointCopier
from core.kernel.config import Settings, load_settings
from core.kernel.errors import ConfigError
from core.key_guard.alert_path import load_alert_path_settings
from core.key_guard.guard import KeyGuard
from core.operator_retry.retry_failed import FailedCopyRetrier
from core.reconcile.examine import RecoveryPointExaminer
from core.reconcile.reconciler import Reconciler, SavedPass
from core.reconcile.settings import ReconcileSettings, load_reconcile_settings
from core.tracking.key_verification import KeyVerifier
from core.tracking.stuck_copies import StuckCopyReporter
from core.tracking.tracking_service import TrackingService

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ReconcileDependencies:
    settings: Settings
    options: ReconcileSettings
    reconciler: Reconciler
    stuck: StuckCopyReporter
    clock: Clock


@dataclass(frozen=True)
class KeyGuardDependencies:
    settings: Settings
    key_guard: KeyGuard
    clock: Clock


def build_reconciler(
    settings: Settings,
    options: ReconcileSettings,
    aws: AwsClients,
    clock: Clock,
    *,
    heal: bool,
    saved_pass: SavedPass | None = None,
    retry_failed: bool = False,
) -> Reconciler:
    """The reconciler; ``heal=False`` builds one that can only read and decide (no tracking).

    ``saved_pass``: the scheduled reconciler's cursor; ``retry_failed``: failed copies are
    attempted again (copyctl reconcile --retry-failed; only planned without ``heal``).
    """
    require(settings, heal=heal)
    backup = BackupGateway(aws.backup)
    ledger = DynamoLedger(aws.dynamodb, settings.ledger_table_name, clock=clock)
    copies = RecoveryPointCopier(settings, backup, ledger, keys=KmsKeys(aws.kms))
    tracking = (
        TrackingService(
            settings=settings,
            backup=backup,
            ledger=ledger,
            copies=copies,
            keys=KeyVerifier(backup=backup, keys=KmsKeys(aws.kms, aws.kms_in)),
            alerts=SnsAlerts(aws.sns, settings.alert_topic_arn),
        )
        if heal
        else None
    )
    examiner = RecoveryPointExaminer(
        settings=settings,
        ledger=DynamoLedgerLookup(aws.dynamodb, settings.ledger_table_name),
        copies=copies,
        jobs=backup if heal else None,
        tracking=tracking,
        retries=FailedCopyRetrier(settings, copies, ledger) if retry_failed else None,
    )
    return Reconciler(
        settings=settings,
        listing=RecoveryPointLister(aws.backup),
        examiner=examiner,
        clock=clock,
        saved_pass=saved_pass,
        page_size=options.page_size,
    )


def build_reconcile_dependencies(
    env: Mapping[str, str], aws: AwsClients, clock: Clock
) -> ReconcileDependencies:
    """The scheduled reconciler: it alone saves its pass."""
    settings, options = load_settings(env), load_reconcile_settings(env)
    cursors = DynamoCursorStore(aws.dynamodb, settings.ledger_table_name)
    saved_pass = SavedPass(load=cursors.load, save=cursors.save)
    reconciler = build_reconciler(settings, options, aws, clock, heal=True, saved_pass=saved_pass)
    ledger = DynamoLedger(aws.dynamodb, settings.ledger_table_name, clock=clock)
    alerts = SnsAlerts(aws.sns, settings.alert_topic_arn)
    stuck = StuckCopyReporter(settings=settings, ledger=ledger, alerts=alerts, clock=clock)
    return ReconcileDependencies(settings, options, reconciler, stuck, clock)


def build_key_guard_dependencies(
    env: Mapping[str, str], aws: AwsClients, clock: Clock
) -> KeyGuardDependencies:
    """The key guard: its reconciler never resumes a pass; it only reads the last one's key use.

    Its alerts fall back to the topic under aws/sns when the alert topic's key refuses them.
    """
    settings, options = load_settings(env), load_reconcile_settings(env)
    alert_path = load_alert_path_settings(env)
    alerts = SnsAlerts(aws.sns, settings.alert_topic_arn, alert_path.fallback_topic_arn)
    key_guard = KeyGuard(
        settings=settings,
        vault_keys=BackupVaultKeys(aws.backup),
        reconciler=build_reconciler(settings, options, aws, clock, heal=True),
        alerts=alerts,
        clock=clock,
        cursors=DynamoCursorStore(aws.dynamodb, settings.ledger_table_name),
        alert_path=alert_path,
        fallback=alerts if alert_path.fallback_topic_arn else None,
    )
    return KeyGuardDependencies(settings, key_guard, clock)


@cache
def reconcile_dependencies() -> ReconcileDependencies:
    return build_reconcile_dependencies(os.environ, _clients(), utc_now)


@cache
def key_guard_dependencies() -> KeyGuardDependencies:
    return build_key_guard_dependencies(os.environ, _clients(), utc_now)


def _clients() -> AwsClients:
    return AwsClients(
        clients.backup(), clients.dynamodb(), clients.kms(), clients.sns(), kms_in=clients.kms_in
    )


def require(settings: Settings, *, heal: bool) -> None:
    """The ledger always; the alert topic too when copies are tracked (alerts are part of it)."""
    required = {"LEDGER_TABLE_NAME": settings.ledger_table_name}
    if heal:
        required["ALERT_TOPIC_ARN"] = settings.alert_topic_arn
    if missing := [
        f"{name} is required by the reconciler" for name, v in required.items() if not v
    ]:
        raise ConfigError(missing)


def reset() -> None:
    """Forget the wiring (tests change the environment between cases)."""
    reconcile_dependencies.cache_clear()
    key_guard_dependencies.cache_clear()
    clients.reset()
