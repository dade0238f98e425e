"""The reconciler against in-memory ports: what it copies, settles, skips and reports.

Every heal goes through ``RecoveryPointCopier`` (the copier the live handler's ``CopyService``
holds) on ``FakeBackup``/``FakeLedger``, so the requests and ledger writes are the ones the copy
handler would make.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from core.copying.decision import idempotency_token
from core.kernel.config import Settings
from core.kernel.copy_jobs import CopyJobState
from core.kernel.errors import PermanentError, RetryableError
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.kernel.models import SourceLifecycle
from core.reconcile.coverage import Action, Finding, Standing
from core.reconcile.examine import Mode
from core.reconcile.reconciler import RunOutcome, RunRequest
from tests.fakes import make_facts
from tests.reconcile_fakes import NOW, World, entry, listed, make_world
from tests.samples import LAG_VAULT_ARN, MANAGED_VAULT_ARN
from tests.tracking_fakes import copy_job_facts, copy_update

HEAL = RunRequest(Mode.HEAL)


@pytest.fixture
def world(settings: Settings) -> World:
    return make_world(settings)


def run(world: World, request: RunRequest = HEAL) -> tuple[list[Finding], RunOutcome]:
    findings: list[Finding] = []
    report = world.reconciler.run(request, observe=findings.append)
    return findings, report.outcome


# --- heal: nothing in the ledger ------------------------------------------------------------


def test_given_a_point_whose_event_was_lost_when_healed_then_the_live_copy_path_copies_it(
    world: World,
) -> None:
    # Given a completed recovery point the ledger knows nothing about
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    # When the reconciler runs
    [finding], outcome = run(world)
    # Then one copy starts, with the request and token the copy handler would have used
    assert outcome is RunOutcome.COMPLETE
    assert (finding.standing, finding.action, finding.target) == (
        Standing.IN_FLIGHT,
        Action.COPY_STARTED,
        "lag",
    )
    [request] = world.backup.started
    assert request["RecoveryPointArn"] == point.arn
    assert request["IdempotencyToken"] == idempotency_token(point.arn, LAG_VAULT_ARN, 1)
    started = world.ledger.get(point.arn, LAG_VAULT_ARN)
    assert started is not None
    assert (started.state, started.copy_job_id) == (LedgerState.STARTED, "copy-job-1")


@pytest.mark.parametrize("resource_type", ["EBS", "Aurora"])
def test_given_a_dr_vault_point_of_a_foreign_plan_when_healed_then_it_is_copied_to_lag(
    world: World, resource_type: str
) -> None:
    # Given a recovery point in the DR vault (in LAG_SOURCE_VAULT_NAMES) made by a plan of the
    # primary Region, which no selector here lists and GetBackupPlan could not find
    point = listed(1, vault="dr", resource_type=resource_type, backup_plan_id="c0ffee00-plan")
    world.listing.vaults["dr"] = [point]
    # When the reconciler runs
    [finding], _ = run(world)
    # Then it goes to the LAG vault, like the live path, with no plan lookup
    assert (finding.action, finding.target) == (Action.COPY_STARTED, "lag")
    [request] = world.backup.started
    assert request["DestinationBackupVaultArn"] == LAG_VAULT_ARN
    assert world.backup.calls["GetBackupPlan"] == 0


def test_given_a_healed_point_when_the_reconciler_runs_again_then_no_second_copy(
    world: World,
) -> None:
    world.listing.vaults["daily"] = [listed(n) for n in range(4)]
    run(world)
    running = copy_update("copy-job-running.json")
    for number in range(1, 5):
        world.backup.copy_jobs[f"copy-job-{number}"] = copy_job_facts(running)
    findings, _ = run(world)
    assert world.backup.calls["StartCopyJob"] == 4
    assert {f.standing for f in findings} == {Standing.IN_FLIGHT}


def read_stale_once(world: World, then: LedgerEntry) -> None:
    """The live handler writes ``then`` right after the reconciler's first ledger read."""
    lookup = world.ledger.entries_for

    def stale_first_read(arn: str) -> list[LedgerEntry]:
        if world.ledger.lookups[arn] == 0:
            world.ledger.lookups[arn] += 1
            world.ledger.put(then)
            return []
        return lookup(arn)

    world.ledger.entries_for = stale_first_read  # type: ignore[method-assign, assignment]


