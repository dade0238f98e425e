"""``copyctl demo --events``: replay event files through template.yaml on the local emulator.

The emulator (``emulator.demo_replay``) is a development tool, not deployed and not type-checked:
it is imported only when the subcommand runs, and only through the narrow interface below.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO, cast

from copyctl.configuration import read_event_file
from core.errors import OrchestratorError

REPLAY_MODULE = "emulator.demo_replay"
MANAGED_VAULT_POLICIES = ("fail", "keep-source-key", "reencrypt")


class _Replayer(Protocol):
    """What copyctl uses of ``emulator.demo_replay``."""

    def ReplayOptions(self, **options: Any) -> object: ...  # noqa: N802 - its dataclass

    def run(
        self,
        events: Sequence[tuple[str, Any]],
        *,
        options: object,
        as_json: bool,
        out: TextIO,
        log_path: Path | None,
    ) -> int: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The offline equivalent of sam local invoke, end to end: template.yaml is provisioned "
        "in the local emulator (its primary and DR stacks, in the events' account and Region; "
        "the events/ fixtures' vault names are mapped to the stacks' vaults), each event goes "
        "through the template's EventBridge rules (an SQS batch file straight to the copy "
        "function, as Lambda delivers it), copy jobs run and are tracked to the end. Prints per "
        "event the routing, the decision, the copy jobs, the ledger and any parked record; "
        "exits 1 if a function invocation failed."
    )
    parser.add_argument(
        "--events",
        nargs="+",
        required=True,
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
        help="a template parameter of both stacks, primary and DR (repeatable)",
    )
    parser.add_argument(
        "--managed-vault-policy",
        choices=MANAGED_VAULT_POLICIES,
        default="fail",
        help="what a copy of a not fully managed type into an aws/backup vault does (AWS: open)",
    )
    parser.add_argument(
        "--log", type=Path, dest="log_path", metavar="FILE", help="write the handlers' logs here"
    )
    parser.add_argument("--json", action="store_true")


def demo(args: argparse.Namespace, out: TextIO) -> int:
    events = [(Path(name).name, read_event_file(Path(name))) for name in args.events]
    settings: dict[str, Any] = {
        "parameters": dict(_pair(text) for text in args.parameter),
        "managed_vault_policy": args.managed_vault_policy,
    }
    if args.template is not None:
        settings["template"] = args.template
    replayer = _replayer()
    options = replayer.ReplayOptions(**settings)
    return replayer.run(events, options=options, as_json=args.json, out=out, log_path=args.log_path)


def _replayer() -> _Replayer:
    try:
        module = importlib.import_module(REPLAY_MODULE)
    except ImportError as error:
        raise OrchestratorError(
            "no-emulator",
            f"copyctl demo needs the development environment (moto and the emulator package): "
            f"{error}",
        ) from error
    return cast(_Replayer, module)


def _pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise OrchestratorError("invalid-parameter", f"--parameter needs KEY=VALUE, got {text!r}")
    return key, value
