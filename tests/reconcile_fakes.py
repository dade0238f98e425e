"""In-memory doubles for the reconciler and key guard tests (issue 6).

Time passes only when work is done: every ledger lookup takes ``WORK`` of the ``ManualClock``,
so a deadline stops a run after a known number of recovery points, with no wall-clock timing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.copying.copy_service import RecoveryPointCopier
from core.kernel.config import Settings
from core.kernel.copy_jobs import CopyJobFacts, CopyJobUpdate
from core.kernel.errors import PermanentError
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.kernel.recovery_points import ListedRecoveryPoint, RecoveryPointPage
from core.key_guard.alerts import AlertPathRisk, KeyRiskAlert
from core.reconcile.cursor import ReconcileCursor
from core.reconcile.examine import RecoveryPointExaminer
from core.reconcile.reconciler import Reconciler, SavedPass
from tests.fakes import FakeLedger
from tests.samples import ACCOUNT, LAG_PLAN_ID, REGION, vault_arn
from tests.tracking_fakes import FakeTrackingBackup, copy_job_facts, copy_update

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
WORK = timedelta(seconds=1)  # what one ledger lookup costs on the manual clock
CMK = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_CMK = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0987dcba-09ba-87dc-65fe-0987654321ba"


@dataclass
class ManualClock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta = WORK) -> None:
        self.now += by


def listed(
    number: int,
    *,
    vault: str = "daily",
    resource_type: str = "S3",
    age: timedelta = timedelta(hours=2),
    **changes: Any,
) -> ListedRecoveryPoint:
    """The ``number``-th recovery point of a vault, as ListRecoveryPointsByBackupVault lists it."""
    point = ListedRecoveryPoint(
        arn=f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:{vault}-{number:05d}",
        vault_name=vault,
        vault_arn=vault_arn(vault),
        resource_arn=f"arn:aws:s3:::bucket-{vault}-{number}",
        resource_type=resource_type,
        status="COMPLETED",
        creation_date=NOW - age,
        backup_plan_id=LAG_PLAN_ID,
        encryption_key_arn=CMK,
    )
    return replace(point, **changes)


@dataclass
class FakeListing:
    """``RecoveryPointListingPort``: fixed vault contents; the token is the offset, as text."""

    vaults: dict[str, list[ListedRecoveryPoint]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (vault, token)
    refused_tokens: set[str] = field(default_factory=set)  # refused when a walk resumes there
    created_after_seen: list[datetime | None] = field(default_factory=list)

    def recovery_point_pages(
        self,
        vault_name: str,
        *,
        created_after: datetime | None,
        start_token: str | None,
        page_size: int,
    ) -> Iterator[RecoveryPointPage]:
        token = start_token
        while True:
            self.requests.append((vault_name, token))
            self.created_after_seen.append(created_after)
            if token is not None and token == start_token and token in self.refused_tokens:
                raise PermanentError("InvalidParameterValueException", f"bad token {token}")
            offset = int(token or 0)
            points = [
                p
                for p in self.vaults.get(vault_name, [])
                if created_after is None or p.creation_date > created_after
            ]
            items = tuple(points[offset : offset + page_size])
            following = offset + page_size
            next_token = str(following) if following < len(points) else None
            yield RecoveryPointPage(items, token, next_token)
            if next_token is None:
                return
            token = next_token


@dataclass
class TimedLedger(FakeLedger):
    """``FakeLedger`` with the reconciler's lookup; each lookup advances the clock by ``WORK``."""

    clock: ManualClock = field(default_factory=ManualClock)
    lookups: Counter[str] = field(default_factory=Counter)

    def entries_for(self, recovery_point_arn: str) -> list[LedgerEntry]:
        self.clock.advance()
        self.lookups[recovery_point_arn] += 1
        return [e for (arn, _), e in self.entries.items() if arn == recovery_point_arn]

    def put(self, entry: LedgerEntry) -> None:
        self.entries[(entry.recovery_point_arn, entry.destination_vault_arn)] = entry


