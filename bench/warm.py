"""Warm cost and AWS calls per outcome, on one container kept warm (AWS answered in memory)."""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore import xform_name

from adapters import clients
from bench.batches import canned_aws, copy_bodies, invoke, sqs_event, wired
from bench.results import Result
from localrun.canned_aws import CannedAws

SRC = str(Path(__file__).resolve().parents[1] / "src")
WARM_TARGET = 1.5


def _per_record(run: Callable[[], object], records: int) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) / records


def _bare_start_copy_jobs(records: int) -> Callable[[], None]:
    backup = clients.backup()

    def loop() -> None:
        for i in range(records):
            backup.start_copy_job(
                RecoveryPointArn=f"arn:aws:ec2:us-east-1::snapshot/snap-{i:017x}",
                SourceBackupVaultName="daily",
                DestinationBackupVaultArn="arn:aws:backup:us-east-1:111122223333:backup-vault:lag",
                IamRoleArn="arn:aws:iam::111122223333:role/backup-copy-orchestrator-backup-role",
                IdempotencyToken=f"token-{i}",
                Lifecycle={"DeleteAfterDays": 30},
            )

    return loop


def _replay(
    aws: CannedAws, requests: list[tuple[str, str, dict[str, Any]]], times: int
) -> Callable[[], None]:
    """The requests the handler made for one record, replayed ``times`` in a bare loop."""
    calls = [
        (getattr(aws.client(service), xform_name(operation)), params)
        for service, operation, params in requests
    ]

    def loop() -> None:
        for _ in range(times):
            for method, params in calls:
                method(**params)

    return loop


def _one_record_requests(aws: CannedAws, handler: Any) -> list[tuple[str, str, dict[str, Any]]]:
    aws.record_requests = True
    aws.reset_counts()
    invoke(handler, sqs_event(copy_bodies(1, first=10**6)))
    requests = list(aws.requests)
    aws.record_requests = False
    return requests


def warm_cost(records: int, repeats: int) -> list[Result]:
    aws = canned_aws()
    with wired(aws) as handlers:
        handler = handlers["copy"]
        invoke(handler, sqs_event(copy_bodies(20)))  # the cold start happens here, not below
        event = sqs_event(copy_bodies(records))
        same_requests = _one_record_requests(aws, handler)
        bare, same = _bare_start_copy_jobs(records), _replay(aws, same_requests, records)
        timings: dict[str, list[float]] = {"handler": [], "bare": [], "same": []}
        for _ in range(repeats):
            timings["handler"].append(_per_record(lambda: invoke(handler, event), records))
            timings["bare"].append(_per_record(bare, records))
            timings["same"].append(_per_record(same, records))
    handler_ms = statistics.median(timings["handler"]) * 1000
    detail = {
        "records": records,
        "repeats": repeats,
        "calls_per_record": [f"{s}:{o}" for s, o, _ in same_requests],
        **timings,
    }
    return [
        Result(
            "warm cost per record: copy handler",
            handler_ms,
            "ms",
            statistics.median(timings["bare"]) * 1000,
            "bare StartCopyJob loop",
            WARM_TARGET,
            detail,
            note=f"{records}-record SQS batch, median of {repeats}; the handler makes "
            f"{len(same_requests)} calls per copied record (next row isolates its own overhead)",
        ),
        Result(
            "warm cost per record: vs its own calls",
            handler_ms,
            "ms",
            statistics.median(timings["same"]) * 1000,
            "its own requests replayed bare",
            WARM_TARGET,
            detail,
        ),
    ]


@contextmanager
def _counting_environ_reads() -> Iterator[Counter[str]]:
    """Count os.environ reads, by whether the reader's code is in src/ or a library."""
    environ_type = type(__import__("os").environ)
    original = environ_type.__getitem__
    reads: Counter[str] = Counter()

    def counted(self: Any, key: str) -> str:
        frame = sys._getframe(1)
        while frame and frame.f_code.co_filename.endswith(("os.py", "_collections_abc.py")):
            frame = frame.f_back  # type: ignore[assignment]
        reads["src" if frame and frame.f_code.co_filename.startswith(SRC) else "library"] += 1
        return str(original(self, key))

    environ_type.__getitem__ = counted  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        environ_type.__getitem__ = original  # type: ignore[method-assign]


def calls_per_outcome(records: int) -> list[Result]:
    from handlers import copy_wiring  # noqa: PLC0415

    aws = canned_aws()
    loads: list[int] = []
    original_load = copy_wiring.load_settings  # type: ignore[attr-defined]
    copy_wiring.load_settings = lambda env: (loads.append(1), original_load(env))[1]  # type: ignore[assignment, attr-defined, func-returns-value]
    try:
        with wired(aws) as handlers:
            handler = handlers["copy"]
            invoke(handler, sqs_event(copy_bodies(5)))  # cold start: settings loaded once here
            aws.reset_counts()
            loads.clear()
            with _counting_environ_reads() as reads:
                invoke(handler, sqs_event(copy_bodies(records)))
            copied = Counter({f"{s}:{o}": n / records for (s, o), n in aws.calls.items()})
            aws.reset_counts()
            invoke(handler, sqs_event(copy_bodies(records, vault="not-a-source")))
            skipped = Counter({f"{s}:{o}": n / records for (s, o), n in aws.calls.items()})
    finally:
        copy_wiring.load_settings = original_load  # type: ignore[assignment, attr-defined]
    return _call_results(copied, skipped, len(loads) / records, reads, records)


def _call_results(
    copied: Counter[str], skipped: Counter[str], loads: float, reads: Counter[str], records: int
) -> list[Result]:
    def per(counts: Counter[str], service: str) -> float:
        return sum(n for name, n in counts.items() if name.startswith(f"{service}:"))

    writes = {name: n for name, n in copied.items() if name.startswith("dynamodb:")}
    return [
        Result(
            "AWS Backup calls per copied recovery point",
            per(copied, "backup"),
            "calls",
            target=2,
            detail=dict(copied),
            note="copy handler; the tracking's share is in the burst rows",
        ),
        Result(
            "ledger writes per copied recovery point",
            per(copied, "dynamodb"),
            "writes",
            target=1,
            detail=writes,
            note="claim (PLANNED) then the copy job id (STARTED)",
        ),
        Result(
            "AWS Backup calls per skipped event",
            per(skipped, "backup"),
            "calls",
            target=0,
            detail=dict(skipped),
            note="event from a vault that is not a source",
        ),
        Result("configuration loads per warm event", loads, "load_settings", target=0),
        Result(
            "environment reads per warm event, by src/",
            reads["src"] / records,
            "reads",
            target=0,
            detail=dict(reads),
            note=f"libraries read it {reads['library'] / records:.2g} times per event",
        ),
    ]
