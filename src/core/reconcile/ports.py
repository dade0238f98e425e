"""What the reconciler and the key guard need from the outside world; adapters implement it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from core.kernel.copy_jobs import CopyJobUpdate
from core.kernel.ledger_states import LedgerEntry
from core.kernel.recovery_points import RecoveryPointPage
from core.reconcile.cursor import ReconcileCursor

if TYPE_CHECKING:
    from core.key_guard.alerts import AlertPathRisk, KeyRiskAlert


class RecoveryPointListingPort(Protocol):
    def recovery_point_pages(
        self,
        vault_name: str,
        *,
        created_after: datetime | None,
        start_token: str | None,
        page_size: int,
    ) -> Iterator[RecoveryPointPage]:
        """The vault's recovery points, one page in memory at a time, from ``start_token``."""
        ...


class LedgerLookupPort(Protocol):
    def entries_for(self, recovery_point_arn: str) -> list[LedgerEntry]:
        """Every ledger entry of one recovery point (one per destination, ``-`` for a skip)."""
        ...


class CopyTrackingPort(Protocol):
    """``TrackingService``: what a "Copy Job State Change" event would have set off."""

    def track(self, update: CopyJobUpdate) -> object: ...


class CursorReaderPort(Protocol):
    """The last saved pass, for the key guard (its key usage); it never writes the cursor."""

    def load(self) -> ReconcileCursor | None: ...


class VaultKeyPort(Protocol):
    def encryption_key_arn(self, vault_name: str) -> str | None:
        """The KMS key of a vault (DescribeBackupVault); None when the vault cannot be found."""
        ...


class KeyRiskAlertPort(Protocol):
    def publish_key_risk(self, alert: KeyRiskAlert) -> None: ...


class AlertPathRiskPort(Protocol):
    def publish_alert_path_risk(self, risk: AlertPathRisk) -> None:
        """To the fallback topic: the alert topic's own key is at risk."""
        ...
