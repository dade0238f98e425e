"""Wiring of the tracking function: settings and adapters built once per container (cold start)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from adapters import clients
from adapters.alerts import SnsAlerts
from adapters.backup import BackupGateway
from adapters.kms import KmsKeys
from adapters.ledger import DynamoLedger
from adapters.parking import DeadLetterParking
from adapters.redelivery import QueueRedelivery
from core.copying.copy_service import RecoveryPointCopier
from core.kernel.config import Settings, load_settings
from core.kernel.errors import ConfigError
from core.kernel.ports import ParkingPort
from core.tracking.key_verification import KeyVerifier
from core.tracking.tracking_service import TrackingService


@dataclass(frozen=True)
class TrackingDependencies:
    settings: Settings
    service: TrackingService
    parking: ParkingPort
    redelivery: QueueRedelivery  # the backoff of transient copy failures, in TrackingQueue
    alerts: SnsAlerts  # also for backup jobs of the source vaults that wrote nothing


@cache
def tracking_dependencies() -> TrackingDependencies:
    settings = load_settings(os.environ)
    _require_tracking_settings(settings)
    backup = BackupGateway(clients.backup())
    ledger = DynamoLedger(clients.dynamodb(), settings.ledger_table_name)
    alerts = SnsAlerts(clients.sns(), settings.alert_topic_arn)
    service = TrackingService(
        settings=settings,
        backup=backup,
        ledger=ledger,
        copies=RecoveryPointCopier(settings=settings, backup=backup, ledger=ledger),
        keys=KeyVerifier(backup=backup, keys=KmsKeys(clients.kms(), clients.kms_in)),
        alerts=alerts,
    )
    parking = DeadLetterParking(clients.sqs(), settings.parking_queue_url)
    redelivery = QueueRedelivery(clients.sqs())
    return TrackingDependencies(settings, service, parking, redelivery, alerts)


def _require_tracking_settings(settings: Settings) -> None:
    """Tracking cannot work without its ledger, its alert topic and its parking queue."""
    required = {
        "LEDGER_TABLE_NAME": settings.ledger_table_name,
        "ALERT_TOPIC_ARN": settings.alert_topic_arn,
        "PARKING_QUEUE_URL": settings.parking_queue_url,
    }
    if missing := [
        f"{name} is required by the tracking function" for name, v in required.items() if not v
    ]:
        raise ConfigError(missing)


def reset() -> None:
    """Forget the wiring (tests change the environment between cases)."""
    tracking_dependencies.cache_clear()
    clients.reset()
