"""``copyctl``: see what the orchestrator would do, and what it did.

Every subcommand prints plain text by default and JSON with ``--json``; errors are one clear line
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from copyctl import commands, demo_command, local_env, org_status, reconcile_commands
from core.kernel.errors import OrchestratorError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="copyctl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="decide one event offline: the copy request or the skip")
    plan.add_argument("event", help="an EventBridge event or SQS batch file (events/*.json)")
    plan.add_argument("--env", help="function environment as JSON (default: $ENV, else example)")
    plan.add_argument("--retention-days", type=int, default=30, help="assumed source retention")
    plan.add_argument("--cold-after-days", type=int, help="assumed source move-to-cold days")
    plan.add_argument("--plan-name", help="assumed plan name, for LAG_PLAN_NAMES selectors")
    plan.add_argument("--json", action="store_true")
    plan.set_defaults(run=commands.plan)

    matrix = sub.add_parser("matrix", help="print the effective LAG/copy support matrix")
    matrix.add_argument("--env", help="function environment as JSON (for overrides)")
    matrix.add_argument("--json", action="store_true")
    matrix.set_defaults(run=commands.matrix)

    status = sub.add_parser(
        "status", help="coverage per vault, type and target; what is unprotected"
    )
    reconcile_commands.add_arguments(status)
    status.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write the report as one self-contained HTML page (the dashboard's figures)",
    )
    org_status.add_arguments(status)
    status.set_defaults(run=org_status.status)

    reconcile = sub.add_parser("reconcile", help="copy every recovery point left unprotected")
    reconcile_commands.add_arguments(reconcile)
    reconcile.add_argument("--dry-run", action="store_true", help="print what would be copied")
    reconcile.add_argument(
        "--retry-failed",
        action="store_true",
        help="also start one new attempt of every failed copy (after fixing its cause)",
    )
    reconcile.set_defaults(run=reconcile_commands.reconcile)

    demo = sub.add_parser(
        "demo", help="replay event files through template.yaml on the local emulator, offline"
    )
    demo_command.add_arguments(demo)
    demo.set_defaults(run=demo_command.demo)

    environments = sub.add_parser(
        "local-env",
        help="the --env-vars file of sam local invoke: a deployed stack's, or the emulator's",
    )
    local_env.add_arguments(environments)
    environments.set_defaults(run=local_env.local_env)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args, sys.stdout))
    except OrchestratorError as error:
        print(f"copyctl {args.command}: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"copyctl {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
