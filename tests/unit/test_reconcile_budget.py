"""Bounded work: a time budget, a cursor saved at page boundaries, and the next run resuming.

The manual clock moves one second per ledger lookup (one per recovery point examined), so each
deadline below stops a run after a known number of recovery points.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.kernel.config import Settings
from core.reconcile.coverage import Standing
from core.reconcile.cursor import ReconcileCursor
from core.reconcile.examine import Mode
from core.reconcile.reconciler import RunOutcome, RunReport, RunRequest, SavedPass
from tests.reconcile_fakes import CMK, NOW, MemoryCursors, World, listed, make_world

SECOND = timedelta(seconds=1)


@pytest.fixture
def world(settings: Settings) -> World:
    """Seven recovery points in ``daily``, pages of three; the other source vaults are empty."""
    world = make_world(settings, page_size=3)
    world.listing.vaults["daily"] = [listed(n) for n in range(7)]
    return world


def resume(world: World, seconds: float | None = None, **changes: object) -> RunReport:
    deadline = world.clock.now + seconds * SECOND if seconds is not None else None
    request = RunRequest(Mode.HEAL, deadline=deadline, resume=True, look_back_days=35)
    return world.reconciler.run(replace(request, **changes))


def stored(world: World) -> ReconcileCursor:
    assert world.cursors.stored is not None
    return world.cursors.stored


def test_given_a_budget_for_four_points_when_run_then_it_stops_and_saves_the_finished_page(
    world: World,
) -> None:
    # When a run may examine about four recovery points
    report = resume(world, 4.5)
    # Then it stops inside the second page; the cursor points at that page, and counts the first
    assert report.outcome is RunOutcome.CONTINUED
    assert report.examined == 5
    cursor = stored(world)
    assert (cursor.vault, cursor.page_token) == ("daily", "3")
    assert cursor.coverage.in_scope == 3


def test_given_a_continued_pass_when_the_next_run_resumes_then_it_ends_with_exact_counts(
    world: World,
) -> None:
    # Given a first run that stopped inside the second page
    resume(world, 4.5)
    # When the next run has time
    report = resume(world)
    # Then it starts at the saved page, finishes the pass, and counts every point once
    assert world.listing.requests[2] == ("daily", "3")
    assert report.outcome is RunOutcome.COMPLETE
    assert report.coverage.in_scope == 7
    assert report.coverage.totals()[Standing.IN_FLIGHT] == 7
    assert world.backup.calls["StartCopyJob"] == 7  # the twice-walked page copied nothing twice


def test_given_no_time_at_all_when_run_then_one_point_is_still_examined(world: World) -> None:
    # A run always makes progress, so a slow point cannot hold the pass back forever
    report = resume(world, 0)
    assert (report.outcome, report.examined) == (RunOutcome.CONTINUED, 1)
    assert world.backup.calls["StartCopyJob"] == 1
    assert world.cursors.saves == 0  # the page was not finished


def test_given_time_running_out_at_a_page_boundary_when_run_then_the_next_page_is_saved(
    world: World,
) -> None:
    report = resume(world, 3)
    assert (report.outcome, report.examined) == (RunOutcome.CONTINUED, 3)
    assert stored(world).page_token == "3"


def test_given_a_finished_pass_when_the_next_run_starts_then_a_new_pass_begins(
    world: World,
) -> None:
    # Given a finished pass
    resume(world)
    assert stored(world).done
    # When the next run starts, an hour later
    world.clock.advance(timedelta(hours=1))
    world.listing.requests.clear()
    started_at = world.clock.now
    report = resume(world)
    # Then it walks again from the first vault's first page
    assert world.listing.requests[0] == ("daily", None)
    assert report.pass_started_at == started_at
    assert report.coverage.in_scope == 7


def test_given_a_finished_pass_when_saved_then_it_remembers_which_keys_encrypt_which_vaults(
    world: World,
) -> None:
    resume(world)
    assert stored(world).last_key_usage == {CMK: frozenset({"daily"})}


def test_given_a_refused_saved_token_when_resumed_then_the_vault_is_walked_again_once(
    world: World,
) -> None:
    # Given a saved cursor in the second page, whose NextToken AWS no longer accepts
    resume(world, 4.5)
    world.listing.refused_tokens.add("3")
    # When resumed
    report = resume(world)
    # Then the vault is walked from its start, and its first page is not counted twice
    assert ("daily", None) in world.listing.requests[2:]
    assert report.coverage.in_scope == 7


def test_given_another_run_saved_first_when_this_run_saves_then_it_stops(
    world: World,
) -> None:
    # Given a store where another run's save lands before this run's
    class Contended(MemoryCursors):
        def save(self, cursor: ReconcileCursor) -> bool:
            return False

    contended = Contended()
    world.reconciler.saved_pass = SavedPass(contended.load, contended.save)
    # When this run finishes its first page
    report = resume(world)
    # Then it stops there instead of walking the pass twice in parallel
    assert report.outcome is RunOutcome.CONTINUED
    assert world.listing.requests == [("daily", None)]


def test_given_a_pass_over_other_vaults_when_resumed_then_a_new_pass_starts(
    world: World,
) -> None:
    resume(world, 4.5)
    world.listing.requests.clear()
    resume(world, vaults=("daily", "hourly"))
    assert world.listing.requests[0] == ("daily", None)


def test_given_a_pass_over_several_runs_when_resumed_then_its_look_back_bound_stays_fixed(
    world: World,
) -> None:
    resume(world, 4.5)
    world.clock.advance(timedelta(days=1))
    resume(world)
    assert set(world.listing.created_after_seen) == {NOW - timedelta(days=35)}


def test_given_a_run_that_does_not_resume_when_it_stops_then_nothing_is_saved(
    world: World,
) -> None:
    report = resume(world, 4.5, resume=False)
    assert report.outcome is RunOutcome.CONTINUED
    assert world.cursors.saves == 0
    # What it walked is still reported, the unfinished page included
    assert report.coverage.in_scope == 5


def test_given_a_reconciler_without_a_saved_pass_when_asked_to_resume_then_it_refuses(
    world: World,
) -> None:
    # Given a reconciler wired without a pass (the key guard's, copyctl's)
    world.reconciler.saved_pass = None
    # When a run asks to resume / Then it is a wiring error, not a silent run without a cursor
    with pytest.raises(ValueError, match="saved pass"):
        resume(world)
    assert world.listing.requests == []
