"""Run the real handlers over template.yaml provisioned in the emulator, and keep what they print.

The functions get the environment the template gives them (SAM Globals merged, as the emulator
evaluates it), so the metrics they emit carry exactly the dimensions a deployed stack's would -
including the ``service`` dimension Powertools adds from POWERTOOLS_SERVICE_NAME. The scenario
walks every metric the handlers can emit: a copy protected, a copy that fails for good (an EBS
recovery point into the aws/backup vault, which the emulator refuses by default), a record the
copy handler rejects, a backup job of the hourly vault that fails (the emulator's
``backup_failure_rate`` fault; its "Backup Job State Change" reaches the tracking function through
the template's ``BackupJobProblemRule``, as events/backup-failed-ebs.json shows AWS's), a
reconciler run, and the key guard on the deletion of the stack's vault key.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

import emulator
from localrun.invocation import LambdaContext, scheduled_event, sqs_record
from tests.infrastructure.ledger_table import create_table_from_template
from tests.lambda_context import FakeLambdaContext
from tests.samples import read_event
from tests.template_loader import TEMPLATE_PATH, render

ACCOUNT = "123456789012"  # moto's default account, the emulator's too
REGION = "us-east-1"
STACK_NAME = "emf-check"
_NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
_MAX_ROUNDS = 10
_TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "MOTO_ACCOUNT_ID": ACCOUNT,
    "POWERTOOLS_TRACE_DISABLED": "1",
}


@dataclass
class PipelineRun:
    stack_name: str
    emf: list[dict[str, Any]] = field(default_factory=list)  # every EMF document printed
    # (detail-type, state) of every event TrackingQueue received
    tracked_events: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)  # function -> what its handler returned

    def metric_sets(self, namespace: str) -> set[tuple[str, frozenset[str]]]:
        """(metric name, dimension names) of every metric emitted into ``namespace``."""
        found = set()
        for document in self.emf:
            for directive in document["_aws"]["CloudWatchMetrics"]:
                if directive["Namespace"] != namespace:
                    continue
                for metric in directive["Metrics"]:
                    for dimensions in directive["Dimensions"]:
                        found.add((metric["Name"], frozenset(dimensions)))
        return found

    def dimension_values(self, name: str, metric: str | None = None) -> set[str]:
        """Values of dimension ``name`` in every EMF document, or in those of ``metric`` only."""
        return {str(d[name]) for d in self.emf if name in d and (metric is None or metric in d)}


def run_pipeline() -> PipelineRun:
    run = PipelineRun(STACK_NAME)
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        # Every metric goes through single_metric, so log_metrics always finds its buffer empty.
        warnings.filterwarnings("ignore", "No application metrics to publish")
        for name, value in _TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "EMULATOR_FAULTS", "EMULATOR_CONFIG"):
            patch.delenv(name, raising=False)
        emulator.install()
        with mock_aws():
            _Scenario(run, patch).play()
    return run


class _Scenario:
    def __init__(self, run: PipelineRun, patch: pytest.MonkeyPatch) -> None:
        self.run, self.patch = run, patch
        self.stack = emulator.from_template(TEMPLATE_PATH, {}, region=REGION, stack_name=STACK_NAME)
        self.sqs = boto3.client("sqs", region_name=REGION, config=_NO_RETRIES)
        self.backup = boto3.client("backup", region_name=REGION, config=_NO_RETRIES)
        self._create_ledger()

    def play(self) -> None:
        role = str(self.stack.arn("BackupServiceRole"))
        vault = str(self.stack.ref("DailyVault"))
        for resource in (
            f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/fs-0a1b2c3d",
            f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0a1b2c3d4e5f60718",
        ):
            self.backup.start_backup_job(
                BackupVaultName=vault, ResourceArn=resource, IamRoleArn=role
            )
        self.sqs.send_message(QueueUrl=str(self.stack.ref("CopyQueue")), MessageBody="not json")
        emulator.settle()
        self._fail_a_backup(role)
        with _captured_emf(self.run):
            self._drain_queues()
            self._invoke("ReconcilerFunction", "handlers.reconcile_handler", _scheduled_event())
            key_event = _key_deletion_event(str(self.stack.arn("BackupVaultKey")))
            self._invoke("KeyGuardFunction", "handlers.key_guard_handler", key_event)

    def _fail_a_backup(self, role: str) -> None:
        """An hourly backup of another EBS volume that ends FAILED and writes nothing."""
        emulator.set_faults(backup_failure_rate=1.0)
        try:
            self.backup.start_backup_job(
                BackupVaultName=str(self.stack.ref("HourlyVault")),
                ResourceArn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0f1e2d3c4b5a69788",
                IamRoleArn=role,
            )
            emulator.settle()
        finally:
            emulator.reset_faults()

    def _create_ledger(self) -> None:
        rendered = render(region=REGION, account=ACCOUNT, stack_name=STACK_NAME)
        name = str(self.stack.ref("LedgerTable"))
        client = boto3.client("dynamodb", region_name=REGION)
        create_table_from_template(client, name, rendered.properties("LedgerTable"))

    def _drain_queues(self) -> None:
        functions = {
            "CopyFunction": ("CopyQueue", "handlers.copy_handler"),
            "TrackingFunction": ("TrackingQueue", "handlers.tracking_handler"),
        }
        for _ in range(_MAX_ROUNDS):
            moved = 0
            for function, (queue, module) in functions.items():
                moved += self._deliver(function, queue, module)
            emulator.settle()
            if not moved:
                return
        raise AssertionError(f"the queues did not drain in {_MAX_ROUNDS} rounds")

    def _deliver(self, function: str, queue: str, module: str) -> int:
        url = str(self.stack.ref(queue))
        messages = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        if function == "TrackingFunction":
            self.run.tracked_events += [_kind_and_state(m["Body"]) for m in messages]
        handler = self._handler(function, module)
        response = handler(_sqs_event(messages, str(self.stack.arn(queue))), _context(function))
        if response["batchItemFailures"]:
            raise AssertionError(f"{function} failed records: {response['batchItemFailures']}")
        for message in messages:
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _invoke(self, function: str, module: str, event: dict[str, Any]) -> None:
        handler = self._handler(function, module)
        self.run.answers[function] = handler(event, _context(function))

    def _handler(self, function: str, module: str) -> Callable[..., Any]:
        """The function's handler, in the environment the template gives that function."""
        environment = self.stack.attribute(function, "EnvironmentVariables")
        for name, value in environment.items():
            self.patch.setenv(name, str(value))
        wirings = ("handlers.copy_wiring", "handlers.tracking_wiring", "handlers.reconcile_wiring")
        for wiring in wirings:
            importlib.import_module(wiring).reset()  # settings and clients are cached per container
        handler: Callable[..., Any] = importlib.import_module(module).lambda_handler
        return handler


