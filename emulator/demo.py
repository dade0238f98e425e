"""`make demo`: the product's main job, end to end, on the local AWS Backup emulator.

1. provision template.yaml in the emulator (moto in-process; no AWS account, no network);
2. register an estate of resources of many types for the template's backup plans;
3. run one simulated day of the plans; deliver every event EventBridge routes to SQS to the real
   handler code, as Lambda would (``demo_lambda``); run the copy jobs to the end;
4. print the copy-status report built from the ledger table and AWS Backup's own view, and exit
   1 if a promise is broken: a duplicate copy, a lost recovery point, an unexplained skip.

    python -m emulator.demo [--seed N] [--resources N] [--faults PROFILE] [--json FILE]
                            [--html FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from emulator.demo_html import write_demo_html
from emulator.demo_render import render_text, write_json
from emulator.demo_run import (
    DEFAULT_RESOURCES,
    DEFAULT_SEED,
    DEFAULT_START,
    FAULT_PROFILES,
    ROOT,
    DemoOptions,
    demo_session,
    run_demo,
)

__all__ = ["FAULT_PROFILES", "main", "parse_options"]


def parse_options(argv: Sequence[str] | None = None) -> DemoOptions:
    parser = argparse.ArgumentParser(
        prog="python -m emulator.demo",
        description="One simulated day of the backup copy orchestrator on the local emulator.",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same run")
    parser.add_argument(
        "--resources", type=_positive, default=DEFAULT_RESOURCES, help="estate size"
    )
    parser.add_argument(
        "--faults",
        choices=sorted(FAULT_PROFILES),
        default="none",
        help="flaky: throttling, 5xx, failed copies, duplicate and reordered events; "
        "lossy: dropped events too (only a reconciler run heals them)",
    )
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the report here")
    parser.add_argument(
        "--html",
        type=Path,
        dest="html_path",
        metavar="FILE",
        help="also write the report as one self-contained HTML page (the dashboard's figures)",
    )
    parser.add_argument("--log", type=Path, dest="log_path", help="write the handlers' logs here")
    parser.add_argument("--start", type=_moment, default=DEFAULT_START, help="ISO-8601 UTC")
    parser.add_argument("--hours", type=float, default=24, help="length of the simulated day")
    parser.add_argument(
        "--template", type=Path, default=ROOT / "template.yaml", help="the SAM template to run"
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter (repeatable)",
    )
    parser.add_argument(
        "--run-scheduled",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="at the end of the day, run every schedule-triggered function once (the reconciler)",
    )
    parser.add_argument(
        "--managed-vault-policy",
        choices=["fail", "keep-source-key", "reencrypt"],
        default="fail",
        help="what a copy of a not fully managed type into an aws/backup vault does (AWS: open)",
    )
    parser.add_argument(
        "--dynamodb-advanced",
        action="store_true",
        help="DynamoDB advanced backup features on (copyable); default off (not copyable)",
    )
    args = parser.parse_args(argv)
    return DemoOptions(
        template=args.template,
        parameters=dict(_pair(text) for text in args.parameter),
        seed=args.seed,
        resources=args.resources,
        faults=args.faults,
        start=args.start,
        hours=args.hours,
        run_scheduled=args.run_scheduled,
        managed_vault_policy=args.managed_vault_policy,
        dynamodb_advanced=args.dynamodb_advanced,
        json_path=args.json_path,
        html_path=args.html_path,
        log_path=args.log_path,
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator:
        raise SystemExit(f"--parameter needs KEY=VALUE, got {text!r}")
    return key, value


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    log_file = options.log_path.open("w", encoding="utf-8") if options.log_path else nullcontext()
    with log_file as log, demo_session(options.region):
        result = run_demo(options, log=log)
    sys.stdout.write(render_text(result.report))
    if options.json_path:
        write_json(result.report, options.json_path)
        sys.stdout.write(f"\nJSON report written to {options.json_path}\n")
    if options.html_path:
        stack = result.stack
        parameters = stack.provisioned.parameters
        write_demo_html(
            result.report, options.html_path, stack_name=stack.stack_name, parameters=parameters
        )
        sys.stdout.write(f"\nHTML report written to {options.html_path}\n")
    return 0 if result.report.promises_kept else 1


if __name__ == "__main__":
    sys.exit(main())
