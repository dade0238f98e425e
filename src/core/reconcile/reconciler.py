"""The reconciler: walk the source vaults, page by page, and leave no recovery point unexplained.

Bounded work: a run stops at its deadline (checked after every recovery point, so each run makes
progress) and, when it resumes a scheduled pass, saves a cursor at every page boundary; the next
run continues from there. Memory is bounded by one page: findings are counted as they come and
handed to an optional observer, never kept.

Only the scheduled reconciler keeps a pass (``SavedPass``, given by its wiring): the key guard's
and copyctl's reconcilers have none, so they cannot write the cursor, and the code their
functions reach has no cursor write (tests/security derives each role's grants from that code).

A recovery point is in scope when it sits in a source vault, is finished (COMPLETED), was created
inside the look-back window (``ByCreatedAfter``, fixed for a whole pass) and passes the run's
filter (the key guard looks only at the points under one key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import chain

from core.kernel.config import Settings
from core.kernel.errors import PermanentError
from core.kernel.recovery_points import ListedRecoveryPoint, RecoveryPointPage
from core.reconcile.coverage import NO_TARGET, Action, Coverage, Finding, Standing
from core.reconcile.cursor import ReconcileCursor
from core.reconcile.examine import Mode, RecoveryPointExaminer
from core.reconcile.ports import RecoveryPointListingPort

# Errors that are not about one recovery point (the caller's access, a missing table or vault):
# they stop the run instead of being reported against every recovery point in turn.
RUN_WIDE_PROBLEMS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "ResourceNotFoundException",  # the ledger table, or a destination vault
    }
)


class RunOutcome(StrEnum):
    COMPLETE = "complete"  # the pass reached the end of the last vault
    CONTINUED = "continued"  # out of time: a later run continues (a scheduled pass only)


@dataclass(frozen=True)
class RunRequest:
    mode: Mode
    deadline: datetime | None = None  # None: no time limit (copyctl)
    vaults: tuple[str, ...] | None = None  # None: every source vault
    look_back_days: int | None = None  # None: the whole vault
    point_filter: Callable[[ListedRecoveryPoint], bool] | None = None
    resume: bool = False  # continue the saved pass, and save it (needs a SavedPass)


@dataclass
class RunReport:
    outcome: RunOutcome
    coverage: Coverage  # of the whole pass when it completed; of the pass so far otherwise
    pages: int = 0
    examined: int = 0
    actions: dict[Action, int] = field(default_factory=dict)
    pass_started_at: datetime | None = None
    created_after: datetime | None = None  # the look-back bound; None: whole vaults

    def count(self, finding: Finding) -> None:
        self.examined += 1
        self.actions[finding.action] = self.actions.get(finding.action, 0) + 1


Observer = Callable[[Finding], None]


@dataclass(frozen=True)
class SavedPass:
    """Where the scheduled reconciler keeps its pass between runs (adapters.reconcile_cursor)."""

    load: Callable[[], ReconcileCursor | None]
    # Stores the cursor if the stored one is still ``cursor.version - 1``; False otherwise.
    save: Callable[[ReconcileCursor], bool]


@dataclass
class _Run:
    request: RunRequest
    report: RunReport
    observe: Observer | None


@dataclass
class Reconciler:
    settings: Settings
    listing: RecoveryPointListingPort
    examiner: RecoveryPointExaminer
    clock: Callable[[], datetime]
    saved_pass: SavedPass | None = None  # the scheduled reconciler only
    page_size: int = 100

    def run(self, request: RunRequest, observe: Observer | None = None) -> RunReport:
        if request.resume and self.saved_pass is None:
            raise ValueError("a run that resumes needs a reconciler with a saved pass")
        cursor = self._starting_cursor(request)
        report = RunReport(
            RunOutcome.CONTINUED,
            cursor.coverage,
            pass_started_at=cursor.pass_started_at,
            created_after=cursor.created_after,
        )
        run = _Run(request, report, observe)
        while not cursor.done:
            cursor, carry_on = self._walk_vault(cursor, run)
            if not carry_on:
                return report
        report.outcome, report.coverage = RunOutcome.COMPLETE, cursor.coverage
        if request.resume:
            self._save(cursor.finished())
        return report

    def _walk_vault(self, cursor: ReconcileCursor, run: _Run) -> tuple[ReconcileCursor, bool]:
        """Walk the cursor's vault to its end; (cursor, False) when the run must stop."""
        vault = cursor.vault
        cursor, pages = self._open_pages(cursor)
        for page in pages:
            page_coverage, finished = self._walk_page(page, cursor, run)
            if not finished:
                # Walked again next time: a pass counts finished pages only.
                run.report.coverage = cursor.coverage.merge(page_coverage)
                return cursor, False
            run.report.pages += 1
            cursor = cursor.after_page(page.next_token, page_coverage)
            run.report.coverage = cursor.coverage
            if cursor.done:
                return cursor, True  # ``run`` saves the finished pass
            if run.request.resume:
                if not self._save(cursor):
                    return cursor, False  # another run saved first: it owns the pass now
                cursor = cursor.saved()
            if self._out_of_time(run.request):
                return cursor, False
            if cursor.vault != vault:
                return cursor, True
        # An empty vault yields no page: it ends without a next token.
        return cursor.after_page(None, Coverage()), True

    def _walk_page(
        self, page: RecoveryPointPage, cursor: ReconcileCursor, run: _Run
    ) -> tuple[Coverage, bool]:
        """The coverage of a page's in-scope points; False when time ran out before its end."""
        coverage = Coverage()
        points = [p for p in page.items if self._in_scope(p, cursor.created_after, run.request)]
        for position, point in enumerate(points, start=1):
            finding = self._examine(point, run.request.mode)
            coverage.add(finding)
            run.report.count(finding)
            if run.observe is not None:
                run.observe(finding)
            if position < len(points) and self._out_of_time(run.request):
                return coverage, False
        return coverage, True

    def _examine(self, point: ListedRecoveryPoint, mode: Mode) -> Finding:
        try:
            return self.examiner.examine(point, mode)
        except PermanentError as error:
            if error.reason in RUN_WIDE_PROBLEMS:
                raise
            return Finding(
                point, Standing.UNPROTECTED, NO_TARGET, error.reason, error.message, Action.ERROR
            )

    def _open_pages(
        self, cursor: ReconcileCursor
    ) -> tuple[ReconcileCursor, Iterator[RecoveryPointPage]]:
        vault = cursor.vault
        if vault is None:
            return cursor, iter(())
        pages = self._list(vault, cursor.created_after, cursor.page_token)
        try:
            first = next(pages, None)
        except PermanentError:
            if cursor.page_token is None:
                raise
            # NextToken is opaque and may not outlive a pass: walk the vault again.
            cursor = cursor.restart_vault()
            pages = self._list(vault, cursor.created_after, None)
            first = next(pages, None)
        return cursor, chain([first], pages) if first is not None else iter(())

    def _list(
        self, vault: str, created_after: datetime | None, token: str | None
    ) -> Iterator[RecoveryPointPage]:
        return self.listing.recovery_point_pages(
            vault, created_after=created_after, start_token=token, page_size=self.page_size
        )

    def _starting_cursor(self, request: RunRequest) -> ReconcileCursor:
        now = self.clock()
        vaults = request.vaults or tuple(sorted(self.settings.source_vault_names))
        created_after = (
            now - timedelta(days=request.look_back_days) if request.look_back_days else None
        )
        saved = self.saved_pass.load() if request.resume and self.saved_pass else None
        if saved is not None and not saved.done and saved.vaults == tuple(vaults):
            return saved
        return ReconcileCursor.first(vaults, created_after, now, previous=saved)

    def _save(self, cursor: ReconcileCursor) -> bool:
        return self.saved_pass.save(cursor.saved()) if self.saved_pass else True

    def _in_scope(
        self, point: ListedRecoveryPoint, created_after: datetime | None, request: RunRequest
    ) -> bool:
        if not point.is_finished:
            return False
        if created_after is not None and point.creation_date <= created_after:
            return False
        return request.point_filter is None or request.point_filter(point)

    def _out_of_time(self, request: RunRequest) -> bool:
        return request.deadline is not None and self.clock() >= request.deadline
