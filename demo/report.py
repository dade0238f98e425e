"""The copy-status report and the promise checks, built from what AWS (here: the emulator) and
the ledger table say after the day — never from the runner's own counters.

AWS's view is read through the public APIs (ListBackupJobs, ListCopyJobs,
ListRecoveryPointsByBackupVault, a DynamoDB Scan of the ledger), so the same checks would hold
against a real account; only "which plan selects a resource" comes from the emulator's own rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from adapters.ledger import NO_DESTINATION, entry_from_item
from core.kernel.config import Settings
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.reconcile.coverage import NO_TARGET
from core.tracking.next_attempt import route_for_vault

_NO_RETRIES = Config(retries={"total_max_attempts": 1})
_LIVE_COPY_STATES = frozenset({"CREATED", "RUNNING", "COMPLETED", "PARTIAL"})
_IN_FLIGHT = frozenset({LedgerState.PLANNED, LedgerState.STARTED})


# ---- what AWS and the ledger say ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observed:
    """The raw facts after the day: AWS Backup's view and the ledger's."""

    backup_jobs: list[dict[str, Any]]
    copy_jobs: list[dict[str, Any]]
    source_points: list[dict[str, Any]]  # recovery points in the source vaults
    ledger: list[LedgerEntry]
    resources: dict[str, str]  # registered resource ARN -> resource type
    selected_by: dict[str, list[str]]  # resource ARN -> names of the plans whose selection picks it


def observe(
    settings: Settings,
    ledger_table: str,
    resources: dict[str, str],
    selected_by: dict[str, list[str]],
) -> Observed:
    backup = boto3.client("backup", region_name=settings.region, config=_NO_RETRIES)
    dynamodb = boto3.client("dynamodb", region_name=settings.region, config=_NO_RETRIES)
    points = [
        point
        for vault in sorted(settings.source_vault_names)
        for point in _pages(
            backup, "list_recovery_points_by_backup_vault", "RecoveryPoints", BackupVaultName=vault
        )
    ]
    items = _pages(dynamodb, "scan", "Items", TableName=ledger_table) if ledger_table else []
    return Observed(
        backup_jobs=_pages(backup, "list_backup_jobs", "BackupJobs"),
        copy_jobs=_pages(backup, "list_copy_jobs", "CopyJobs"),
        source_points=points,
        # Items without a State are bookkeeping, not recovery points (the reconciler's cursor).
        ledger=[entry_from_item(item) for item in items if "State" in item],
        resources=dict(resources),
        selected_by=dict(selected_by),
    )


def _pages(client: Any, operation: str, key: str, **arguments: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**arguments):
        items.extend(page.get(key, []))
    return items


# ---- the report --------------------------------------------------------------------------------


@dataclass(slots=True)
class CopyStatusRow:
    """One resource type and copy target."""

    resource_type: str
    target: str
    recovery_points: int = 0
    copies_started: int = 0
    copies_completed: int = 0
    copies_failed: int = 0
    copies_in_flight: int = 0
    protected: int = 0  # ledger: key-independence verified
    key_dependent: int = 0
    skips: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class TypeSummary:
    resource_type: str
    resources: int = 0
    backups_completed: int = 0
    backups_failed: int = 0
    protected: int = 0
    in_flight: int = 0
    unprotected: int = 0
    lost: int = 0

    def count(self, outcome: str) -> None:
        """One more recovery point with this outcome (see ``outcome_of``)."""
        match outcome:
            case "protected":
                self.protected += 1
            case "in-flight":
                self.in_flight += 1
            case "unprotected":
                self.unprotected += 1
            case _:
                self.lost += 1


@dataclass(frozen=True, slots=True)
class UnprotectedGroup:
    """Recovery points of one resource left without a key-independent copy, for one reason."""

    resource_type: str
    resource_arn: str
    path: str  # the ledger's entries in order: "unprotectable", "lag failed, managed failed"
    reason: str
    explanation: str
    recovery_points: int


@dataclass(frozen=True, slots=True)
class PromiseCheck:
    name: str
    promise: str
    broken: list[str]

    @property
    def kept(self) -> bool:
        return not self.broken


@dataclass(slots=True)
class Report:
    by_type: list[TypeSummary]
    copy_status: list[CopyStatusRow]
    unprotected: list[UnprotectedGroup]
    not_backed_up: list[dict[str, str]]
    promises: list[PromiseCheck]
    recovery_points: list[dict[str, Any]]
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def promises_kept(self) -> bool:
        return all(check.kept for check in self.promises)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "promises_kept": self.promises_kept,
            "promises": [asdict(check) | {"kept": check.kept} for check in self.promises],
            "by_type": [asdict(row) for row in self.by_type],
            "copy_status": [asdict(row) for row in self.copy_status],
            "unprotected": [asdict(group) for group in self.unprotected],
            "not_backed_up": self.not_backed_up,
            "recovery_points": self.recovery_points,
        }


def build_report(observed: Observed, settings: Settings) -> Report:
    entries = _entries_by_point(observed.ledger)
    completed = [p for p in observed.source_points if p.get("Status") == "COMPLETED"]
    return Report(
        by_type=_type_summaries(observed, completed, entries),
        copy_status=_copy_status(observed, entries, settings),
        unprotected=_unprotected(completed, entries, settings),
        not_backed_up=_not_backed_up(observed),
        promises=check_promises(observed),
        recovery_points=[_point_view(p, entries, settings) for p in completed],
    )


def _target(vault_arn: str, settings: Settings) -> str:
    if vault_arn == NO_DESTINATION:
        return NO_TARGET
    route = route_for_vault(vault_arn, settings)
    return route.target.value if route else "vault:" + vault_arn.rsplit(":", 1)[-1]


def _entries_by_point(ledger: list[LedgerEntry]) -> dict[str, list[LedgerEntry]]:
    grouped: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in ledger:
        grouped[entry.recovery_point_arn].append(entry)
    return grouped


def outcome_of(entries: list[LedgerEntry]) -> tuple[str, LedgerEntry | None]:
    """A recovery point's outcome: protected, in flight, unprotected (with the entry why), lost."""
    if not entries:
        return "lost", None
    for entry in entries:
        if entry.state is LedgerState.PROTECTED:
            return "protected", entry
    for entry in entries:
        if entry.state in _IN_FLIGHT:
            return "in-flight", entry
    # The last word: the latest copy outcome (a fallback's failure after the LAG refusal), or
    # else the skip.
    return "unprotected", max(entries, key=_weight)


