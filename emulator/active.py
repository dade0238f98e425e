"""The jobs still CREATED or RUNNING, kept apart so the scheduler never walks finished work.

A burst of 10,000 copies under a 100-copy quota leaves ~9,900 jobs waiting while the clock moves
through ~10,000 finish times; walking every waiting job at every tick made that quadratic. Here
the running jobs are a separate (small) set and the waiting ones are grouped by the quotas they
count against, so a tick can tell at once that every waiting job is blocked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from emulator.quotas import QuotaKey, quota_keys

Lane = tuple[QuotaKey, ...]  # the quotas a waiting job counts against; () for none


class ActiveJobs:
    """Waiting (CREATED) and running jobs; waiting ones iterate in creation order."""

    def __init__(self) -> None:
        # In creation order: jobs are created as the clock moves forward (re-sorted on the rare
        # job created before another, after a test winds the clock back).
        self._waiting: dict[str, tuple[Any, Lane]] = {}
        self._running: dict[str, tuple[Any, Lane]] = {}
        self._lanes: Counter[Lane] = Counter()

    def __len__(self) -> int:
        return len(self._waiting) + len(self._running)

    def add(self, job: Any) -> None:
        """A new CREATED job, in the lane of the quotas it counts against."""
        lane = quota_keys(job)
        latest = next(reversed(self._waiting.values()), None)
        self._waiting[job.job_id] = (job, lane)
        self._lanes[lane] += 1
        if latest is not None and job.creation_date < latest[0].creation_date:
            ordered = sorted(self._waiting.items(), key=lambda item: item[1][0].creation_date)
            self._waiting = dict(ordered)

    def started(self, job: Any) -> None:
        lane = self._leave_waiting(job.job_id)
        self._running[job.job_id] = (job, quota_keys(job) if lane is None else lane)

    def finished(self, job: Any) -> None:
        self._leave_waiting(job.job_id)
        self._running.pop(job.job_id, None)

    def waiting(self) -> Iterator[tuple[Any, Lane]]:
        """(job, lane) in creation order; safe to start jobs while iterating."""
        return iter(list(self._waiting.values()))

    def waiting_lanes(self) -> int:
        return len(self._lanes)

    def running(self) -> list[Any]:
        """In creation order."""
        jobs = (job for job, _ in self._running.values())
        return sorted(jobs, key=lambda job: job.creation_date)

    def running_lanes(self) -> Iterator[tuple[Any, Lane]]:
        """(job, lane) of every running job, in no particular order."""
        return iter(self._running.values())

    def _leave_waiting(self, job_id: str) -> Lane | None:
        entry = self._waiting.pop(job_id, None)
        if entry is None:
            return None
        lane = entry[1]
        self._lanes[lane] -= 1
        if not self._lanes[lane]:
            del self._lanes[lane]
        return lane
