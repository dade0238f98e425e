"""The subcommands: each takes the parsed arguments and an output stream, returns an exit code."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from adapters.request_validation import request_problems
from copyctl.configuration import read_env_file, read_event_file
from copyctl.offline import Assumptions, OfflineBackup
from core.copying.copy_service import CopyService
from core.copying.recovery_point_events import decode_body, parse_recovery_point_event
from core.kernel.config import Settings, load_settings
from core.kernel.errors import InvalidEventError, OrchestratorError
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.kernel.models import CopyDecision, RecoveryPointEvent, SkipDecision


def plan(args: argparse.Namespace, out: TextIO) -> int:
    settings = load_settings(_environment(args.env))
    assumptions = Assumptions(
        retention_days=args.retention_days,
        cold_after_days=args.cold_after_days,
        plan_name=args.plan_name,
    )
    results = [
        _plan_one(label, raw, settings, assumptions) for label, raw in _events(Path(args.event))
    ]
    if args.json:
        json.dump({"assumptions": _assumed(assumptions), "results": results}, out, indent=2)
        out.write("\n")
    else:
        _print_plans(results, assumptions, out)
    failed = any(result["outcome"] == "rejected" or result["problems"] for result in results)
    return 1 if failed else 0


def matrix(args: argparse.Namespace, out: TextIO) -> int:
    environment = dict(_environment(args.env))
    # The matrix needs no vaults; borrow the example's so only the overrides matter here.
    base = _example_environment()
    base["SUPPORT_MATRIX_OVERRIDES"] = environment.get("SUPPORT_MATRIX_OVERRIDES", "{}")
    effective = load_settings(base).matrix
    rows = {
        name: {
            "lag": support.lag,
            "copyable": support.copyable,
            "fully_managed": support.fully_managed,
            "service_key": support.service_key,
            "overridden": support.overridden,
            "note": support.note,
        }
        for name, support in sorted(effective.types.items())
    }
    if args.json:
        document = {
            "source": effective.source,
            "as_of": effective.as_of,
            "fully_managed_source": effective.fully_managed_source,
            "service_key_source": effective.service_key_source,
            "resource_types": rows,
        }
        json.dump(document, out, indent=2)
        out.write("\n")
        return 0
    out.write(f"Support matrix as of {effective.as_of} ({effective.source})\n")
    out.write(f"Fully managed: {effective.fully_managed_source}\n")
    out.write(f"Service keys: {effective.service_key_source}\n")
    out.write(
        f"{'resource type':<28} {'LAG':<5} {'copy':<5} {'full':<5} {'service key':<12} note\n"
    )
    for name, row in rows.items():
        flag = " (overridden)" if row["overridden"] else ""
        lag = "yes" if row["lag"] else "no"
        copyable = "yes" if row["copyable"] else "no"
        full = "?" if row["fully_managed"] is None else "yes" if row["fully_managed"] else "no"
        key = row["service_key"] or "-"
        out.write(f"{name:<28} {lag:<5} {copyable:<5} {full:<5} {key:<12} {row['note']}{flag}\n")
    out.write("Types not listed: copied to the managed-key vault, then verified.\n")
    return 0


def _plan_one(label: str, raw: Any, settings: Settings, assumptions: Assumptions) -> dict[str, Any]:
    try:
        if isinstance(raw, InvalidEventError):
            raise raw
        event = parse_recovery_point_event(raw)
    except OrchestratorError as error:
        return {
            "record": label,
            "outcome": "rejected",
            "reason": error.reason,
            "explanation": error.message,
            "problems": [],
        }
    decision = _service(event, settings, assumptions).plan(event)
    request = decision.request if isinstance(decision, CopyDecision) else None
    problems = request_problems("backup", "StartCopyJob", request) if request is not None else []
    return {
        "record": label,
        "outcome": "skip" if request is None else "copy",
        "reason": decision.reason.value,
        "target": decision.target_label,
        "explanation": decision.explanation,
        "recovery_point_arn": decision.recovery_point_arn,
        "resource_type": decision.resource_type,
        "request": request,
        "problems": problems,
    }


def _service(
    event: RecoveryPointEvent, settings: Settings, assumptions: Assumptions
) -> CopyService:
    return CopyService(settings, OfflineBackup(event, assumptions), _NoLedger())


class _NoLedger:
    """``plan`` decides only: any ledger write would be a bug."""

    def get(self, recovery_point_arn: str, destination_vault_arn: str) -> LedgerEntry | None:
        return None

    def claim(self, event: RecoveryPointEvent, decision: CopyDecision, attempt: int) -> bool:
        raise RuntimeError("copyctl plan never writes the ledger")

    def mark_started(self, decision: CopyDecision, copy_job_id: str, attempt: int) -> None:
        raise RuntimeError("copyctl plan never writes the ledger")

    def mark_start_failed(
        self, decision: CopyDecision, attempt: int, reason: str, detail: str
    ) -> None:
        raise RuntimeError("copyctl plan never writes the ledger")

    def release_claim(self, decision: CopyDecision, attempt: int) -> None:
        raise RuntimeError("copyctl plan never writes the ledger")

    def record_final(
        self, event: RecoveryPointEvent, decision: SkipDecision, state: LedgerState
    ) -> None:
        raise RuntimeError("copyctl plan never writes the ledger")


def _events(path: Path) -> Iterator[tuple[str, Any]]:
    document = read_event_file(path)
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        for index, record in enumerate(document["Records"]):
            label = str(record.get("messageId", index)) if isinstance(record, dict) else str(index)
            yield label, _sqs_body(record)
        return
    yield path.name, document


def _sqs_body(record: Any) -> Any:
    """The record's body decoded as the handler would, or the error the handler would park."""
    if not isinstance(record, dict) or not isinstance(record.get("body"), str):
        return record
    try:
        return decode_body(record["body"])
    except InvalidEventError as error:
        return error


def _environment(path: str | None) -> Mapping[str, str]:
    if path:
        return read_env_file(path)
    if os.environ.get("SOURCE_VAULT_NAMES"):
        return os.environ
    return _example_environment()


def _example_environment() -> dict[str, str]:
    text = resources.files("copyctl").joinpath("example_env.json").read_text(encoding="utf-8")
    return {str(key): str(value) for key, value in json.loads(text).items()}


def _assumed(assumptions: Assumptions) -> dict[str, Any]:
    return {
        "source_retention_days": assumptions.retention_days,
        "source_cold_after_days": assumptions.cold_after_days,
        "storage_class": assumptions.storage_class.value,
        "plan_name": assumptions.plan_name,
    }


def _print_plans(results: list[dict[str, Any]], assumptions: Assumptions, out: TextIO) -> None:
    assumed = ", ".join(f"{key}={value}" for key, value in _assumed(assumptions).items())
    out.write(f"Offline plan (no AWS call). Assumed recovery point: {assumed}\n")
    for result in results:
        out.write(f"\n{result['record']}: {result['outcome'].upper()} {result['reason']}")
        if result.get("target") and result["target"] != "none":
            out.write(f" → {result['target']}")
        out.write(f"\n  why: {result['explanation']}\n")
        if result.get("request"):
            out.write("  StartCopyJob request:\n")
            for line in json.dumps(result["request"], indent=2).splitlines():
                out.write(f"    {line}\n")
            verdict = "; ".join(result["problems"]) or "valid against botocore's model"
            out.write(f"  botocore: {verdict}\n")
