"""``copyctl demo --events``: a thin entry point over the demo's command line (``python -m demo
--events``, demo/cli.py), which replays event files through template.yaml on the local emulator.

The demo is a development tool, not deployed and not type-checked as strictly as the product:
it is imported only through the narrow interface below, its options and its replay come from it.
"""

from __future__ import annotations

import argparse
from typing import Protocol, TextIO, cast

from copyctl.dev_modules import import_dev_module
from core.kernel.errors import OrchestratorError

DEMO_CLI = "demo.cli"


class _DemoCli(Protocol):
    """What copyctl uses of ``demo.cli``."""

    def add_replay_arguments(
        self, parser: argparse.ArgumentParser, *, events_required: bool
    ) -> None: ...

    def replay(self, args: argparse.Namespace, out: TextIO) -> int: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The offline equivalent of sam local invoke, end to end: template.yaml is provisioned "
        "in the local emulator (its primary and DR stacks, in the events' account and Region; "
        "the events/ fixtures' vault names are mapped to the stacks' vaults), each event goes "
        "through the template's EventBridge rules (an SQS batch file straight to the copy "
        "function, as Lambda delivers it), copy jobs run and are tracked to the end. Prints per "
        "event the routing, the decision, the copy jobs, the ledger and any parked record; "
        "exits 1 if a function invocation failed. The same as python -m demo --events."
    )
    try:
        cli = _demo_cli()
    except OrchestratorError as error:
        parser.set_defaults(unavailable=error)
        parser.add_argument("--events", nargs="+", required=True, metavar="FILE")
        return
    cli.add_replay_arguments(parser, events_required=True)


def demo(args: argparse.Namespace, out: TextIO) -> int:
    unavailable: OrchestratorError | None = getattr(args, "unavailable", None)
    if unavailable is not None:
        raise unavailable
    return _demo_cli().replay(args, out)


def _demo_cli() -> _DemoCli:
    return cast(_DemoCli, import_dev_module(DEMO_CLI, "copyctl demo (the demo package)"))
