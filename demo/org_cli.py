"""``python -m demo --org ACCOUNTS:REGIONS`` (``make demo DEMO_ARGS="--org 6:2"``): the options
of a simulated day that apply to an organization, the run, the report; exit 1 if a promise is
broken in any instance. ``--resources`` stays the single-account estate: every primary instance
gets a small estate of its own (``demo.org.DEFAULT_RESOURCES_PER_INSTANCE``)."""

from __future__ import annotations

import argparse
import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TextIO

from core.kernel.errors import OrchestratorError
from demo.org import OrgOptions, parse_org, run_org
from demo.org_render import org_report_dict, render_org_text
from demo.run import demo_session

STDOUT = "-"  # demo.cli: --json without a FILE


def run_org_day(args: argparse.Namespace, out: TextIO) -> int:
    try:
        accounts, regions = parse_org(args.org)
    except ValueError as error:
        raise OrchestratorError("invalid-org", str(error)) from error
    options = OrgOptions(
        accounts=accounts,
        regions=regions,
        seed=args.seed,
        faults=args.faults,
        start=args.start,
        hours=args.hours,
        run_scheduled=args.run_scheduled,
        managed_vault_policy=args.managed_vault_policy,
    )
    log: Any = args.log_path.open("w", encoding="utf-8") if args.log_path else nullcontext()
    with log as handle, demo_session():
        result = run_org(options, log=handle)
    report = org_report_dict(result)
    if args.json == STDOUT:
        json.dump(report, out, indent=2, default=str)
        out.write("\n")
    else:
        out.write(render_org_text(result))
    if args.json not in (None, STDOUT):
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        out.write(f"\nJSON report written to {path}\n")
    return 0 if result.promises_kept else 1
