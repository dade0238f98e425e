"""``python -m bench [--quick] [--only cold,warm,...] [--burst N]``: run, print, write JSON."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from bench.results import Result, table, write

OUTPUT = Path("bench/results/latest.json")  # bench/results/ is gitignored


def _measurements(args: argparse.Namespace) -> dict[str, Callable[[], list[Result]]]:
    # Imported here: each measurement pulls in what it needs (moto, the emulator) only if run.
    from bench.burst import burst  # noqa: PLC0415
    from bench.cold_start import cold_starts  # noqa: PLC0415
    from bench.demo_day import demo_day  # noqa: PLC0415
    from bench.memory import peak_memory  # noqa: PLC0415
    from bench.org import org_scale  # noqa: PLC0415
    from bench.org_status import org_status  # noqa: PLC0415
    from bench.packaging import packaging  # noqa: PLC0415
    from bench.reconcile_scan import reconcile_scan  # noqa: PLC0415
    from bench.warm import calls_per_outcome, warm_cost  # noqa: PLC0415

    records = 200 if args.quick else 1000
    points = 10_000 if args.quick else 100_000
    return {
        "cold": lambda: cold_starts(runs=15),
        "warm": lambda: warm_cost(records, repeats=3 if args.quick else 5),
        "calls": lambda: calls_per_outcome(records),
        "memory": lambda: peak_memory(records, points),
        "burst": lambda: burst(args.burst or (200 if args.quick else 10_000)),
        "reconcile": lambda: reconcile_scan(points),
        "demo": lambda: demo_day(10 if args.quick else 50),
        "packaging": packaging,
        "org-status": lambda: org_status(10, 40) if args.quick else org_status(50, 200),
        # issue 15: 50 accounts x 3 Regions (and the DR Region), against a quarter of it
        "org": lambda: org_scale(8, 2) if args.quick else org_scale(50, 3),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller batches, for a quick look")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated: cold,warm,calls,memory,burst,reconcile,demo,packaging,org,"
        "org-status",
    )
    parser.add_argument("--burst", type=int, default=0, help="completed backups in the burst")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # Powertools' empty-metrics warning, once per batch
    logging.disable(logging.WARNING)
    measurements = _measurements(args)
    chosen = [name for name in args.only.split(",") if name] or list(measurements)
    results: list[Result] = []
    for name in chosen:
        started = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        results += measurements[name]()
        print(f"[bench] {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(table(results))
    write(results, args.output, "python -m bench " + " ".join(argv))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
