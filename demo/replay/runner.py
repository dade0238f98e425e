"""``python -m demo --events`` (and ``copyctl demo --events``): chosen event files replayed
through template.yaml on the emulator.

The offline equivalent of ``sam local invoke``, with the rest of AWS around the function: the
template is provisioned in the events' account and Region (``demo.replay.world``), the recovery
points each event names are seeded, and each event is put on the default event bus as AWS Backup
puts it there, so the template's rules route it to the queues and the demo's Lambda runtime
(``localrun.runtime``) delivers it as Lambda would. An SQS batch file is delivered to the copy
function as Lambda delivers a batch. An event that reaches no copy function is also given to
the copy function directly, as ``sam local invoke CopyFunction -e FILE`` would. Then the copy
jobs run to the end and are tracked (``demo.day.run_day`` with no time passing), and what changed
is read back: the ledger as the copy function left it (its decision) and at the end, the copy
jobs, and the records parked in the dead-letter queues.

``replay_events`` works in the current moto mock (``replay_session`` makes one), so tests can
look at AWS afterwards.
"""

from __future__ import annotations

import json
import os
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TextIO

import boto3
from moto.events.models import events_backends

import emulator
from demo.day import run_day
from demo.replay.events import (
    decoded_body,
    event_time,
    event_vault_name,
    events_home,
    is_sqs_batch,
    ledger_keys,
    rewrite_batch,
    rewrite_vaults,
)
from demo.replay.observe import Observer
from demo.replay.render import render_text
from demo.replay.report import NOT_ROUTED, ItemReport, ReplayReport, attribute
from demo.replay.seed import seed_named_recovery_points, unknown_copy_job
from demo.replay.world import ReplayOptions, ReplayWorld, provision_world
from demo.run import copy_settings, demo_session
from demo.stack import DemoStack
from localrun.runtime import FunctionSpec, LambdaRuntime

__all__ = [
    "NOT_ROUTED",
    "ItemReport",
    "ReplayOptions",
    "ReplayReport",
    "replay_events",
    "replay_session",
    "run",
]


@contextmanager
def replay_session(account: str, region: str) -> Iterator[None]:
    """The demo's session (fake credentials, moto in-process) in the events' account."""
    with demo_session(region):
        os.environ["MOTO_ACCOUNT_ID"] = account  # moto reads it per request; restored on exit
        yield


def replay_events(
    events: Sequence[tuple[str, Any]],
    options: ReplayOptions | None = None,
    *,
    log: TextIO | None = None,
) -> ReplayReport:
    """Replay ``(name, parsed JSON)`` pairs in order, inside ``replay_session(*events_home)``."""
    account, region = events_home([document for _, document in events])
    if emulator.api.default_account() != account:
        raise RuntimeError(f"replay_events needs replay_session({account!r}, {region!r})")
    world = provision_world(options or ReplayOptions(), account, region)
    for stack in world.stacks.values():
        copy_settings(stack)  # a template the handlers cannot run with fails here, at once
    with LambdaRuntime(world.runtime_stack, log=log) as runtime:
        replay = _Replay(world, runtime, log)
        for name, document in events:
            replay.file(name, document)
    return ReplayReport(world.summary(), replay.items, replay.unattributed, replay.summary())


def run(
    events: Sequence[tuple[str, Any]],
    *,
    options: ReplayOptions,
    json_to: Path | str | None,
    out: TextIO,
    log_path: Path | None = None,
) -> int:
    """``python -m demo --events``: replay, print (as JSON when ``json_to`` is "-"; also into
    the file ``json_to`` names), and exit 1 unless the run was healthy."""
    account, region = events_home([document for _, document in events])
    log_file = log_path.open("w", encoding="utf-8") if log_path else nullcontext()
    with log_file as log, replay_session(account, region):
        report = replay_events(events, options, log=log)
    if json_to == "-":
        json.dump(report.as_dict(), out, indent=2)
        out.write("\n")
    else:
        out.write(render_text(report))
    if isinstance(json_to, Path):
        json_to.parent.mkdir(parents=True, exist_ok=True)
        json_to.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
        out.write(f"\nJSON report written to {json_to}\n")
    return 0 if report.healthy else 1


