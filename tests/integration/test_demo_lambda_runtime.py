"""The demo's Lambda runtime: environments per function, scheduled functions, process hygiene.

A stand-in schedule-triggered function is added to the provisioned stack beside the template's
own (the reconciler), to show the runner picks any such function up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

import emulator
from demo.day import run_day
from demo.stack import (
    DemoStack,
    provision_stack,
)
from localrun.runtime import FunctionSpec, LambdaRuntime, QueueSource, ScheduleSource
from tests.integration import demo_probe_handler

TEMPLATE = Path(__file__).parents[2] / "template.yaml"
START = datetime(2026, 11, 2, tzinfo=UTC)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture
def stack() -> Iterator[DemoStack]:
    emulator.install()
    with mock_aws():
        emulator.set_time(START)
        stack = provision_stack(
            TEMPLATE,
            {"StackRole": "primary"},
            stack_name="rt",
            region="us-east-1",
            account=emulator.api.default_account(),
        )
        stack.functions["ProbeFunction"] = FunctionSpec(
            logical_id="ProbeFunction",
            name="rt-ProbeFunction",
            arn="arn:aws:lambda:us-east-1:123456789012:function:rt-ProbeFunction",
            handler="tests.integration.demo_probe_handler.lambda_handler",
            environment={"PROBE_SETTING": "nightly"},
            memory_mb=128,
            timeout_seconds=30,
            schedules=(ScheduleSource("Nightly", "rate(1 day)"),),
        )
        demo_probe_handler.calls.clear()
        yield stack


def test_given_the_template_when_read_then_its_sqs_triggered_functions_are_found(
    stack: DemoStack,
) -> None:
    # Then
    handlers = {spec.handler for spec in stack.queue_functions}
    assert "handlers.copy_handler.lambda_handler" in handlers
    copy = next(s for s in stack.queue_functions if s.logical_id == "CopyFunction")
    (source,) = copy.queues
    assert source.queue_url == stack.provisioned.ref("CopyQueue")
    assert (source.batch_size, source.reports_failures) == (10, True)
    assert copy.environment["LEDGER_TABLE_NAME"] in stack.tables.values()


def test_given_a_scheduled_function_when_the_day_ends_then_it_runs_once_in_its_environment(
    stack: DemoStack,
) -> None:
    # When
    with LambdaRuntime(stack) as runtime:
        run = run_day(runtime, hours=1, run_scheduled=True)
    # Then
    (call,) = demo_probe_handler.calls
    assert run.scheduled_runs == len(stack.scheduled_functions)
    assert "ReconcilerFunction" in {spec.logical_id for spec in stack.scheduled_functions}
    assert call["probe"] == "nightly"
    assert call["function_name"] == "rt-ProbeFunction"
    assert (call["event"]["source"], call["event"]["detail-type"]) == (
        "aws.events",
        "Scheduled Event",
    )
    assert call["event"]["time"] == "2026-11-02T01:00:00Z"


def test_given_scheduled_functions_off_when_the_day_ends_then_they_do_not_run(
    stack: DemoStack,
) -> None:
    # When
    with LambdaRuntime(stack) as runtime:
        run = run_day(runtime, hours=1)
    # Then
    assert run.scheduled_runs == 0
    assert demo_probe_handler.calls == []


def test_given_a_handler_that_raises_when_its_batch_is_delivered_then_every_record_stays(
    stack: DemoStack,
) -> None:
    # Given
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="probe-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    source = QueueSource("Probe", url, arn["Attributes"]["QueueArn"], 10, reports_failures=True)
    broken = replace(
        stack.functions["ProbeFunction"],
        handler="tests.integration.demo_probe_handler.failing_handler",
        queues=(source,),
    )
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    # When
    with LambdaRuntime(stack) as runtime:
        delivered = runtime.pump(broken, source)
        # Then: Lambda counts an invocation error; the whole batch comes back after its timeout
        assert (delivered, runtime.waiting) == (2, 2)
        assert runtime.stats.errors["ProbeFunction"] == 1
        assert runtime.release_failed() == 2
    bodies = [
        m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert sorted(bodies) == ["one", "two"]
    (call,) = demo_probe_handler.calls
    assert sorted(r["body"] for r in call["event"]["Records"]) == ["one", "two"]


def test_given_a_function_ran_when_the_runtime_closes_then_the_process_environment_is_back(
    stack: DemoStack,
) -> None:
    # Given
    before = dict(os.environ)
    probe = stack.functions["ProbeFunction"]
    # When
    with LambdaRuntime(stack) as runtime:
        runtime.invoke(probe, {"ping": 1})
        inside = os.environ.get("PROBE_SETTING")
    # Then
    assert inside == "nightly"
    assert dict(os.environ) == before
