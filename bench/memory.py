"""Peak memory of each handler under its workload, in a fresh interpreter, against its MemorySize.

The copy and tracking functions take an SQS batch; the reconciler a scan of recovery points. The
key guard handles one small KMS event per invocation and has no workload to grow with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.functions import template_functions
from bench.results import Result

HANDLERS = {
    "handlers.copy_handler": "copy",
    "handlers.tracking_handler": "tracking",
    "handlers.reconcile_handler": "reconcile",
}


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


def _what(workload: str, size: int) -> str:
    if workload == "reconcile":
        return f"a {size:,}-point reconcile run"
    return f"a {size}-record batch"


def peak_memory(records: int, points: int) -> list[Result]:
    results = []
    for function in template_functions():
        workload = HANDLERS.get(function.module)
        if workload is None:
            continue  # the key guard: one small event per invocation
        size = points if workload == "reconcile" else records
        measured = {**_worker(workload, size, "rss"), **_worker(workload, size, "python")}
        results.append(
            Result(
                f"peak memory: {function.name}",
                measured["rss_peak_mb"],
                "MB",
                float(function.memory_mb),
                "its MemorySize",
                1.0,
                detail={"size": size, **measured},
                note=(
                    f"process peak RSS over {_what(workload, size)}, interpreter and libraries "
                    f"included ({measured['rss_before_batch_mb']:.0f} MB before it); "
                    f"Python allocations peak at {measured['python_peak_mb']:.1f} MB"
                ),
            )
        )
    return results
