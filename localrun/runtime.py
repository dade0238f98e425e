"""The local Lambda runtime: SQS event sources polled and delivered to the real handler code.

What the runtime does is what the Lambda service does for a function with an SQS event source
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): receive up to BatchSize messages,
invoke the handler with an event of the documented shape, delete the messages the handler did
not report in ``batchItemFailures`` (all of them on an error), and let the others come back once
their visibility timeout has passed — here, when the runner says time has passed
(``release_failed``), because the simulated clock is far faster than SQS's wall clock. A record
whose handler changed its visibility (the tracking's backoff, at most 15 minutes by default) waits
for the same release: the demo's day releases once per step (an hour), its drain once per round.

The functions come from a ``Deployment`` (the demo reads them from template.yaml, ``demo.stack``):
each ``FunctionSpec`` names its handler, environment and event sources.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import sys
import traceback
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, TextIO, TypeVar
from unittest import mock

import boto3
import botocore.endpoint
from botocore.config import Config

import adapters.clock
import emulator
from localrun.invocation import LambdaContext, failed_message_ids, scheduled_event, sqs_record

# Moto answers at once and never throttles SQS: one attempt is all the runner needs.
_SQS_CONFIG = Config(retries={"total_max_attempts": 1})
# Packages whose modules cache settings and clients per container, each with a reset().
WIRING_PACKAGES = ("handlers.", "adapters.")
# Outside Lambda there is no X-Ray daemon: tracing stays off whatever the template's Tracing says.
LOCAL_OVERRIDES = {"POWERTOOLS_TRACE_DISABLED": "true"}


class _HandlerOutput(io.TextIOBase):
    """Where the handlers' stdout goes (Powertools logs and EMF metrics): a file or nowhere.

    Powertools' Logger keeps the stream it found when its module was imported, so the handlers
    are imported while this object is stdout, and it forwards to whatever target is current.
    """

    def __init__(self) -> None:
        self.target: TextIO | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.target is not None:
            self.target.write(text)
        return len(text)


HANDLER_OUTPUT = _HandlerOutput()


@dataclass(frozen=True, slots=True)
class QueueSource:
    """An SQS event source mapping of a function (SAM ``Events: {Type: SQS}``)."""

    event_id: str
    queue_url: str
    queue_arn: str
    batch_size: int
    reports_failures: bool  # FunctionResponseTypes: [ReportBatchItemFailures]


@dataclass(frozen=True, slots=True)
class ScheduleSource:
    event_id: str
    expression: str


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    handler: str  # "handlers.copy_handler.lambda_handler"
    environment: dict[str, str]
    memory_mb: int
    timeout_seconds: int
    queues: tuple[QueueSource, ...] = ()
    schedules: tuple[ScheduleSource, ...] = ()


class Deployment(Protocol):
    """The functions the runtime plays, and where they are deployed."""

    @property
    def functions(self) -> dict[str, FunctionSpec]: ...

    @property
    def stack_name(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def account(self) -> str: ...


@dataclass(slots=True)
class InvocationStats:
    invocations: Counter[str] = field(default_factory=Counter)
    records: Counter[str] = field(default_factory=Counter)
    failed_records: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # invocations that raised
    backoff_seconds: float = 0.0  # botocore retry waits skipped (see _SkippedBackoff)

    def as_dict(self) -> dict[str, Any]:
        return {
            "invocations": dict(self.invocations),
            "records": dict(self.records),
            "failed_records": dict(self.failed_records),
            "errors": dict(self.errors),
            "skipped_backoff_seconds": round(self.backoff_seconds, 1),
        }


class _SkippedBackoff:
    """Stands in for the ``time`` module inside botocore.endpoint, whose only use of it is the
    wait between retries of a throttled or failed call. The emulator's clock is simulated, so
    waiting in wall time would only slow the run: the wait is counted, not slept."""

    def __init__(self, stats: InvocationStats) -> None:
        self._stats = stats

    def sleep(self, seconds: float) -> None:
        self._stats.backoff_seconds += seconds


D = TypeVar("D", bound=Deployment)


class LambdaRuntime(Generic[D]):
    """Runs the stack's functions in this process; use as a context manager."""

    def __init__(self, stack: D, *, log: TextIO | None = None) -> None:
        self.stack = stack
        self.stats = InvocationStats()
        self._log = log
        self._sqs = boto3.client("sqs", region_name=stack.region, config=_SQS_CONFIG)
        self._active: str | None = None
        self._saved_environment: dict[str, str] = {}
        self._waiting: dict[str, list[str]] = {}  # queue URL -> receipt handles of failed records
        self._exit = contextlib.ExitStack()

    def __enter__(self) -> LambdaRuntime[D]:
        self._saved_environment = dict(os.environ)
        HANDLER_OUTPUT.target = self._log
        self._exit.enter_context(warnings.catch_warnings())
        self._exit.enter_context(
            mock.patch.object(botocore.endpoint, "time", _SkippedBackoff(self.stats))
        )
        # The handlers live in the emulator's simulated time, as the AWS side does: claim leases,
        # look-back windows and stuck-copy ages count in it.
        self._exit.enter_context(adapters.clock.simulated(emulator.now))
        # Every metric is published with single_metric, so log_metrics finds its buffer empty.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._exit.close()
        HANDLER_OUTPUT.target = None
        os.environ.clear()
        os.environ.update(self._saved_environment)
        self._forget_wiring()
        self._active = None

    # ---- invoking ----------------------------------------------------------------------------

    def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Any:
        """Invoke the function's handler as Lambda would; exceptions propagate."""
        handler = self._load(spec)
        context = LambdaContext(
            function_name=spec.name,
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=spec.memory_mb,
            aws_request_id=str(uuid.uuid4()),
            timeout_millis=spec.timeout_seconds * 1000,
        )
        self.stats.invocations[spec.logical_id] += 1
        with contextlib.redirect_stdout(HANDLER_OUTPUT):
            return handler(event, context)

    def invoke_scheduled(self, spec: FunctionSpec, now: datetime) -> None:
        """One timer firing of each Schedule event source, as EventBridge Scheduler sends it."""
        for source in spec.schedules:
            event = scheduled_event(
                account=self.stack.account,
                region=self.stack.region,
                rule_name=f"{self.stack.stack_name}-{spec.logical_id}-{source.event_id}",
                now=now,
            )
            self._guarded(spec, functools.partial(self.invoke, spec, event))

    def _load(self, spec: FunctionSpec) -> Callable[..., Any]:
        self._activate(spec)
        module_name, _, attribute = spec.handler.rpartition(".")
        with contextlib.redirect_stdout(HANDLER_OUTPUT):
            module = importlib.import_module(module_name)
        handler: Callable[..., Any] = getattr(module, attribute)
        return handler

    def _activate(self, spec: FunctionSpec) -> None:
        """Give the process this function's environment, as a fresh container of it would have."""
        if self._active == spec.logical_id:
            return
        os.environ.clear()
        os.environ.update(self._saved_environment)
        os.environ.update(spec.environment)
        os.environ.update(LOCAL_OVERRIDES)
        os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(spec.memory_mb)
        # The handlers cache their settings and clients per container (cold start).
        self._forget_wiring()
        self._active = spec.logical_id

    def forget_active_function(self) -> None:
        """Another runtime ran functions in this process since (another account's stack): the
        next invocation starts from a fresh container of its function again."""
        self._active = None

    @staticmethod
    def _forget_wiring() -> None:
        """Call ``reset()`` of every loaded wiring module (handlers.copy_wiring,
        adapters.clients, handlers.reconcile_wiring, ...): each forgets its per-container cache.
        Modules not loaded yet have nothing cached."""
        for name, module in list(sys.modules.items()):
            if name.startswith(WIRING_PACKAGES) and callable(getattr(module, "reset", None)):
                module.reset()

    def _guarded(self, spec: FunctionSpec, call: Callable[[], Any]) -> tuple[bool, Any]:
        """Run an invocation: (True, its answer), or (False, None) when it raised.

        Lambda records an invocation error and moves on; so does the runner (into the log)."""
        try:
            return True, call()
        except Exception:  # any error of the handler is an invocation error
            self.stats.errors[spec.logical_id] += 1
            if self._log is not None:
                self._log.write(f"{spec.logical_id} invocation failed:\n{traceback.format_exc()}")
            return False, None

    # ---- SQS event sources -------------------------------------------------------------------

    def pump_all(self) -> int:
        """Deliver every visible message of every SQS event source; return how many records."""
        return sum(
            self.pump(spec, source)
            for spec in self.stack.functions.values()
            for source in spec.queues
        )

    def pump(self, spec: FunctionSpec, source: QueueSource) -> int:
        delivered = 0
        while messages := self._receive(source):
            self._deliver(spec, source, messages)
            delivered += len(messages)
        return delivered

    def release_failed(self) -> int:
        """Make failed records visible again: their visibility timeout has passed."""
        released = 0
        for queue_url, handles in self._waiting.items():
            for chunk in _chunks(handles, 10):
                self._sqs.change_message_visibility_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                        for i, handle in enumerate(chunk)
                    ],
                )
            released += len(handles)
        self._waiting = {}
        return released

    @property
    def waiting(self) -> int:
        """Failed records waiting for their visibility timeout."""
        return sum(len(handles) for handles in self._waiting.values())

    def _receive(self, source: QueueSource) -> list[dict[str, Any]]:
        answer = self._sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return [dict(message) for message in answer.get("Messages", [])]

    def _deliver(
        self, spec: FunctionSpec, source: QueueSource, messages: list[dict[str, Any]]
    ) -> None:
        records = [sqs_record(m, source.queue_arn, self.stack.region) for m in messages]
        succeeded, response = self._guarded(
            spec, functools.partial(self.invoke, spec, {"Records": records})
        )
        failed_ids = failed_message_ids(
            response,
            (m["MessageId"] for m in messages),
            errored=not succeeded,
            reports_failures=source.reports_failures,
        )
        self.stats.records[spec.logical_id] += len(messages)
        self.stats.failed_records[spec.logical_id] += len(failed_ids)
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        for chunk in _chunks(done, 10):
            self._sqs.delete_message_batch(
                QueueUrl=source.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
        failed = [m["ReceiptHandle"] for m in messages if m["MessageId"] in failed_ids]
        if failed:
            self._waiting.setdefault(source.queue_url, []).extend(failed)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
