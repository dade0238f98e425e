"""Measurements that need a fresh interpreter: ``python -m bench.worker <kind> <target> ...``.

- ``cold <module>``: import a handler module and build its wiring (its cached, argument-free
  ``*_dependencies`` factories: settings and clients), or ``cold baseline``: ``import boto3;
  boto3.client("backup")``. Prints the seconds it took.
- ``memory <copy|tracking|reconcile> <size> <rss|python>``: one batch of ``size`` records through
  a handler, or one reconcile run over ``size`` recovery points, with AWS answered in memory;
  prints the process's peak RSS, or the peak of Python allocations.
"""

from __future__ import annotations

import importlib
import inspect
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


def dependency_factories(module: ModuleType) -> list[Callable[[], Any]]:
    """The handler's wiring: cached factories taking no argument, named ``*_dependencies``."""
    found = []
    for name, value in vars(module).items():
        wrapped = getattr(value, "__wrapped__", None)
        cached = name.endswith("_dependencies") and hasattr(value, "cache_clear") and wrapped
        if cached and not inspect.signature(wrapped).parameters:
            found.append(value)
    return found


def cold(target: str) -> dict[str, Any]:
    started = time.perf_counter()
    if target == "baseline":
        import boto3  # noqa: PLC0415 - the import is what is measured

        boto3.client("backup")
        return {"seconds": time.perf_counter() - started, "factories": 0}
    module = importlib.import_module(target)
    factories = dependency_factories(module)
    for factory in factories:
        factory()
    return {"seconds": time.perf_counter() - started, "factories": len(factories)}


def memory(handler: str, records: int, how: str) -> dict[str, Any]:
    """``rss``: the process's peak resident memory; ``python``: tracemalloc's peak
    (separate runs: tracing allocations inflates the RSS)."""
    workload = _workload(handler)
    if how == "python":
        tracemalloc.start()
        workload(records)
        return {"python_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}
    before = peak_rss_mb()
    workload(records)
    return {"rss_peak_mb": peak_rss_mb(), "rss_before_batch_mb": before}


def _workload(handler: str) -> Callable[[int], None]:
    """``copy``/``tracking``: one SQS batch of that many records; ``reconcile``: one healing run
    over that many recovery points. Imported after the interpreter's own start."""
    if handler == "reconcile":
        from bench.reconcile_scan import scan_once  # noqa: PLC0415

        return scan_once
    from bench.batches import run_batch  # noqa: PLC0415

    return lambda records: run_batch(handler, records)


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux keeps getrusage's ru_maxrss across exec, so a
    child of a big parent would report the parent's peak; VmHWM belongs to this image alone."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main(argv: list[str]) -> None:
    kind, *args = argv
    answer = cold(args[0]) if kind == "cold" else memory(args[0], int(args[1]), args[2])
    print(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1:])
