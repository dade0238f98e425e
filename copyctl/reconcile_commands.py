"""``copyctl status`` and ``copyctl reconcile``: the reconciler, run by an operator.

Both walk the source vaults with the reconciler's own code: ``status`` reads the ledger only,
``reconcile --dry-run`` also decides (DescribeRecoveryPoint), ``reconcile`` copies and settles
copy jobs that finished unnoticed, as the scheduled function does (without its cursor).
``--retry-failed`` adds what the scheduled function never does: a new attempt of every failed
copy (``core.operator_retry.retry_failed``), once an operator has fixed its cause.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TextIO

from adapters.clock import utc_now
from adapters.sessions import Connection, open_clients
from copyctl.configuration import environment
from copyctl.coverage_report import (
    ReportContext,
    coverage_document,
    print_coverage,
    print_json,
    print_reconcile,
    reconcile_document,
)
from copyctl.status_html import write_status_html
from core.kernel.config import Settings, load_settings
from core.kernel.errors import ConfigError, OrchestratorError, PermanentError
from core.reconcile.coverage import Action, Finding
from core.reconcile.examine import Mode
from core.reconcile.reconciler import Reconciler, RunReport, RunRequest
from core.reconcile.settings import load_reconcile_settings
from handlers.reconcile_wiring import build_reconciler


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """What both subcommands take: where AWS is, where the configuration is, what to walk."""
    aws = parser.add_argument_group("AWS")
    aws.add_argument("--profile", help="named profile (default: the usual AWS chain)")
    aws.add_argument(
        "--region", help="Region (default: the orchestrator's, from its configuration)"
    )
    aws.add_argument("--endpoint-url", help="e.g. the emulator server, http://127.0.0.1:5000")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="read the configuration from this stack's outputs")
    where.add_argument("--env", help="the function environment as a JSON file")
    parser.add_argument(
        "--vault", action="append", help="only this source vault (repeatable; default: all)"
    )
    parser.add_argument(
        "--look-back-days",
        type=int,
        help="only recovery points created in the last N days; 0: all (default: configured)",
    )
    parser.add_argument("--json", action="store_true")


# What an operator can do about the errors a walk meets first.
_HINTS = {
    "sdk": "give --profile, or set AWS credentials",
    "network": "check --endpoint-url and --region",
    "AccessDeniedException": "the role needs the calls docs/contracts.md lists",
    "AccessDenied": "the role needs the calls docs/contracts.md lists",
    "UnrecognizedClientException": "the credentials are not valid in this account or Region",
    "ExpiredTokenException": "the session expired: sign in again",
}


@contextmanager
def _hinted() -> Iterator[None]:
    try:
        yield
    except OrchestratorError as error:
        if error.reason not in _HINTS:
            raise
        raise PermanentError(error.reason, f"{error.message} ({_HINTS[error.reason]})") from error


def status(args: argparse.Namespace, out: TextIO) -> int:
    walk = _open(args, heal=False)
    with _hinted():
        report, findings = walk.run(Mode.STATUS)
    context = walk.context()
    document = coverage_document(report, walk.vaults, findings, context)
    if args.json:
        print_json(document, out)
    else:
        print_coverage(document, out)
    if args.html:
        title = f"Backup copies of {args.stack}" if args.stack else "Backup copy status"
        write_status_html(args.html, document, findings, context.now, title=title)
        if not args.json:
            out.write(f"\nHTML report written to {args.html}\n")
    return 0


def reconcile(args: argparse.Namespace, out: TextIO) -> int:
    walk = _open(args, heal=not args.dry_run, retry_failed=args.retry_failed)
    with _hinted():
        report, findings = walk.run(Mode.PLAN if args.dry_run else Mode.HEAL)
    document = reconcile_document(report, walk.vaults, findings, walk.context())
    if args.json:
        print_json(document, out)
    else:
        print_reconcile(document, args.dry_run, out, retry_failed=args.retry_failed)
    return 1 if report.actions.get(Action.ERROR) else 0


@dataclass(frozen=True)
class Walk:
    settings: Settings
    reconciler: Reconciler
    vaults: tuple[str, ...]
    look_back_days: int | None

    def run(self, mode: Mode) -> tuple[RunReport, list[Finding]]:
        findings: list[Finding] = []
        request = RunRequest(mode, vaults=self.vaults, look_back_days=self.look_back_days)
        return self.reconciler.run(request, observe=findings.append), findings

    def context(self) -> ReportContext:
        return ReportContext(utc_now(), self.settings.stuck_after_minutes)


def _open(args: argparse.Namespace, *, heal: bool, retry_failed: bool = False) -> Walk:
    connection = Connection(args.profile, args.region, args.endpoint_url)
    where = Where(stack=args.stack, env_file=args.env)
    scope = Scope(vaults=args.vault, look_back_days=args.look_back_days)
    return open_walk(connection, where, scope, heal=heal, retry_failed=retry_failed)


@dataclass(frozen=True)
class Where:
    """Where the orchestrator's configuration is: a stack's outputs, or an environment file."""

    stack: str | None = None
    env_file: str | None = None


@dataclass(frozen=True)
class Scope:
    """What to walk: some source vaults (default all), points of the last N days (0: all)."""

    vaults: list[str] | None = None
    look_back_days: int | None = None


def open_walk(
    connection: Connection, where: Where, scope: Scope, *, heal: bool, retry_failed: bool = False
) -> Walk:
    """The walk of one stack (``copyctl status`` and, per member stack, ``status --org``)."""
    env = environment(connection, stack=where.stack, env_file=where.env_file)
    settings, options = load_settings(env), load_reconcile_settings(env)
    if connection.region is None:
        connection = replace(connection, region=settings.region)
    aws = open_clients(connection)
    reconciler = build_reconciler(
        settings, options, aws, utc_now, heal=heal, retry_failed=retry_failed
    )
    vaults = _vaults(scope.vaults, settings)
    days = options.look_back_days if scope.look_back_days is None else scope.look_back_days
    if days is not None and days < 0:
        raise ConfigError([f"--look-back-days must be 0 or more, got {days}"])
    return Walk(settings, reconciler, vaults, days or None)


def _vaults(wanted: list[str] | None, settings: Settings) -> tuple[str, ...]:
    sources = settings.source_vault_names
    if not wanted:
        return tuple(sorted(sources))
    if unknown := sorted(set(wanted) - sources):
        raise ConfigError(
            [f"not a source vault: {', '.join(unknown)} (sources: {sorted(sources)})"]
        )
    return tuple(sorted(set(wanted)))
