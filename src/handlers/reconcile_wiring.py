"""Wiring of the reconciler and the key guard: built once per container, or per ``copyctl`` call.

Free of Powertools, so ``copyctl`` builds the same reconciler with its own clients.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from adapters import clients
from adapters.alerts import SnsAlerts
from adapters.backup import BackupGateway
from adapters.kms import KmsKeys
from adapters.ledger import DynamoLedger
from adapters.ledger_lookup import DynamoLedgerLookup
from adapters.reconcile_cursor import DynamoCursorStore
from adapters.recovery_points import BackupVaultKeys, RecoveryPointLister
from adapters.sessions import AwsClients
from core.config import Settings, load_settings
from core.errors import ConfigError
from core.examine import RecoveryPointExaminer
from core.key_guard import KeyGuard
from core.key_verification import KeyVerifier
from core.protect import CopyService
from core.reconcile import Reconciler
from core.reconcile_settings import ReconcileSettings, load_reconcile_settings
from core.stuck import StuckCopyReporter
from core.tracking import TrackingService

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReconcileDependencies:
    settings: Settings
    options: ReconcileSettings
    reconciler: Reconciler
    stuck: StuckCopyReporter
    key_guard: KeyGuard
    clock: Clock


def build_reconciler(
    settings: Settings,
    options: ReconcileSettings,
    aws: AwsClients,
    clock: Clock,
    *,
    heal: bool,
) -> Reconciler:
    """The reconciler; ``heal=False`` builds one that can only read and decide (no tracking)."""
    require(settings, heal=heal)
    backup = BackupGateway(aws.backup)
    ledger = DynamoLedger(aws.dynamodb, settings.ledger_table_name, clock=clock)
    copies = CopyService(settings=settings, backup=backup, ledger=ledger, keys=KmsKeys(aws.kms))
    tracking = (
        TrackingService(
            settings=settings,
            backup=backup,
            ledger=ledger,
            copies=copies,
            keys=KeyVerifier(backup=backup, keys=KmsKeys(aws.kms)),
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
    )
    return Reconciler(
        settings=settings,
        listing=RecoveryPointLister(aws.backup),
        examiner=examiner,
        clock=clock,
        cursors=DynamoCursorStore(aws.dynamodb, settings.ledger_table_name),
        page_size=options.page_size,
    )


def build_reconcile_dependencies(
    env: Mapping[str, str], aws: AwsClients, clock: Clock
) -> ReconcileDependencies:
    settings, options = load_settings(env), load_reconcile_settings(env)
    reconciler = build_reconciler(settings, options, aws, clock, heal=True)
    ledger = DynamoLedger(aws.dynamodb, settings.ledger_table_name, clock=clock)
    alerts = SnsAlerts(aws.sns, settings.alert_topic_arn)
    stuck = StuckCopyReporter(settings=settings, ledger=ledger, alerts=alerts, clock=clock)
    key_guard = KeyGuard(
        settings=settings,
        vault_keys=BackupVaultKeys(aws.backup),
        reconciler=reconciler,
        alerts=alerts,
        clock=clock,
        cursors=reconciler.cursors,
    )
    return ReconcileDependencies(settings, options, reconciler, stuck, key_guard, clock)


@cache
def reconcile_dependencies() -> ReconcileDependencies:
    aws = AwsClients(clients.backup(), clients.dynamodb(), clients.kms(), clients.sns())
    return build_reconcile_dependencies(os.environ, aws, utc_now)


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
    clients.reset()