def _weight(entry: LedgerEntry) -> tuple[bool, str]:
    return entry.destination_vault_arn != NO_DESTINATION, str(entry.updated_at)


def _type_summaries(
    observed: Observed, completed: list[dict[str, Any]], entries: dict[str, list[LedgerEntry]]
) -> list[TypeSummary]:
    rows: dict[str, TypeSummary] = {}

    def row(resource_type: str) -> TypeSummary:
        return rows.setdefault(resource_type, TypeSummary(resource_type))

    for resource_type in observed.resources.values():
        row(resource_type).resources += 1
    for job in observed.backup_jobs:
        if job.get("State") == "COMPLETED":
            row(job["ResourceType"]).backups_completed += 1
        elif job.get("State") in {"FAILED", "ABORTED", "EXPIRED"}:
            row(job["ResourceType"]).backups_failed += 1
    for point in completed:
        outcome, _ = outcome_of(entries.get(point["RecoveryPointArn"], []))
        row(point["ResourceType"]).count(outcome)
    return sorted(rows.values(), key=lambda summary: summary.resource_type)


def _copy_status(
    observed: Observed, entries: dict[str, list[LedgerEntry]], settings: Settings
) -> list[CopyStatusRow]:
    rows: dict[tuple[str, str], CopyStatusRow] = {}

    def row(resource_type: str, vault_arn: str) -> CopyStatusRow:
        target = _target(vault_arn, settings)
        return rows.setdefault((resource_type, target), CopyStatusRow(resource_type, target))

    for job in observed.copy_jobs:
        _count_copy_job(row(job["ResourceType"], job["DestinationBackupVaultArn"]), job)
    for point_entries in entries.values():
        for entry in point_entries:
            _count_entry(row(entry.resource_type or "unknown", entry.destination_vault_arn), entry)
    return sorted(rows.values(), key=lambda r: (r.resource_type, r.target))


def _count_copy_job(status: CopyStatusRow, job: dict[str, Any]) -> None:
    status.copies_started += 1
    if job.get("State") == "COMPLETED":
        status.copies_completed += 1
    elif job.get("State") == "FAILED":
        status.copies_failed += 1
    else:
        status.copies_in_flight += 1


def _count_entry(status: CopyStatusRow, entry: LedgerEntry) -> None:
    status.recovery_points += 1
    if entry.state is LedgerState.PROTECTED:
        status.protected += 1
    elif entry.state is LedgerState.KEY_DEPENDENT:
        status.key_dependent += 1
    elif entry.destination_vault_arn == NO_DESTINATION:
        reason = entry.reason or "(no reason)"
        status.skips[reason] = status.skips.get(reason, 0) + 1