def test_given_the_live_handler_starts_the_copy_meanwhile_when_healed_then_no_second_copy(
    world: World,
) -> None:
    # Given the live handler started the copy after the reconciler read the ledger
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    read_stale_once(world, entry(point, LAG_VAULT_ARN, LedgerState.STARTED, copy_job_id="live-job"))
    # When healed
    [finding], _ = run(world)
    # Then its claim stops the copy and the point is reported in flight with the live job
    assert world.backup.calls["StartCopyJob"] == 0
    assert (finding.standing, finding.action, finding.copy_job_id) == (
        Standing.IN_FLIGHT,
        Action.NONE,
        "live-job",
    )


def test_given_the_live_handler_claimed_but_not_started_when_healed_then_the_same_token(
    world: World,
) -> None:
    # Given a claim whose StartCopyJob may or may not have gone out yet
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    read_stale_once(world, entry(point, LAG_VAULT_ARN, LedgerState.PLANNED))
    # When healed, the claimed attempt resumes with its own IdempotencyToken: AWS answers a
    # repeat with the same copy job (API_StartCopyJob.html, IdempotencyToken)
    run(world)
    [request] = world.backup.started
    assert request["IdempotencyToken"] == idempotency_token(point.arn, LAG_VAULT_ARN, 1)


def test_given_a_continuous_point_when_healed_then_it_is_recorded_unprotectable_for_free(
    world: World,
) -> None:
    point = listed(1, arn="arn:aws:backup:us-east-1:111122223333:recovery-point:continuous:ab12")
    world.listing.vaults["daily"] = [point]
    [finding], _ = run(world)
    assert (finding.standing, finding.reason) == (Standing.UNPROTECTABLE, "skip-continuous")
    assert world.backup.calls == Counter()
    skip = world.ledger.get(point.arn, "-")
    assert skip is not None
    assert skip.state is LedgerState.UNPROTECTABLE


def test_given_a_native_lag_temporary_point_when_healed_then_skipped_and_out_of_scope(
    world: World,
) -> None:
    # Given the temporary recovery point of a backup-to-LAG rule (AWS copies it itself)
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    world.backup.facts[point.arn] = make_facts(
        point.arn, lifecycle=SourceLifecycle(delete_after_event="DELETE_AFTER_COPY")
    )
    # When healed
    report = world.reconciler.run(HEAL)
    # Then it is not copied, and not counted in scope
    assert world.backup.calls["StartCopyJob"] == 0
    assert report.coverage.totals()[Standing.SKIPPED] == 1
    assert report.coverage.in_scope == 0


def test_given_a_skip_decided_too_early_when_healed_then_the_point_is_decided_again(
    world: World,
) -> None:
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    world.ledger.put(entry(point, "-", LedgerState.SKIPPED, reason="skip-not-available"))
    [finding], _ = run(world)
    assert finding.action is Action.COPY_STARTED


# --- heal: explained by the ledger ---------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "standing"),
    [
        (LedgerState.PROTECTED, Standing.PROTECTED),
        (LedgerState.FAILED, Standing.FAILED),
        (LedgerState.KEY_DEPENDENT, Standing.KEY_DEPENDENT),
    ],
)
def test_given_a_settled_entry_when_healed_then_it_is_reported_and_nothing_is_called(
    world: World, state: LedgerState, standing: Standing
) -> None:
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    world.ledger.put(entry(point, LAG_VAULT_ARN, state, explanation="as recorded"))
    [finding], _ = run(world)
    assert (finding.standing, finding.target, finding.explanation) == (
        standing,
        "lag",
        "as recorded",
    )
    assert world.backup.calls == Counter()


def test_given_an_unprotectable_skip_when_healed_then_it_is_not_decided_again(
    world: World,
) -> None:
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    world.ledger.put(entry(point, "-", LedgerState.UNPROTECTABLE, reason="skip-cold"))
    [finding], _ = run(world)
    assert (finding.standing, finding.target) == (Standing.UNPROTECTABLE, "none")
    assert world.backup.calls == Counter()


# --- heal: copies in flight -------------------------------------------------------------------


def started(world: World, number: int, job: str = "job-1") -> str:
    point = listed(number)
    world.listing.vaults["daily"] = [point]
    world.ledger.put(entry(point, LAG_VAULT_ARN, LedgerState.STARTED, copy_job_id=job))
    return point.arn