@contextlib.contextmanager
def _captured_emf(run: PipelineRun) -> Iterator[None]:
    """Powertools prints each EMF document on stdout as one JSON line."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            yield
    finally:
        for line in printed.getvalue().splitlines():
            if line.startswith("{") and '"_aws"' in line:
                run.emf.append(json.loads(line))


def _kind_and_state(body: str) -> tuple[str, str]:
    event = json.loads(body)
    return str(event["detail-type"]), str(event["detail"]["state"])


def _sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The SQS -> Lambda event (the local runtime's records)."""
    return {"Records": [sqs_record(message, queue_arn, REGION) for message in messages]}


def _scheduled_event() -> dict[str, Any]:
    return scheduled_event(
        account=ACCOUNT,
        region=REGION,
        rule_name=f"{STACK_NAME}-reconcile",
        now=datetime(2026, 10, 12, 8, tzinfo=UTC),
        event_id="53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    )


def _key_deletion_event(key_arn: str) -> dict[str, Any]:
    """The CloudTrail record of ScheduleKeyDeletion (events/), naming ``key_arn``."""
    event: dict[str, Any] = read_event("kms-schedule-key-deletion.json")
    event["account"], event["region"] = ACCOUNT, REGION
    detail = event["detail"]
    detail["requestParameters"]["keyId"] = key_arn
    detail["responseElements"]["keyId"] = key_arn
    detail["resources"] = [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key_arn}]
    return event


def _context(function: str) -> LambdaContext:
    return FakeLambdaContext(function_name=function)
