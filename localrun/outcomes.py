"""What a pipeline run must leave behind, read from AWS Backup, the ledger and the queues."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from localrun.pipeline import Pipeline

FINAL = frozenset({"protected", "key-dependent", "failed", "unprotectable", "skipped"})


@dataclass(frozen=True)
class RunOutcome:
    """Per source recovery point: its ledger entries, its copy jobs, and dead-lettered events."""

    backups: list[str]  # recovery points of completed backup jobs
    entries: dict[str, list[dict[str, Any]]]
    copies: dict[str, list[dict[str, Any]]]
    dead_lettered: set[str]  # recovery points whose event ended in the copy queue's DLQ

    def states(self, recovery_point: str) -> list[str]:
        return [item["State"]["S"] for item in self.entries.get(recovery_point, [])]

    def count(self) -> Counter[str]:
        return Counter(state for rp in self.backups for state in self.states(rp))


def outcome(pipeline: Pipeline) -> RunOutcome:
    entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in pipeline.ledger():
        entries[item["RecoveryPointArn"]["S"]].append(item)
    copies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for job in pipeline.copy_jobs():
        copies[job["SourceRecoveryPointArn"]].append(job)
    dead = {
        json.loads(message["Body"])["resources"][0]
        for message in pipeline.messages(pipeline.copy.dlq_url)
    }
    backups = [job["RecoveryPointArn"] for job in pipeline.completed_backups()]
    return RunOutcome(backups, dict(entries), dict(copies), dead)


def unexplained(run: RunOutcome) -> dict[str, list[str]]:
    """Recovery points neither protected nor explained (final entry with a reason), nor dead-
    lettered for the reconciler: they would be lost."""
    lost = {}
    for recovery_point in run.backups:
        items = run.entries.get(recovery_point, [])
        settled = [i for i in items if i["State"]["S"] in FINAL and i.get("Reason", {}).get("S")]
        if not settled and recovery_point not in run.dead_lettered:
            lost[recovery_point] = run.states(recovery_point)
    return lost


def copied_twice(run: RunOutcome) -> dict[str, Counter[str]]:
    """(Source, destination) pairs with more than one completed copy, or more than one copy job
    alive at the same time."""
    twice = {}
    for recovery_point, jobs in run.copies.items():
        completed = Counter(
            j["DestinationBackupVaultArn"] for j in jobs if j["State"] == "COMPLETED"
        )
        alive = Counter(
            j["DestinationBackupVaultArn"] for j in jobs if j["State"] in ("CREATED", "RUNNING")
        )
        if any(n > 1 for n in (completed + alive).values()):
            twice[recovery_point] = completed + alive
    return twice


def protected_matches_a_completed_copy(run: RunOutcome) -> list[str]:
    """Protected entries whose copy job is not a COMPLETED job into their vault: wrong ledger."""
    wrong = []
    for recovery_point, items in run.entries.items():
        jobs = {j["CopyJobId"]: j for j in run.copies.get(recovery_point, [])}
        for item in items:
            if item["State"]["S"] != "protected":
                continue
            job = jobs.get(item.get("CopyJobId", {}).get("S", ""))
            if job is None or not _names_its_copy(item, job):
                wrong.append(recovery_point)
    return wrong


def _names_its_copy(item: dict[str, Any], job: dict[str, Any]) -> bool:
    copy = item.get("DestinationRecoveryPointArn", {}).get("S")
    return (
        job["State"] == "COMPLETED"
        and job["DestinationBackupVaultArn"] == item["DestinationVaultArn"]["S"]
        and job.get("DestinationRecoveryPointArn") == copy
    )
