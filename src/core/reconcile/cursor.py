"""Where a scheduled reconcile pass stands between runs: the vault, the page, the counts so far.

A pass walks every source vault page by page. A run that runs out of time stops at a page
boundary and saves this cursor; the next run starts at the saved page. The counts of a page are
added only when the whole page is done, so a page that is read again is never counted twice
(the work on it is idempotent: what was copied is in the ledger).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.reconcile.coverage import Coverage


@dataclass(frozen=True)
class ReconcileCursor:
    vaults: tuple[str, ...]  # the pass's vaults, in walking order
    created_after: datetime | None  # the pass's look-back bound, fixed for the whole pass
    vault: str | None  # the vault being walked; None: the pass is done
    page_token: str | None  # the page of ``vault`` to read next; None: its first page
    pass_started_at: datetime
    coverage: Coverage = field(default_factory=Coverage)  # pages finished in this pass
    last_key_usage: dict[str, frozenset[str]] = field(default_factory=dict)  # last full pass
    version: int = 0  # how many times it was saved (saves are conditional on it)

    @classmethod
    def first(
        cls,
        vaults: Sequence[str],
        created_after: datetime | None,
        now: datetime,
        previous: ReconcileCursor | None = None,
    ) -> ReconcileCursor:
        """A new pass; it keeps what the previous pass learnt about keys."""
        return cls(
            vaults=tuple(vaults),
            created_after=created_after,
            vault=vaults[0] if vaults else None,
            page_token=None,
            pass_started_at=now,
            last_key_usage=previous.last_key_usage if previous else {},
            version=previous.version if previous else 0,
        )

    @property
    def done(self) -> bool:
        return self.vault is None

    def after_page(self, next_token: str | None, page: Coverage) -> ReconcileCursor:
        """The cursor once the current page is done: the next page, vault, or the pass's end."""
        coverage = self.coverage.merge(page)
        if next_token is not None:
            return replace(self, page_token=next_token, coverage=coverage)
        return replace(self, vault=self._next_vault(), page_token=None, coverage=coverage)

    def restart_vault(self) -> ReconcileCursor:
        """Walk the current vault again from its first page (its saved NextToken was refused)."""
        if self.vault is None:
            return self
        return replace(self, page_token=None, coverage=self.coverage.without_vault(self.vault))

    def finished(self) -> ReconcileCursor:
        """The cursor of a finished pass: its key usage is what the key guard reads next."""
        usage = {key: frozenset(vaults) for key, vaults in self.coverage.key_usage.items()}
        return replace(self, vault=None, page_token=None, last_key_usage=usage)

    def saved(self) -> ReconcileCursor:
        return replace(self, version=self.version + 1)

    def _next_vault(self) -> str | None:
        if self.vault is None:
            return None
        position = self.vaults.index(self.vault) + 1
        return self.vaults[position] if position < len(self.vaults) else None