def test_given_a_copy_that_completed_unnoticed_when_healed_then_tracking_settles_it(
    world: World,
) -> None:
    # Given a started copy whose COMPLETED event was lost
    arn = started(world, 1)
    done = copy_update("copy-job-completed.json", copyJobId="job-1")
    world.backup.copy_jobs["job-1"] = copy_job_facts(done)
    # When healed
    [finding], _ = run(world)
    # Then the tracking gets the event AWS did not deliver, rebuilt from DescribeCopyJob
    [update] = world.tracking.updates
    assert (update.copy_job_id, update.state) == ("job-1", CopyJobState.COMPLETED)
    assert (update.source_recovery_point_arn, update.destination_vault_arn) == (
        arn,
        LAG_VAULT_ARN,
    )
    assert update.destination_recovery_point_arn == done.destination_recovery_point_arn
    assert (finding.standing, finding.action) == (Standing.PROTECTED, Action.SETTLED)


def test_given_a_copy_that_failed_unnoticed_when_healed_then_tracking_gets_its_message(
    world: World,
) -> None:
    started(world, 1)
    failed = copy_update("copy-job-failed-throttled.json", copyJobId="job-1")
    world.backup.copy_jobs["job-1"] = copy_job_facts(failed, status_message="quota exceeded")
    run(world)
    [update] = world.tracking.updates
    assert (update.state, update.status_message) == (CopyJobState.FAILED, "quota exceeded")


def test_given_a_copy_still_running_when_healed_then_it_stays_in_flight(world: World) -> None:
    started(world, 1)
    running = copy_update("copy-job-running.json", copyJobId="job-1")
    world.backup.copy_jobs["job-1"] = copy_job_facts(running)
    [finding], _ = run(world)
    assert world.tracking.updates == []
    assert (finding.standing, finding.action) == (Standing.IN_FLIGHT, Action.NONE)
    assert world.backup.calls["DescribeCopyJob"] == 1


def test_given_a_copy_job_aws_no_longer_knows_when_healed_then_it_stays_in_flight(
    world: World,
) -> None:
    # Given a copy job record that expired (no entry in the fake: DescribeCopyJob fails)
    started(world, 1, job="job-gone")
    world.backup.copy_jobs.clear()
    original = world.backup.describe_copy_job

    def expired(copy_job_id: str) -> object:
        original.__self__.calls["DescribeCopyJob"] += 1  # type: ignore[attr-defined]
        raise RetryableError("ResourceNotFoundException", "no such job")

    world.backup.describe_copy_job = expired  # type: ignore[method-assign,assignment]
    [finding], outcome = run(world)
    assert (finding.standing, outcome) == (Standing.IN_FLIGHT, RunOutcome.COMPLETE)


def test_given_a_claim_without_a_copy_job_when_healed_then_aws_is_not_asked(
    world: World,
) -> None:
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    world.ledger.put(entry(point, LAG_VAULT_ARN, LedgerState.PLANNED))
    [finding], _ = run(world)
    assert finding.standing is Standing.IN_FLIGHT
    assert world.backup.calls == Counter()


# --- errors -------------------------------------------------------------------------------


def test_given_one_point_aws_refuses_when_healed_then_the_others_are_still_copied(
    world: World,
) -> None:
    world.listing.vaults["daily"] = [listed(1), listed(2)]
    world.backup.start_errors.append(PermanentError("InvalidRequestException", "no"))
    findings, outcome = run(world)
    assert outcome is RunOutcome.COMPLETE
    assert [f.action for f in findings] == [Action.ERROR, Action.COPY_STARTED]
    assert (findings[0].standing, findings[0].reason) == (
        Standing.UNPROTECTED,
        "InvalidRequestException",
    )


def test_given_access_denied_when_healed_then_the_run_stops_instead_of_failing_each_point(
    world: World,
) -> None:
    world.listing.vaults["daily"] = [listed(1), listed(2)]
    world.backup.start_errors.append(PermanentError("AccessDeniedException", "not allowed"))
    with pytest.raises(PermanentError):
        run(world)
    assert world.backup.calls["StartCopyJob"] == 1


def test_given_throttling_when_healed_then_the_error_ends_the_run(world: World) -> None:
    world.listing.vaults["daily"] = [listed(1)]
    world.backup.start_errors.append(RetryableError("ThrottlingException", "slow down"))
    with pytest.raises(RetryableError):
        run(world)


