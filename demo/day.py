"""One simulated day: the plans fire, events flow to the handlers, copy jobs run to the end.

During the day the clock moves in steps; after each step every queued event is delivered, so the
copy jobs the handlers start run in the next step, as they would in AWS. After the day the clock
stops (no plan fires any more) and the jobs are moved step by step (``advance_jobs``) until
nothing changes: no job moved, no event held back, no record delivered or waiting for redelivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import emulator
from demo.stack import DemoStack
from localrun.runtime import LambdaRuntime

DRAIN_ROUNDS = 200


@dataclass(slots=True)
class DayRun:
    start: datetime
    end: datetime
    steps: int = 0
    drain_rounds: int = 0
    quiescent: bool = False
    scheduled_runs: int = 0
    redeliveries: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "steps": self.steps,
            "drain_rounds": self.drain_rounds,
            "quiescent": self.quiescent,
            "scheduled_runs": self.scheduled_runs,
            "redeliveries": self.redeliveries,
        }


def run_day(
    runtime: LambdaRuntime[DemoStack],
    *,
    hours: float = 24,
    step_minutes: float = 60,
    run_scheduled: bool = False,
) -> DayRun:
    """Run ``hours`` of the plans from the emulator's current time, then drain to quiescence.

    ``run_scheduled``: at the end of the day, fire every Schedule-triggered function once (the
    reconciler's nightly run) and drain again.
    """
    run = DayRun(start=emulator.now(), end=emulator.now())
    remaining = hours * 60
    while remaining > 0:
        step = min(step_minutes, remaining)
        emulator.advance_clock(minutes=step)
        run.redeliveries += runtime.release_failed()
        runtime.pump_all()
        remaining -= step
        run.steps += 1
    run.end = emulator.now()
    run.quiescent = _drain(runtime, run)
    if run_scheduled and runtime.stack.scheduled_functions:
        for spec in runtime.stack.scheduled_functions:
            runtime.invoke_scheduled(spec, emulator.now())
            run.scheduled_runs += 1
        run.quiescent = _drain(runtime, run)
    return run


def _drain(runtime: LambdaRuntime[DemoStack], run: DayRun) -> bool:
    """Move jobs and deliver events until nothing changes; False if the bound is reached."""
    for _ in range(DRAIN_ROUNDS):
        run.drain_rounds += 1
        released = runtime.release_failed()
        run.redeliveries += released
        delivered = runtime.pump_all()
        moved = emulator.advance_jobs()
        flushed = emulator.flush_events()
        if not (released or delivered or moved or flushed):
            return True
    return False
