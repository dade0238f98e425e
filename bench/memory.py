"""Peak memory of each handler under a batch, in a fresh interpreter, against its MemorySize."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.functions import template_functions
from bench.results import Result

HANDLERS = {"handlers.copy_handler": "copy", "handlers.tracking_handler": "tracking"}


def _worker(workload: str, records: int, how: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", "memory", workload, str(records), how],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(["src", "."])},
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def peak_memory(records: int) -> list[Result]:
    results = []
    for function in template_functions():
        workload = HANDLERS.get(function.module)
        if workload is None:
            continue  # no batch workload for it yet
        measured = {**_worker(workload, records, "rss"), **_worker(workload, records, "python")}
        results.append(
            Result(
                f"peak memory: {function.name}",
                measured["rss_peak_mb"],
                "MB",
                float(function.memory_mb),
                "its MemorySize",
                1.0,
                detail={"records": records, **measured},
                note=(
                    f"process peak RSS over a {records}-record batch, interpreter and libraries "
                    f"included ({measured['rss_before_batch_mb']:.0f} MB before the batch); "
                    f"Python allocations peak at {measured['python_peak_mb']:.1f} MB"
                ),
            )
        )
    return results
