"""Wiring of the copy function: settings and adapters built once per container (cold start).

Only what the copy path uses is imported here: each handler pays for its own wiring alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from adapters import clients
from adapters.backup import BackupGateway
from adapters.kms import KmsKeys
from adapters.ledger import DynamoLedger
from adapters.parking import DeadLetterParking
from core.copying.copy_service import CopyService
from core.kernel.config import Settings, load_settings
from core.kernel.ports import ParkingPort


@dataclass(frozen=True)
class CopyDependencies:
    settings: Settings
    service: CopyService
    parking: ParkingPort


@cache
def copy_dependencies() -> CopyDependencies:
    settings = load_settings(os.environ)
    service = CopyService(
        settings=settings,
        backup=BackupGateway(clients.backup()),
        ledger=DynamoLedger(clients.dynamodb(), settings.ledger_table_name),
        keys=KmsKeys(clients.kms()),
    )
    parking = DeadLetterParking(clients.sqs(), settings.parking_queue_url)
    return CopyDependencies(settings, service, parking)


def reset() -> None:
    """Forget the wiring (tests change the environment between cases)."""
    copy_dependencies.cache_clear()
    clients.reset()
