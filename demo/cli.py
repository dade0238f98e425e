"""``python -m demo`` (``make demo``): the product's main job, end to end, on the local AWS
Backup emulator. One command line, two uses:

- a simulated day (no ``--events``):
  1. provision template.yaml in the emulator (moto in-process; no AWS account, no network);
  2. register an estate of resources of many types for the template's backup plans;
  3. run one simulated day of the plans; deliver every event EventBridge routes to SQS to the
     real handler code, as Lambda would (``localrun.runtime``); run the copy jobs to the end;
  4. print the copy-status report built from the ledger table and AWS Backup's own view, and
     exit 1 if a promise is broken: a duplicate copy, a lost recovery point, an unexplained skip.
- ``--events FILE...``: those event files replayed through template.yaml (``demo.replay``), the
  offline equivalent of ``sam local invoke`` with the rest of AWS around the function; exit 1 if
  a function invocation failed. ``copyctl demo --events`` is this, through ``add_replay_arguments``
  and ``replay``.

    python -m demo [--seed N] [--resources N] [--faults PROFILE] [--json [FILE]] [--html FILE]
    python -m demo --events FILE... [--json [FILE]]

This module imports only the standard library and ``demo.defaults`` at load time: copyctl builds
its parser with it. Usage errors raise ``OrchestratorError`` (one line, exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from core.kernel.errors import OrchestratorError
from demo.defaults import (
    DEFAULT_RESOURCES,
    DEFAULT_SEED,
    DEFAULT_START,
    FAULT_PROFILES,
    MANAGED_VAULT_POLICIES,
    ROOT,
    SERVICE_KEY_VAULT_POLICIES,
)

__all__ = ["FAULT_PROFILES", "add_replay_arguments", "main", "parse_options", "replay"]

PROG = "python -m demo"
STDOUT = "-"  # --json without a FILE: the report as JSON on stdout, instead of the text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="One simulated day of the backup copy orchestrator on the local emulator, "
        "or (--events) chosen event files replayed through template.yaml.",
    )
    add_replay_arguments(parser, events_required=False)
    day = parser.add_argument_group("a simulated day (without --events)")
    day.add_argument("--resources", type=_positive, default=DEFAULT_RESOURCES, help="estate size")
    day.add_argument(
        "--faults",
        choices=sorted(FAULT_PROFILES),
        default="none",
        help="flaky: throttling, 5xx, failed copies, duplicate and reordered events; "
        "lossy: dropped events too (only a reconciler run heals them)",
    )
    day.add_argument(
        "--html",
        type=Path,
        dest="html_path",
        metavar="FILE",
        help="also write the report as one self-contained HTML page (the dashboard's figures)",
    )
    day.add_argument("--start", type=_moment, default=DEFAULT_START, help="ISO-8601 UTC")
    day.add_argument("--hours", type=float, default=24, help="length of the simulated day")
    day.add_argument(
        "--run-scheduled",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="at the end of the day, run every schedule-triggered function once (the reconciler)",
    )
    day.add_argument(
        "--org",
        metavar="ACCOUNTS:REGIONS",
        help="the day across an organization: ACCOUNTS member accounts, REGIONS primary "
        "Regions, deployed by org/template.yaml's stack sets (demo.org_cli)",
    )
    day.add_argument(
        "--dynamodb-advanced",
        action="store_true",
        help="DynamoDB advanced backup features on (copyable); default off (not copyable)",
    )
    return parser


def add_replay_arguments(parser: argparse.ArgumentParser, *, events_required: bool) -> None:
    """The options of an event replay, which a simulated day shares but for ``--events``."""
    parser.add_argument(
        "--events",
        nargs="+",
        required=events_required,
        metavar="FILE",
        help="EventBridge event or SQS batch files (events/*.json), replayed in order",
    )
    parser.add_argument(
        "--template", type=Path, help="the SAM template (default: the repository's template.yaml)"
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter (repeatable; with --events, of both stacks, primary and DR)",
    )
    parser.add_argument(
        "--managed-vault-policy",
        choices=MANAGED_VAULT_POLICIES,
        default="fail",
        help="what a copy of a not fully managed type into an aws/backup vault does (AWS: open)",
    )
    parser.add_argument(
        "--service-key-vault-policy",
        choices=SERVICE_KEY_VAULT_POLICIES,
        default="reencrypt",
        help=(
            "whether a same-Region copy into a service-key vault (aws/rds, aws/ebs) is re-encrypted"
            " "
            "under its key or keeps the source key (AWS: open); keep-source-key provisions the dr "
            "stack and shows the fallback to the DR Region"
        ),
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same run")
    parser.add_argument(
        "--log", type=Path, dest="log_path", metavar="FILE", help="write the handlers' logs here"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const=STDOUT,
        metavar="FILE",
        help="also write the report as JSON to FILE; without FILE, print JSON instead of text",
    )


def parse_options(argv: Sequence[str] | None = None) -> Any:
    """The options of a simulated day (``demo.run.DemoOptions``)."""
    return _day_options(build_parser().parse_args(argv))


def _day_options(args: argparse.Namespace) -> Any:
    from demo.run import DemoOptions  # noqa: PLC0415 - moto and the product: at run time only

    return DemoOptions(
        template=args.template or ROOT / "template.yaml",
        parameters=_parameters(args.parameter),
        seed=args.seed,
        resources=args.resources,
        faults=args.faults,
        start=args.start,
        hours=args.hours,
        run_scheduled=args.run_scheduled,
        managed_vault_policy=args.managed_vault_policy,
        service_key_vault_policy=args.service_key_vault_policy,
        dynamodb_advanced=args.dynamodb_advanced,
        json_path=None if args.json in (None, STDOUT) else Path(args.json),
        html_path=args.html_path,
        log_path=args.log_path,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.events:
            return replay(args, sys.stdout)
        if args.org:
            from demo.org_cli import run_org_day  # noqa: PLC0415 - moto and the product

            return run_org_day(args, sys.stdout)
        return _day(args, sys.stdout)
    except OrchestratorError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2


def _day(args: argparse.Namespace, out: TextIO) -> int:
    from demo.html_report import write_demo_html  # noqa: PLC0415
    from demo.render import render_text, write_json  # noqa: PLC0415
    from demo.run import demo_session, run_demo  # noqa: PLC0415

    options = _day_options(args)
    log_file = _log_file(options.log_path)
    with log_file as log, demo_session(options.region):
        result = run_demo(options, log=log)
    if args.json == STDOUT:
        json.dump(result.report.as_dict(), out, indent=2, default=str)
        out.write("\n")
    else:
        out.write(render_text(result.report))
    if options.json_path:
        write_json(result.report, options.json_path)
        out.write(f"\nJSON report written to {options.json_path}\n")
    if options.html_path:
        stack = result.stack
        parameters = stack.provisioned.parameters
        write_demo_html(
            result.report, options.html_path, stack_name=stack.stack_name, parameters=parameters
        )
        out.write(f"\nHTML report written to {options.html_path}\n")
    return 0 if result.report.promises_kept else 1


def replay(args: argparse.Namespace, out: TextIO) -> int:
    """``--events``: replay, print, and exit 1 unless the run was healthy."""
    from copyctl.configuration import read_event_file  # noqa: PLC0415

    events = [(Path(name).name, read_event_file(Path(name))) for name in args.events]
    settings: dict[str, Any] = {
        "parameters": _parameters(args.parameter),
        "managed_vault_policy": args.managed_vault_policy,
        "seed": args.seed,
    }
    if args.template is not None:
        settings["template"] = args.template
    try:
        from demo.replay import runner  # noqa: PLC0415 - moto and the product: at run time only
    except ImportError as error:
        raise OrchestratorError(
            "no-emulator",
            f"the demo needs the development environment (moto and the emulator package): {error}",
        ) from error
    return runner.run(
        events,
        options=runner.ReplayOptions(**settings),
        json_to=None if args.json is None else (STDOUT if args.json == STDOUT else Path(args.json)),
        out=out,
        log_path=args.log_path,
    )


def _log_file(path: Path | None) -> Any:
    handle: IO[str] | None = path.open("w", encoding="utf-8") if path else None
    return handle if handle is not None else nullcontext()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parameters(texts: Sequence[str]) -> dict[str, str]:
    return dict(_pair(text) for text in texts)


def _pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise OrchestratorError("invalid-parameter", f"--parameter needs KEY=VALUE, got {text!r}")
    return key, value