def _unprotected(
    completed: list[dict[str, Any]],
    entries: dict[str, list[LedgerEntry]],
    settings: Settings,
) -> list[UnprotectedGroup]:
    groups: Counter[tuple[str, str, str, str, str]] = Counter()
    for point in completed:
        point_entries = entries.get(point["RecoveryPointArn"], [])
        outcome, entry = outcome_of(point_entries)
        if outcome in {"protected", "in-flight"}:
            continue
        reason = (entry.reason if entry else "") or "(no reason)"
        explanation = (entry.explanation if entry else None) or "no ledger entry"
        path = _path(point_entries, settings) or "lost"
        key = (point["ResourceType"], point["ResourceArn"], path, reason, explanation)
        groups[key] += 1
    return [UnprotectedGroup(*key, recovery_points=count) for key, count in sorted(groups.items())]


def _path(entries: list[LedgerEntry], settings: Settings) -> str:
    """What happened, in order: "unprotectable", or "lag failed, managed failed"."""
    ordered = sorted(entries, key=lambda entry: str(entry.updated_at))
    return ", ".join(
        entry.state.value
        if entry.destination_vault_arn == NO_DESTINATION
        else f"{_target(entry.destination_vault_arn, settings)} {entry.state.value}"
        for entry in ordered
    )


def _not_backed_up(observed: Observed) -> list[dict[str, str]]:
    backed_up = {job["ResourceArn"] for job in observed.backup_jobs}
    return [
        {
            "resource_arn": arn,
            "resource_type": resource_type,
            "reason": _why_no_backup(observed, arn),
        }
        for arn, resource_type in sorted(observed.resources.items())
        if arn not in backed_up
    ]


def _why_no_backup(observed: Observed, resource_arn: str) -> str:
    plans = observed.selected_by.get(resource_arn)
    if not plans:
        return "no backup selection picks it"
    return f"selected by {', '.join(plans)}, but no rule of the plan ran in the simulated window"


def _point_view(
    point: dict[str, Any], entries: dict[str, list[LedgerEntry]], settings: Settings
) -> dict[str, Any]:
    point_entries = entries.get(point["RecoveryPointArn"], [])
    outcome, _ = outcome_of(point_entries)
    return {
        "recovery_point_arn": point["RecoveryPointArn"],
        "resource_arn": point["ResourceArn"],
        "resource_type": point["ResourceType"],
        "vault": point["BackupVaultName"],
        "created": _iso(point.get("CreationDate")),
        "outcome": outcome,
        "ledger": [
            {
                "target": _target(entry.destination_vault_arn, settings),
                "state": entry.state.value,
                "reason": entry.reason,
                "explanation": entry.explanation,
                "copy_job_id": entry.copy_job_id,
            }
            for entry in point_entries
        ],
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if isinstance(moment, datetime) else None


# ---- the promises --------------------------------------------------------------------------------


def check_promises(observed: Observed) -> list[PromiseCheck]:
    return [
        PromiseCheck(
            "no-duplicate-copy",
            "at most one live copy job per source recovery point and destination vault",
            duplicate_copies(observed.copy_jobs),
        ),
        PromiseCheck(
            "no-lost-recovery-point",
            "every completed recovery point in a source vault has a ledger entry",
            lost_recovery_points(observed.source_points, observed.ledger),
        ),
        PromiseCheck(
            "no-unexplained-skip",
            "every recovery point left without a protected copy has a reason in the ledger",
            unexplained_outcomes(observed.ledger),
        ),
    ]


def duplicate_copies(copy_jobs: list[dict[str, Any]]) -> list[str]:
    """Copy jobs that are not FAILED, more than one for a (source, destination).

    A retry after a failed copy job is a new job for the same pair, and is not a duplicate.
    """
    live: dict[tuple[str, str], list[str]] = defaultdict(list)
    for job in copy_jobs:
        if job.get("State") in _LIVE_COPY_STATES:
            pair = (job["SourceRecoveryPointArn"], job["DestinationBackupVaultArn"])
            live[pair].append(job["CopyJobId"])
    return [
        f"{source} -> {destination}: {len(jobs)} copy jobs ({', '.join(sorted(jobs))})"
        for (source, destination), jobs in sorted(live.items())
        if len(jobs) > 1
    ]


def lost_recovery_points(points: list[dict[str, Any]], ledger: list[LedgerEntry]) -> list[str]:
    known = {entry.recovery_point_arn for entry in ledger}
    return [
        f"{point['RecoveryPointArn']} ({point['ResourceType']} in {point['BackupVaultName']})"
        for point in points
        if point.get("Status") == "COMPLETED" and point["RecoveryPointArn"] not in known
    ]


def unexplained_outcomes(ledger: list[LedgerEntry]) -> list[str]:
    return [
        f"{entry.recovery_point_arn} -> {entry.destination_vault_arn}: {entry.state.value}, "
        "no reason"
        for entry in ledger
        if entry.state.is_final
        and entry.state is not LedgerState.PROTECTED
        and not entry.reason.strip()
    ]
