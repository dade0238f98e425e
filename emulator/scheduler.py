"""When jobs move: on an explicit ``advance_jobs()`` or as the simulated clock passes their time.

A job leaves CREATED only when AWS would let it run (aws-backup-limits.html): one backup-or-copy job
at a time per resource, at most 100 concurrent copies of fully managed types per destination Region,
and the per-type limits for copies into logically air-gapped vaults. The others wait in CREATED.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from emulator import plans
from emulator.active import Lane
from emulator.backend import EmulatorBackend, all_backends
from emulator.control import STATE_LOCK, control
from emulator.events import flush_held_events
from emulator.jobs import begin_backup, begin_copy, finish_backup, finish_copy
from emulator.models import BackupJob, CopyJob, RecoveryPoint
from emulator.quotas import QuotaKey

Job = BackupJob | CopyJob


def _held(job: Job, hold: str | None) -> bool:
    """``hold``: the state the faults hold copy jobs in (``faults.hold_copy_jobs_in``), if any."""
    return hold is not None and isinstance(job, CopyJob) and hold == job.state


class _Slots:
    """What the running jobs occupy: resources and per-quota counts, so admission is O(1) a job."""

    def __init__(self, running: Iterable[tuple[Job, Lane]]) -> None:
        config = control().config
        self._fully_managed_quota = config.fully_managed_copy_quota
        self._lag_quotas = config.lag_copy_quotas
        self._busy: set[tuple[str, str]] = set()
        self._counts: Counter[QuotaKey] = Counter()
        for job, lane in running:
            self.take(job, lane)

    def take(self, job: Job, lane: Lane) -> None:
        self._busy.add((job.account, job.resource_arn))
        self._counts.update(lane)

    def lane_full(self, lane: Lane) -> bool:
        """No job of this lane can start until a running one finishes."""
        return any(self._counts[key] >= limit for key, limit in self._limits(lane))

    def resource_busy(self, job: Job) -> bool:
        return (job.account, job.resource_arn) in self._busy

    def _limits(self, lane: Lane) -> list[tuple[QuotaKey, int]]:
        limits = []
        for key in lane:
            kind, _account, _region, resource_type = key
            limit = (
                self._fully_managed_quota
                if kind == "fully-managed"
                else self._lag_quotas.get(resource_type)
            )
            if limit is not None:
                limits.append((key, limit))
        return limits


def _start_eligible(now: datetime) -> int:
    state = control()
    active, hold = state.active_jobs, state.faults.hold_copy_jobs_in
    slots = _Slots(active.running_lanes())
    full: set[Lane] = set()
    moved = 0
    for job, lane in active.waiting():
        if len(full) == active.waiting_lanes():
            break  # every waiting job counts against a full quota
        if lane in full or _held(job, hold) or slots.resource_busy(job):
            continue
        if slots.lane_full(lane):
            full.add(lane)
            continue
        begin_copy(job, now) if isinstance(job, CopyJob) else begin_backup(job, now)
        moved += 1
        if job.state == "RUNNING":
            slots.take(job, lane)
    return moved


def _finish(job: Job, now: datetime) -> None:
    if isinstance(job, CopyJob):
        finish_copy(job, now)
    else:
        finish_backup(job, now)


def _finish_running(now: datetime, *, only_due: bool) -> int:
    finished, hold = 0, control().faults.hold_copy_jobs_in
    for job in control().active_jobs.running():
        due = job.due()
        if _held(job, hold) or (only_due and (due is None or due > now)):
            continue
        _finish(job, now)
        finished += 1
    return finished


def _end_of_tick() -> None:
    if control().faults.reorder_events:
        flush_held_events()


def advance_jobs(steps: int = 1) -> int:
    """Move every job one step (finish RUNNING ones, then start CREATED ones), ignoring durations.

    Returns the number of state changes; the clock does not move.
    """
    with STATE_LOCK:
        now, moved = control().clock.now(), 0
        for _ in range(steps):
            moved += _finish_running(now, only_due=False) + _start_eligible(now)
        _end_of_tick()
        return moved


def settle(max_steps: int = 100) -> int:
    """advance_jobs() until nothing moves any more (held jobs stay where they are)."""
    total = 0
    for _ in range(max_steps):
        moved = advance_jobs()
        if not moved:
            break
        total += moved
    return total


def advance_clock(delta: timedelta) -> int:
    """Let simulated time pass: plans fire, jobs start and finish on time, lifecycles apply."""
    with STATE_LOCK:
        state = control()
        start = state.clock.now()
        target = start + delta
        pending = plans.firings(start, target) if state.config.run_backup_plans else []
        moved = _start_eligible(start)
        while True:
            next_time = _next_time(pending, target)
            if next_time is None:
                break
            # A job released from a hold may be overdue: it finishes now, time never runs back.
            next_time = max(next_time, state.clock.now())
            state.clock.set(next_time)
            moved += _tick(next_time, pending)
        state.clock.set(target)
        moved += _start_eligible(target) + _apply_lifecycles(target)
        _end_of_tick()
        return moved


def _next_time(pending: list[plans.Firing], target: datetime) -> datetime | None:
    hold = control().faults.hold_copy_jobs_in
    running = [job for job, _ in control().active_jobs.running_lanes()]
    candidates = [due for job in running if not _held(job, hold) and (due := job.due())]
    if pending:
        candidates.append(pending[0].at)
    upcoming = min(candidates, default=None)
    return upcoming if upcoming is not None and upcoming <= target else None


def _tick(now: datetime, pending: list[plans.Firing]) -> int:
    moved = _finish_running(now, only_due=True)
    while pending and pending[0].at <= now:
        moved += len(plans.run(pending.pop(0)))
    return moved + _apply_lifecycles(now) + _start_eligible(now)


def _apply_lifecycles(now: datetime) -> int:
    """API_Lifecycle.html: recovery points move to cold storage, then expire, at their dates."""
    state = control()
    if not state.config.apply_lifecycle or state.lifecycle_due is None or state.lifecycle_due > now:
        return 0
    state.lifecycle_due = None
    changed = 0
    for backend in all_backends():
        for point in list(backend.all_recovery_points()):
            changed += _apply_lifecycle(backend, point, now)
    return changed


def _apply_lifecycle(backend: EmulatorBackend, point: RecoveryPoint, now: datetime) -> int:
    dates = point.calculated_lifecycle()
    delete_at, cold_at = dates.get("DeleteAt"), dates.get("MoveToColdStorageAt")
    if delete_at and delete_at <= now:
        del backend.recovery_points[point.vault_name][point.arn]
        return 1
    changed = 0
    if point.storage_class == "WARM" and cold_at and cold_at <= now:
        point.storage_class = "COLD"
        changed = 1
    pending = [delete_at] if delete_at else []
    if point.storage_class == "WARM" and cold_at:
        pending.append(cold_at)
    control().note_lifecycle(pending)
    return changed