def entry(
    point: ListedRecoveryPoint, destination: str, state: LedgerState, **changes: Any
) -> LedgerEntry:
    values: dict[str, Any] = {
        "recovery_point_arn": point.arn,
        "destination_vault_arn": destination,
        "state": state,
        "reason": "copy-to-lag" if destination != "-" else "skip-continuous",
        "attempts": 1 if destination != "-" else 0,
        "source_vault_name": point.vault_name,
        "resource_type": point.resource_type,
        "updated_at": NOW - timedelta(hours=1),
    }
    return LedgerEntry(**{**values, **changes})


@dataclass
class MemoryCursors:
    """The cursor store (load, save) with the DynamoDB store's conditional save."""

    stored: ReconcileCursor | None = None
    saves: int = 0

    def load(self) -> ReconcileCursor | None:
        return self.stored

    def save(self, cursor: ReconcileCursor) -> bool:
        current = self.stored.version if self.stored else 0
        if cursor.version - 1 != current:
            return False
        self.stored, self.saves = cursor, self.saves + 1
        return True


@dataclass
class RecordingTracking:
    """``CopyTrackingPort``: keeps the updates; settles the ledger entry like the tracking does."""

    ledger: TimedLedger
    updates: list[CopyJobUpdate] = field(default_factory=list)

    def track(self, update: CopyJobUpdate) -> object:
        self.updates.append(update)
        key = (update.source_recovery_point_arn, update.destination_vault_arn)
        state = LedgerState.PROTECTED if update.state.value == "COMPLETED" else LedgerState.FAILED
        self.ledger.entries[key] = replace(self.ledger.entries[key], state=state)
        return state


@dataclass
class RunningJobsBackup(FakeTrackingBackup):
    """AWS Backup where a copy job nobody described yet is still RUNNING."""

    def describe_copy_job(self, copy_job_id: str) -> CopyJobFacts:
        if copy_job_id not in self.copy_jobs:
            self.copy_jobs[copy_job_id] = copy_job_facts(
                copy_update("copy-job-running.json", copyJobId=copy_job_id)
            )
        return super().describe_copy_job(copy_job_id)


@dataclass
class RecordingKeyAlerts:
    published: list[KeyRiskAlert] = field(default_factory=list)
    alert_path_risks: list[AlertPathRisk] = field(default_factory=list)

    def publish_key_risk(self, alert: KeyRiskAlert) -> None:
        self.published.append(alert)

    def publish_alert_path_risk(self, risk: AlertPathRisk) -> None:
        self.alert_path_risks.append(risk)


@dataclass
class FakeVaultKeys:
    keys: dict[str, str | None] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)

    def encryption_key_arn(self, vault_name: str) -> str | None:
        self.calls[vault_name] += 1
        if vault_name not in self.keys:
            raise PermanentError("ResourceNotFoundException", f"no vault {vault_name}")
        return self.keys[vault_name]


@dataclass
class World:
    """A reconciler over fakes, with every double at hand."""

    settings: Settings
    clock: ManualClock
    listing: FakeListing
    ledger: TimedLedger
    backup: RunningJobsBackup
    tracking: RecordingTracking
    cursors: MemoryCursors
    reconciler: Reconciler


def make_world(settings: Settings, *, page_size: int = 3) -> World:
    clock = ManualClock()
    listing, ledger = FakeListing(), TimedLedger(clock=clock)
    backup = RunningJobsBackup()
    tracking, cursors = RecordingTracking(ledger), MemoryCursors()
    examiner = RecoveryPointExaminer(
        settings=settings,
        ledger=ledger,
        copies=RecoveryPointCopier(settings=settings, backup=backup, ledger=ledger),
        jobs=backup,
        tracking=tracking,
    )
    reconciler = Reconciler(
        settings=settings,
        listing=listing,
        examiner=examiner,
        clock=clock,
        saved_pass=SavedPass(cursors.load, cursors.save),
        page_size=page_size,
    )
    return World(settings, clock, listing, ledger, backup, tracking, cursors, reconciler)
