"""Where each recovery point stands, from its ledger entries, and the coverage of a vault walk.

A recovery point has one ledger entry per destination it was copied to, and one under ``-`` when
it was skipped. The best of them decides: a protected copy beats one in flight, which beats a
key-dependent copy, a failed one, and an explained skip. A skip decided too early (the recovery
point was not finished yet) explains nothing: the point is decided again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.kernel.ledger_states import LedgerEntry, LedgerState, state_for_skip
from core.kernel.models import Reason, StartCopyJobRequest
from core.kernel.recovery_points import ListedRecoveryPoint


class Standing(StrEnum):
    PROTECTED = "protected"
    IN_FLIGHT = "in-flight"
    KEY_DEPENDENT = "key-dependent"
    FAILED = "failed"
    UNPROTECTABLE = "unprotectable"
    UNPROTECTED = "unprotected"  # nothing in the ledger explains it: the reconciler copies it
    SKIPPED = "skipped"  # not ours to copy: AWS copies it itself, or it is copied with its parent

    @property
    def in_scope(self) -> bool:
        return self is not Standing.SKIPPED

    @property
    def is_unprotected(self) -> bool:
        """Should have a key-independent copy and has none yet (unprotectable ones never will)."""
        return self in _UNPROTECTED

    @property
    def lacks_protection(self) -> bool:
        """Has no key-independent copy: unprotected for now, or unprotectable for good."""
        return self.is_unprotected or self is Standing.UNPROTECTABLE


_UNPROTECTED = frozenset(
    {Standing.IN_FLIGHT, Standing.KEY_DEPENDENT, Standing.FAILED, Standing.UNPROTECTED}
)
# Best first.
_RANK = (
    Standing.PROTECTED,
    Standing.IN_FLIGHT,
    Standing.KEY_DEPENDENT,
    Standing.FAILED,
    Standing.UNPROTECTABLE,
    Standing.SKIPPED,
)
_OF_STATE = {
    LedgerState.PROTECTED: Standing.PROTECTED,
    LedgerState.PLANNED: Standing.IN_FLIGHT,
    LedgerState.STARTED: Standing.IN_FLIGHT,
    LedgerState.KEY_DEPENDENT: Standing.KEY_DEPENDENT,
    LedgerState.FAILED: Standing.FAILED,
    LedgerState.UNPROTECTABLE: Standing.UNPROTECTABLE,
    LedgerState.SKIPPED: Standing.SKIPPED,
}
# Skips that say "not yet", not "never" (a missing service-key vault: until it is deployed).
TRANSIENT_SKIPS = frozenset(
    {
        Reason.SKIP_NOT_AVAILABLE.value,
        Reason.SKIP_NOT_COMPLETED.value,
        Reason.SKIP_NO_SERVICE_KEY_VAULT.value,
    }
)
# Destination labels of the ledger's targets.
NO_TARGET = "none"


@dataclass(frozen=True, slots=True)
class Judgement:
    standing: Standing
    entry: LedgerEntry | None  # the entry that decides; None: nothing in the ledger explains it
    entries: tuple[LedgerEntry, ...] = ()

    @property
    def in_flight(self) -> list[LedgerEntry]:
        return [entry for entry in self.entries if _standing_of(entry) is Standing.IN_FLIGHT]


def judge(entries: Iterable[LedgerEntry]) -> Judgement:
    """Where a recovery point stands, from all of its ledger entries."""
    every = tuple(entries)
    ranked = [(_RANK.index(s), e) for e in every if (s := _standing_of(e)) is not None]
    if not ranked:
        return Judgement(Standing.UNPROTECTED, None, every)
    rank, entry = min(ranked, key=lambda pair: pair[0])
    return Judgement(_RANK[rank], entry, every)


def standing_for_skip(reason: Reason) -> Standing:
    """Where a recovery point stands after the decision skipped it."""
    if reason.value in TRANSIENT_SKIPS:
        return Standing.UNPROTECTED
    return _OF_STATE[state_for_skip(reason)]


def _standing_of(entry: LedgerEntry) -> Standing | None:
    if entry.state is LedgerState.SKIPPED and entry.reason in TRANSIENT_SKIPS:
        return None
    return _OF_STATE[entry.state]


class Action(StrEnum):
    """What the reconciler did about one recovery point."""

    NONE = "none"
    COPY_STARTED = "copy-started"
    WOULD_COPY = "would-copy"  # a dry run
    SETTLED = "settled"  # a copy job had finished unnoticed: tracked now
    RETRY_STARTED = "retry-started"  # a failed copy, attempted again (an operator's retry)
    WOULD_RETRY = "would-retry"  # a dry run of that
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    point: ListedRecoveryPoint
    standing: Standing
    target: str  # lag, managed, override, or none
    reason: str
    explanation: str = ""
    action: Action = Action.NONE
    copy_job_id: str | None = None
    request: StartCopyJobRequest | None = None  # what a dry run would send
    entry: LedgerEntry | None = None  # the deciding ledger entry, if any


CoverageKey = tuple[str, str, str]  # vault, resource type, target


@dataclass
class Tally:
    counts: Counter[Standing] = field(default_factory=Counter)
    oldest_unprotected: datetime | None = None  # creation date of the oldest unprotected point

    def add(self, finding: Finding) -> None:
        self.counts[finding.standing] += 1
        if finding.standing.is_unprotected:
            self.oldest_unprotected = _earliest(
                self.oldest_unprotected, finding.point.creation_date
            )

    def merge(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.oldest_unprotected = _earliest(self.oldest_unprotected, other.oldest_unprotected)


# The states of the Coverage metric (the dashboard reads exactly these names).
METRIC_STATES = (
    Standing.PROTECTED,
    Standing.IN_FLIGHT,
    Standing.FAILED,
    Standing.UNPROTECTABLE,
    Standing.KEY_DEPENDENT,
)


@dataclass
class Coverage:
    """Counts per (vault, resource type, target), and which keys encrypt which vault's points."""

    tallies: dict[CoverageKey, Tally] = field(default_factory=dict)
    key_usage: dict[str, set[str]] = field(default_factory=dict)  # key ARN -> vault names

    def add(self, finding: Finding) -> None:
        point = finding.point
        key = (point.vault_name, point.resource_type, finding.target)
        self.tallies.setdefault(key, Tally()).add(finding)
        if point.encryption_key_arn:
            self.key_usage.setdefault(point.encryption_key_arn, set()).add(point.vault_name)

    def copy(self) -> Coverage:
        """An independent copy, in the order ``to_document`` gives (without zero counts)."""
        tallies = {
            key: Tally(
                Counter({s: n for s, n in sorted(tally.counts.items()) if n}),
                tally.oldest_unprotected,
            )
            for key, tally in sorted(self.tallies.items())
        }
        key_usage = {key: set(vaults) for key, vaults in sorted(self.key_usage.items())}
        return Coverage(tallies, key_usage)

    def merge(self, other: Coverage) -> Coverage:
        merged = self.copy()
        for key, tally in other.tallies.items():
            merged.tallies.setdefault(key, Tally()).merge(tally)
        for key_arn, vaults in other.key_usage.items():
            merged.key_usage.setdefault(key_arn, set()).update(vaults)
        return merged

    def without_vault(self, vault_name: str) -> Coverage:
        kept = self.copy()
        kept.tallies = {k: t for k, t in kept.tallies.items() if k[0] != vault_name}
        for vaults in kept.key_usage.values():
            vaults.discard(vault_name)
        kept.key_usage = {k: v for k, v in kept.key_usage.items() if v}
        return kept

    def totals(self) -> Counter[Standing]:
        total: Counter[Standing] = Counter()
        for tally in self.tallies.values():
            total.update(tally.counts)
        return total

    @property
    def in_scope(self) -> int:
        return sum(n for standing, n in self.totals().items() if standing.in_scope)

    @property
    def oldest_unprotected(self) -> datetime | None:
        oldest: datetime | None = None
        for tally in self.tallies.values():
            oldest = _earliest(oldest, tally.oldest_unprotected)
        return oldest

    def oldest_unprotected_age_seconds(self, now: datetime) -> float:
        oldest = self.oldest_unprotected
        return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0

    def metric_counts(self) -> dict[str, int]:
        """``Coverage`` metric values by ``State`` dimension."""
        totals = self.totals()
        return {"in-scope": self.in_scope} | {s.value: totals[s] for s in METRIC_STATES}

    def to_document(self) -> dict[str, Any]:
        """A JSON-ready form, kept with the reconciler's cursor between runs."""
        return {
            "tallies": [
                {
                    "vault": vault,
                    "type": resource_type,
                    "target": target,
                    "counts": {s.value: n for s, n in sorted(tally.counts.items()) if n},
                    "oldest": _iso(tally.oldest_unprotected),
                }
                for (vault, resource_type, target), tally in sorted(self.tallies.items())
            ],
            "keys": {key: sorted(vaults) for key, vaults in sorted(self.key_usage.items())},
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Coverage:
        coverage = cls()
        for row in document.get("tallies", []):
            counts = Counter({Standing(s): int(n) for s, n in row["counts"].items()})
            oldest = datetime.fromisoformat(row["oldest"]) if row.get("oldest") else None
            coverage.tallies[(row["vault"], row["type"], row["target"])] = Tally(counts, oldest)
        for key, vaults in document.get("keys", {}).items():
            coverage.key_usage[key] = set(vaults)
        return coverage


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
