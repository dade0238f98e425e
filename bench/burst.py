"""Burst: N completed backups at once against the emulator's 100-concurrent-copy quota.

Fully managed resources (S3) copied into the managed-key vault, so every copy counts against the
per-Region quota of 100 concurrent copies (aws-backup-limits.html). Checks every recovery point is
protected and none copied twice; compares the simulated drain time with the quota's theoretical
minimum: max(longest copy, total copy time / quota). Also counts the AWS calls per protected
recovery point, copy and tracking handlers together.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from contextlib import redirect_stdout
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import emulator
from adapters import clients
from bench.results import Result
from emulator.backend import backend_for
from localrun.outcomes import copied_twice, outcome
from localrun.pipeline import Pipeline, Queue, buckets, pipeline
from localrun.samples import ACCOUNT, REGION

QUOTA = 100
SERVICES = ("backup", "dynamodb", "kms", "sns", "sqs")


def _count_calls(made: Pipeline) -> Counter[tuple[str, str]]:
    """(handler, "service:Operation") -> calls; the handlers share their clients."""
    calls: Counter[tuple[str, str]] = Counter()
    current = {"handler": "?"}
    for service in SERVICES:

        def counted(model: Any, _service: str = service, **_: Any) -> None:
            calls[(current["handler"], f"{_service}:{model.name}")] += 1

        getattr(clients, service)().meta.events.register("after-call", counted)
    for queue in (made.copy, made.tracking):
        _tag(queue, current)
    return calls


def _tag(queue: Queue, current: dict[str, str]) -> None:
    handler = queue.handler

    def lambda_handler(event: dict[str, Any], context: Any) -> Any:
        current["handler"] = queue.name
        return handler.lambda_handler(event, context)

    queue.handler = SimpleNamespace(lambda_handler=lambda_handler)  # type: ignore[assignment]


def _drain(quota: int) -> tuple[float, float, int]:
    """(simulated drain seconds, theoretical minimum seconds, copy jobs)."""
    jobs = list(backend_for(ACCOUNT, REGION).copy_jobs.values())
    durations = [job.duration.total_seconds() for job in jobs]
    first = min(job.creation_date for job in jobs)
    last = max(job.completion_date for job in jobs)  # type: ignore[type-var]
    minimum = max(*durations, sum(durations) / quota)
    return (last - first) / timedelta(seconds=1), minimum, len(jobs)  # type: ignore[operator]


def burst(count: int) -> list[Result]:
    started = time.perf_counter()
    with (
        open(os.devnull, "w", encoding="utf-8") as sink,
        redirect_stdout(sink),  # the handlers' metrics (EMF), one line per decision and result
        pipeline(config={"fully_managed_copy_quota": QUOTA}) as made,
    ):
        made.add_plan("plain-plan", buckets(count))
        calls = _count_calls(made)
        made.back_up()
        emulator.configure(run_backup_plans=False)  # one burst, not a daily schedule
        steps = made.run(step_minutes=10)
        run = outcome(made)
        drain, minimum, jobs = _drain(QUOTA)
    wall = time.perf_counter() - started
    protected = run.count()["protected"]
    per_point = Counter({f"{h}/{op}": n / max(protected, 1) for (h, op), n in calls.items()})
    return [
        Result(
            f"burst {count}: recovery points not protected",
            count - protected,
            "points",
            target=0,
            detail=dict(run.count()),
            note=f"{len(run.backups)} backups completed",
        ),
        Result(
            f"burst {count}: copied twice",
            len(copied_twice(run)),
            "points",
            target=0,
            detail={"copy_jobs": jobs},
        ),
        Result(
            f"burst {count}: simulated drain time",
            drain / 3600,
            "h",
            minimum / 3600,
            f"quota minimum, {QUOTA} at once",
            detail={"steps": steps, "step_minutes": 10, "wall_seconds": wall},
            note=f"{wall:.0f} s of wall time; 10-minute clock steps add up to one step per copy",
        ),
        Result(
            f"burst {count}: AWS calls per protected point",
            sum(per_point.values()),
            "calls",
            detail=dict(sorted(per_point.items())),
            note="copy and tracking handlers together (detail: per handler and operation)",
        ),
    ]
