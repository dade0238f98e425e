"""``copyctl status --org``: the status of every member stack of the organization, concurrently.

From the monitoring or delegated administrator account: the stack sets' instances
(ListStackInstances), then for each (account, Region) the reader role (AssumeRole), the member
stack's outputs (DescribeStacks) and the same read-only walk as ``copyctl status --stack``
(ListRecoveryPointsByBackupVault, the ledger's Query). A member that cannot be read is a row with
its reason; the exit code says whether the organization is fully covered.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import TextIO

from adapters.clock import utc_now
from adapters.organization import MemberStack, member_stacks, reader_connection
from adapters.sessions import Connection
from copyctl import reconcile_commands
from copyctl.coverage_report import coverage_document, print_json
from copyctl.org_html import write_org_html
from copyctl.org_report import MemberResult, exit_code, org_document, print_org
from core.kernel.errors import ConfigError, OrchestratorError
from core.reconcile.examine import Mode

# Stack instances without a usable stack (ListStackInstances "Status"): nothing to read.
_NO_STACK_REASON = "no-stack"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    org = parser.add_argument_group("organization (--org)")
    org.add_argument(
        "--org",
        action="store_true",
        help="every member stack of the stack sets, through each one's read-only role",
    )
    org.add_argument(
        "--name-prefix",
        default="backup",
        help="org/template.yaml's NamePrefix: the stack sets are <prefix>-primary and <prefix>-dr",
    )
    org.add_argument("--primary-stack-set", help="default: <name-prefix>-primary")
    org.add_argument("--dr-stack-set", help="default: <name-prefix>-dr")
    org.add_argument(
        "--call-as",
        choices=("SELF", "DELEGATED_ADMIN"),
        default="SELF",
        help="DELEGATED_ADMIN from a delegated administrator account of StackSets",
    )
    org.add_argument(
        "--max-workers", type=int, default=8, help="member stacks read at once (default 8)"
    )


def status(args: argparse.Namespace, out: TextIO) -> int:
    """``copyctl status``: one stack, or with ``--org`` every member stack."""
    if not args.org:
        return reconcile_commands.status(args, out)
    _refuse_single_stack_options(args)
    connection = Connection(args.profile, args.region, args.endpoint_url)
    stack_sets = [
        (args.primary_stack_set or f"{args.name_prefix}-primary", "primary"),
        (args.dr_stack_set or f"{args.name_prefix}-dr", "dr"),
    ]
    members = member_stacks(connection, stack_sets, call_as=args.call_as)
    scope = reconcile_commands.Scope(look_back_days=args.look_back_days)

    def read(member: MemberStack) -> MemberResult:
        return read_member(connection, member, scope, keep_findings=bool(args.html))

    results = read_all(members, read, max_workers=args.max_workers, progress=_progress())
    document = org_document(results)
    if args.json:
        print_json(document, out)
    else:
        print_org(document, out)
    if args.html:
        write_org_html(args.html, document, results, utc_now())
        if not args.json:
            out.write(f"\nHTML report written to {args.html}\n")
    return exit_code(document)


def read_member(
    connection: Connection,
    member: MemberStack,
    scope: reconcile_commands.Scope,
    *,
    keep_findings: bool = False,
) -> MemberResult:
    """The member's status document, or why it could not be read (never an exception)."""
    where = MemberResult(
        member.account, member.region, member.stack_role, member.stack_set, member.stack_id
    )
    if member.stack_id is None:
        explanation = f"stack instance {member.status}: {member.status_reason}".rstrip(": ")
        return replace(where, reason=_NO_STACK_REASON, explanation=explanation)
    try:
        reader = reader_connection(connection, member)
        where_stack = reconcile_commands.Where(stack=member.stack_id)
        walk = reconcile_commands.open_walk(reader, where_stack, scope, heal=False)
        report, findings = walk.run(Mode.STATUS)
    except OrchestratorError as error:
        return replace(where, reason=error.reason, explanation=error.message)
    document = coverage_document(report, walk.vaults, findings, walk.context())
    kept = findings if keep_findings else []
    return replace(where, document=document, findings=kept)


def read_all(
    members: Iterable[MemberStack],
    read: Callable[[MemberStack], MemberResult],
    *,
    max_workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[MemberResult]:
    """Every member read once, at most ``max_workers`` at a time."""
    if max_workers < 1:
        raise ConfigError([f"--max-workers must be 1 or more, got {max_workers}"])
    every = list(members)
    results: list[MemberResult] = []
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = [pool.submit(read, member) for member in every]
        for done in as_completed(futures):
            results.append(done.result())
            if progress is not None:
                progress(len(results), len(every))
    return results


def _progress() -> Callable[[int, int], None] | None:
    """A one-line progress bar on stderr, only on a terminal (never in a pipe or a log)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        filled = 30 * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} member stacks")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _refuse_single_stack_options(args: argparse.Namespace) -> None:
    given = [name for name in ("stack", "env", "vault") if getattr(args, name)]
    if given:
        options = ", ".join(f"--{name}" for name in given)
        raise ConfigError([f"{options}: one stack's options; --org reads every member stack"])