# --- dry run and status -----------------------------------------------------------------------


def test_given_an_unprotected_point_when_planned_then_the_request_is_shown_and_nothing_written(
    world: World,
) -> None:
    point = listed(1)
    world.listing.vaults["daily"] = [point]
    [finding], _ = run(world, RunRequest(Mode.PLAN))
    assert (finding.action, finding.target) == (Action.WOULD_COPY, "lag")
    assert finding.request is not None
    assert finding.request["DestinationBackupVaultArn"] == LAG_VAULT_ARN
    assert world.backup.calls == Counter({"DescribeRecoveryPoint": 1})
    assert world.ledger.entries == {}


def test_given_points_when_the_status_is_read_then_only_the_ledger_is_read(world: World) -> None:
    continuous = "arn:aws:backup:us-east-1:111122223333:recovery-point:continuous:ab12"
    world.listing.vaults["daily"] = [listed(1), listed(2, arn=continuous)]
    findings, _ = run(world, RunRequest(Mode.STATUS))
    # The continuous one is placed from its ARN alone, without a call or a write
    assert [(f.standing, f.reason) for f in findings] == [
        (Standing.UNPROTECTED, "no-ledger-entry"),
        (Standing.UNPROTECTABLE, "skip-continuous"),
    ]
    assert world.backup.calls == Counter()
    assert world.ledger.entries == {}


# --- scope: vaults, status, window, filter ------------------------------------------------------


def test_given_unfinished_points_when_walked_then_only_finished_ones_are_in_scope(
    world: World,
) -> None:
    world.listing.vaults["daily"] = [
        listed(1, status="CREATING"),
        listed(2, status="EXPIRED"),
        listed(3, status="COMPLETED"),
        listed(4, status="AVAILABLE"),
    ]
    findings, _ = run(world, RunRequest(Mode.STATUS))
    assert [f.point.arn[-1] for f in findings] == ["3", "4"]


def test_given_a_look_back_window_when_walked_then_older_points_are_left_out(
    world: World,
) -> None:
    world.listing.vaults["daily"] = [
        listed(1, age=timedelta(days=40)),
        listed(2, age=timedelta(days=34)),
    ]
    findings, _ = run(world, RunRequest(Mode.STATUS, look_back_days=35))
    assert [f.point.arn[-1] for f in findings] == ["2"]
    assert world.listing.created_after_seen[0] == NOW - timedelta(days=35)


def test_given_no_look_back_window_when_walked_then_every_point_is_in_scope(
    world: World,
) -> None:
    world.listing.vaults["daily"] = [listed(1, age=timedelta(days=400))]
    findings, _ = run(world, RunRequest(Mode.STATUS, look_back_days=None))
    assert len(findings) == 1
    assert world.listing.created_after_seen == [None] * 4  # one request per source vault


def test_given_no_vault_named_when_walked_then_every_source_vault_is_walked_in_order(
    world: World,
) -> None:
    run(world, RunRequest(Mode.STATUS))
    assert [vault for vault, _ in world.listing.requests] == ["daily", "dr", "hourly", "monthly"]


def test_given_a_filter_when_walked_then_only_matching_points_are_examined(world: World) -> None:
    world.listing.vaults["daily"] = [listed(1), listed(2, resource_type="EBS")]
    findings, _ = run(world, RunRequest(Mode.HEAL, point_filter=lambda p: p.resource_type == "EBS"))
    assert [f.point.resource_type for f in findings] == ["EBS"]
    assert world.ledger.lookups[listed(1).arn] == 0


def test_given_findings_when_a_pass_completes_then_the_coverage_counts_each_point_once(
    world: World,
) -> None:
    world.listing.vaults["daily"] = [listed(n) for n in range(3)]
    world.listing.vaults["hourly"] = [listed(n, vault="hourly") for n in range(2)]
    world.ledger.put(entry(listed(0), MANAGED_VAULT_ARN, LedgerState.PROTECTED))
    report = world.reconciler.run(HEAL)
    counts = report.coverage.metric_counts()
    assert (counts["in-scope"], counts["protected"], counts["in-flight"]) == (5, 1, 4)
    assert report.coverage.tallies[("daily", "S3", "managed")].counts[Standing.PROTECTED] == 1