class _Replay:
    def __init__(
        self, world: ReplayWorld, runtime: LambdaRuntime[DemoStack], log: TextIO | None
    ) -> None:
        self.world, self.runtime, self.log = world, runtime, log
        self.observer = Observer(world)
        self.last = self.observer.snapshot()
        self.sqs = boto3.client("sqs", region_name=world.region)
        self.items: list[ItemReport] = []
        self.unattributed: dict[str, list[dict[str, Any]]] = {
            "ledger": [],
            "copy_jobs": [],
            "parked": [],
        }
        self.quiescent = True
        self.invocation_errors = 0

    def file(self, source: str, document: Any) -> None:
        if moment := event_time(document):
            emulator.set_time(moment)  # the event happens when it says
        before = self.last  # nothing but seeding and the clock changed since it was taken
        errors_before = Counter(self.runtime.stats.errors)
        if is_sqs_batch(document):
            items = self._batch(source, document)
        else:
            items = [self._event(source, document)]
        for spec in self.world.copy_functions():
            for queue in spec.queues:
                self.runtime.pump(spec, queue)
        for item in items:
            if item.record is None and not self._reaches_copy_function(item):
                self._invoke_directly(item)
        # The copy functions' writes, before the copy jobs run and the tracking writes.
        decided = self.observer.snapshot(copy_jobs=False)
        self.quiescent &= run_day(self.runtime, hours=0).quiescent
        after = self.last = self.observer.snapshot()
        parked = self.observer.take_parked()
        for kind, found in attribute(items, before, decided, after, parked).items():
            self.unattributed[kind] += found
        failed = Counter(self.runtime.stats.errors) - errors_before
        for item in items:
            item.notes += [
                f"{name} failed {count} invocation(s) meanwhile (details: --log)"
                for name, count in sorted(failed.items())
            ]
        self.items.extend(items)

    # ---- delivering ------------------------------------------------------------------------

    def _event(self, source: str, document: Any) -> ItemReport:
        event = self._rewritten(document)
        item = ItemReport(source, None, _describe(event), json.dumps(event), ledger_keys(event))
        item.seeded = seed_named_recovery_points(event, self.world)
        if unknown := unknown_copy_job(event, self.world):
            item.notes.append(f"copy job {unknown} is unknown here: no replayed event started it")
        if not _publishable(event):
            item.delivery = "not published: not an EventBridge event (source, detail-type, detail)"
            return item
        item.routes = self._publish(event)
        item.delivery = "routed" if item.routes else NOT_ROUTED
        return item

    def _publish(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Put the event on its account's default bus as the AWS service does (the PutEvents API
        is for custom sources), and name the rules that match it, with their targets."""
        account = event.get("account", self.world.account)
        region = event.get("region", self.world.region)
        backend = events_backends[account][region]
        envelope = {"version": "0", **{k: event.get(k) for k in ("id", "detail-type", "source")}}
        envelope |= {"account": account, "region": region, "time": event.get("time")}
        envelope |= {"resources": event.get("resources") or [], "detail": event["detail"]}
        rules = [
            rule
            for rule in backend.describe_event_bus("default").rules.values()
            if not rule.scheduled_expression and rule.event_pattern.matches_event(envelope)  # type: ignore[arg-type]
        ]
        moment = event_time(event)
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": envelope["resources"],
            "Time": (moment or emulator.now()).timestamp(),
        }
        backend.put_events([entry])
        routes = []
        for rule in rules:
            label, notes = self.world.rule_label(rule.name)
            routes.append({"rule": label, "targets": self._targets(rule.targets), "notes": notes})
        return routes

    def _targets(self, targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = []
        for target in targets:
            fed = self.world.function_of_queue(str(target["Arn"]))
            if fed is None:
                found.append({"arn": target["Arn"]})
            else:
                spec, url = fed
                found.append({"queue": url.rsplit("/", 1)[-1], "function": spec.name})
        return found

    def _batch(self, source: str, document: dict[str, Any]) -> list[ItemReport]:
        """The batch delivered to the copy function as Lambda delivers one from its queue."""
        spec = self.world.copy_function_for(None)
        queue = spec.queues[0]
        batch = rewrite_batch(
            document,
            self.world.vault_names,
            account=self.world.account,
            region=self.world.region,
            queue_arn=queue.queue_arn,
        )
        items = []
        for index, raw in enumerate(batch["Records"]):
            record = raw if isinstance(raw, dict) else {}
            body, event = record.get("body"), decoded_body(record.get("body"))
            item = ItemReport(
                source,
                str(record.get("messageId", index)),
                _describe(event) if event is not None else "a body that is not JSON",
                body if isinstance(body, str) else "",
                ledger_keys(event),
            )
            item.seeded = seed_named_recovery_points(event, self.world)
            item.delivery = f"SQS batch record → {spec.name} (as Lambda delivers a batch)"
            items.append(item)
        answer = self._invoke(spec, batch)
        failed = _failed_records(answer, items)
        for item in items:
            item.direct = {"function": spec.name, "batch_item_failure": item.record in failed}
            if item.record in failed:
                # Lambda leaves a failed record in the queue: it comes back after the
                # visibility timeout, here at once (the drain delivers it again).
                self.sqs.send_message(QueueUrl=queue.queue_url, MessageBody=item.body or "(empty)")
                item.notes.append(f"failed in the batch: redelivered from {queue.queue_url}")
        return items

    def _reaches_copy_function(self, item: ItemReport) -> bool:
        copy_functions = {spec.name for spec in self.world.copy_functions()}
        targets = [target for route in item.routes for target in route["targets"]]
        return any(target.get("function") in copy_functions for target in targets)

    def _invoke_directly(self, item: ItemReport) -> None:
        """What ``sam local invoke CopyFunction -e FILE`` does: the event, bare, to the handler
        (the copy function of the stack that protects the event's vault)."""
        event = json.loads(item.body)
        spec = self.world.copy_function_for(event_vault_name(event))
        answer = self._invoke(spec, event)
        item.direct = {"function": spec.name, "answer": answer}

    def _invoke(self, spec: FunctionSpec, event: Any) -> Any:
        try:
            return self.runtime.invoke(spec, event)
        except Exception as error:  # Lambda records an invocation error and moves on
            self.invocation_errors += 1
            if self.log is not None:
                self.log.write(f"{spec.name} invocation failed:\n{traceback.format_exc()}")
            return {"error": f"{type(error).__name__}: {error}"}

    def _rewritten(self, document: Any) -> Any:
        names, world = self.world.vault_names, self.world
        return rewrite_vaults(document, names, account=world.account, region=world.region)

    def summary(self) -> dict[str, Any]:
        stats = self.runtime.stats
        return {
            "invocations": stats.as_dict(),
            "invocation_errors": sum(stats.errors.values()) + self.invocation_errors,
            "quiescent": self.quiescent,
            "managed_vault_policy": emulator.config().managed_vault_policy,
        }


def _publishable(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("source"), str)
        and isinstance(event.get("detail-type"), str)
        and isinstance(event.get("detail"), dict)
    )


def _describe(event: Any) -> str:
    if not isinstance(event, dict):
        return "not an event (a JSON object is expected)"
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    words = [str(event.get("detail-type", "?")), str(detail.get("state", "")).strip()]  # type: ignore[union-attr]
    vault = event_vault_name(event)
    return " ".join(w for w in words if w) + (f", vault {vault}" if vault else "")


def _failed_records(answer: Any, items: list[ItemReport]) -> set[str | None]:
    """Lambda's rule: an error fails the batch; otherwise only the reported items fail."""
    if not isinstance(answer, dict) or "error" in answer:
        return {item.record for item in items}
    failures = answer.get("batchItemFailures") or []
    return {str(failure.get("itemIdentifier")) for failure in failures}
