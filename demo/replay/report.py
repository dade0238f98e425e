"""What ``copyctl demo --events`` reports per replayed event, and how the changes read back from
AWS are attributed to the events that name them (``ItemReport.recovery_points``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from demo.replay.observe import Snapshot, same_event

NOT_ROUTED = "not routed: no rule matches"


@dataclass(slots=True)
class ItemReport:
    """One event, or one record of an SQS batch, and everything it led to."""

    source: str  # the file
    record: str | None  # the messageId of a batch record
    description: str
    body: str  # the event as delivered, vault names rewritten
    recovery_points: frozenset[str]  # and job:<id> keys: what the ledger files it under
    seeded: list[str] = field(default_factory=list)
    delivery: str = ""
    routes: list[dict[str, Any]] = field(default_factory=list)
    direct: dict[str, Any] | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    copy_jobs: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    parked: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "record": self.record,
            "event": self.description,
            "recovery_points": sorted(self.recovery_points),
            "seeded": self.seeded,
            "delivery": self.delivery,
            "routes": self.routes,
            "direct_invocation": self.direct,
            "decisions": self.decisions,
            "copy_jobs": self.copy_jobs,
            "ledger": self.ledger,
            "parked": [{k: v for k, v in p.items() if k != "body"} for p in self.parked],
            "notes": self.notes,
        }


@dataclass(slots=True)
class ReplayReport:
    world: dict[str, Any]
    items: list[ItemReport]
    unattributed: dict[str, list[dict[str, Any]]]  # changes no replayed event names
    run: dict[str, Any]

    @property
    def healthy(self) -> bool:
        """Every invocation ran without an error and the emulator came to rest."""
        return bool(self.run["quiescent"]) and not self.run["invocation_errors"]

    def item(self, source: str, record: str | None = None) -> ItemReport:
        return next(i for i in self.items if (i.source, i.record) == (source, record))

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.world,
            "events": [item.as_dict() for item in self.items],
            "unattributed": self.unattributed,
            "run": self.run,
        }


def attribute(
    items: list[ItemReport],
    before: Snapshot,
    decided: Snapshot,
    after: Snapshot,
    parked: list[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Give each item the ledger writes, copy jobs and parked records about what it names;
    return what no item names (reported too: nothing changes unseen)."""
    decisions = decided.changed_entries(before)
    entries = after.changed_entries(before)
    jobs = after.new_copy_jobs(before)
    for item in items:
        named = item.recovery_points
        item.decisions = [_decision(e) for e in decisions if e["RecoveryPointArn"] in named]
        item.ledger = [e for e in entries if e["RecoveryPointArn"] in named]
        item.copy_jobs = [
            _copy_job(job, item.ledger) for job in jobs if job["SourceRecoveryPointArn"] in named
        ]
        item.parked = [p for p in parked if same_event(p["body"], item.body)]
    claimed = {id(thing) for item in items for thing in (*item.ledger, *item.parked)}
    claimed_jobs = {job["copy_job_id"] for item in items for job in item.copy_jobs}
    return {
        "ledger": [e for e in entries if id(e) not in claimed],
        "copy_jobs": [job for job in jobs if job["CopyJobId"] not in claimed_jobs],
        "parked": [p for p in parked if id(p) not in claimed],
    }


def _decision(entry: dict[str, Any]) -> dict[str, Any]:
    """A ledger entry as the copy function wrote it: its decision."""
    return {
        "reason": entry.get("Reason"),
        "target": entry.get("Target", "none"),
        "state": entry.get("State"),
        "destination_vault": entry.get("DestinationVaultArn"),
        "explanation": entry.get("Explanation"),
    }


def _copy_job(job: dict[str, Any], ledger: list[dict[str, Any]]) -> dict[str, Any]:
    """A copy job as AWS Backup ended it, and what the tracking recorded for it."""
    entry = next(
        (
            e
            for e in ledger
            if (e["RecoveryPointArn"], e["DestinationVaultArn"])
            == (job["SourceRecoveryPointArn"], job["DestinationBackupVaultArn"])
        ),
        {},
    )
    return {
        "copy_job_id": job["CopyJobId"],
        "state": job.get("State"),
        "status_message": job.get("StatusMessage"),
        "destination_vault": job.get("DestinationBackupVaultArn"),
        "destination_recovery_point": job.get("DestinationRecoveryPointArn"),
        "destination_key": job.get("DestinationEncryptionKeyArn"),
        "lifecycle": job.get("DestinationRecoveryPointLifecycle"),
        "tracked_state": entry.get("State"),
        "tracked_reason": entry.get("Reason"),
    }
