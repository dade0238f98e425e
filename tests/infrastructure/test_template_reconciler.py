"""Issue 6: the reconciler and the key guard in the template - functions, schedule, rule, outputs.

Their roles are compared with docs/contracts.md in test_template_iam.py (and with the code by
tests/security); their widgets and alarms in test_template_observability.py and
test_template_metrics.py.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern, events_backends

import emulator
from adapters.clock import utc_now
from adapters.sessions import AwsClients
from copyctl.configuration import VARIABLES, environment_from_outputs
from core.kernel.config import load_settings
from core.reconcile.settings import DEFAULT_LOOK_BACK_DAYS, load_reconcile_settings
from demo.stack import provision_stack
from handlers.reconcile_wiring import (
    KeyGuardDependencies,
    ReconcileDependencies,
    build_key_guard_dependencies,
    build_reconcile_dependencies,
)
from tests.infrastructure.expectations import ACCOUNT
from tests.samples import event_file_names, read_event, readme_expectations
from tests.template_loader import TEMPLATE_PATH, RenderedStack, render

REGION = "us-east-1"
README_EXPECTATIONS = readme_expectations()
REPOSITORY = Path(__file__).resolve().parents[2]
CONTRACTS = (REPOSITORY / "docs" / "contracts.md").read_text(encoding="utf-8")
FUNCTIONS = {
    "ReconcilerFunction": "handlers.reconcile_handler.lambda_handler",
    "KeyGuardFunction": "handlers.key_guard_handler.lambda_handler",
}
LOG_GROUPS = {"ReconcilerFunction": "reconciler-function", "KeyGuardFunction": "key-guard-function"}


def _stack(**parameters: str) -> RenderedStack:
    return render(parameters=parameters, region=REGION, account=ACCOUNT)


def _environment(stack: RenderedStack, function: str) -> dict[str, str]:
    return {name: str(value) for name, value in stack.function_environment(function).items()}


def _arn(stack: RenderedStack, kind: str, logical_id: str) -> str:
    return {
        "queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}",
        "rule": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical_id}",
        "function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack.stack_name}-{logical_id}",
    }[kind]


def _shared_contract_variables() -> set[str]:
    section = CONTRACTS.split("## Environment of the functions", 1)[1].split("\n## ", 1)[0]
    names = re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)?", section, flags=re.MULTILINE)
    return {name for pair in names for name in pair if name}


@pytest.fixture(scope="module")
def stack() -> RenderedStack:
    return _stack()


# --- the functions ---------------------------------------------------------------------------


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_function_is_wired_as_the_contract_says(stack: RenderedStack, function: str) -> None:
    properties = stack.properties(function)
    assert properties["Handler"] == FUNCTIONS[function]
    # 15 minutes is a budget: a run stops starting work before its deadline (deadline_for)
    assert (properties["MemorySize"], properties["Timeout"]) == (512, 900)
    assert properties["Role"] == f"arn:aws:iam::{ACCOUNT}:role/{function}Role"
    group = stack.properties(f"{function}LogGroup")
    assert properties["LoggingConfig"] == {"LogGroup": group["LogGroupName"]}
    assert group["LogGroupName"] == f"/aws/lambda/{stack.stack_name}/{LOG_GROUPS[function]}"
    module = FUNCTIONS[function].rsplit(".", 1)[0].replace(".", "/")
    assert "def lambda_handler(" in (REPOSITORY / "src" / f"{module}.py").read_text("utf-8")


def test_reconciler_reserves_no_concurrency_unless_asked(stack: RenderedStack) -> None:
    # Given the defaults / Then nothing is reserved: a reservation fails the first deployment in
    # an account whose concurrency quota is under 101 (Lambda keeps 100 unreserved), and a
    # second concurrent run is harmless (the cursor's conditional save stops it).
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    assert "ReservedConcurrentExecutions" not in stack.properties("ReconcilerFunction")
    assert "ReservedConcurrentExecutions" not in stack.properties("KeyGuardFunction")
    # When asked / Then one reconciler runs at a time
    reserved = _stack(ReserveReconcilerConcurrency="true")
    assert reserved.properties("ReconcilerFunction")["ReservedConcurrentExecutions"] == 1


def test_reconciler_runs_on_the_schedule_parameter_and_is_not_retried(
    stack: RenderedStack,
) -> None:
    # Given the default schedule / Then one Schedule event, which the demo runner also fires
    (name,) = stack.properties("ReconcilerFunction")["Events"]
    event = stack.properties("ReconcilerFunction")["Events"][name]
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(1 hour)"
    # A run EventBridge could not deliver is not retried: the next run resumes from the cursor
    assert event["Properties"]["RetryPolicy"] == {"MaximumRetryAttempts": 0}
    # When the schedule is a parameter value / Then the event follows it
    other = _stack(ReconcileSchedule="cron(15 * * * ? *)")
    (event,) = other.properties("ReconcilerFunction")["Events"].values()
    assert event["Properties"]["Schedule"] == "cron(15 * * * ? *)"


@pytest.mark.parametrize("value", ["hourly", "rate(1 hour", "1 hour"])
def test_schedule_must_be_a_schedule_expression(value: str) -> None:
    with pytest.raises(ValueError, match="ReconcileSchedule"):
        _stack(ReconcileSchedule=value)


def test_look_back_window_is_a_parameter_with_the_codes_default(stack: RenderedStack) -> None:
    environment = _environment(stack, "ReconcilerFunction")
    assert environment["RECONCILE_LOOK_BACK_DAYS"] == str(DEFAULT_LOOK_BACK_DAYS)
    whole = _environment(_stack(ReconcileLookBackDays="0"), "ReconcilerFunction")
    assert load_reconcile_settings(whole).look_back_days is None  # 0: whole vaults
    for value in ("-1", "1.5", ""):
        with pytest.raises(ValueError, match="ReconcileLookBackDays"):
            _stack(ReconcileLookBackDays=value)


def test_key_guard_reads_whole_vaults(stack: RenderedStack) -> None:
    # Only the reconciler has a look-back window (and the stuck-copy age); the guard has neither.
    environment = _environment(stack, "KeyGuardFunction")
    assert "RECONCILE_LOOK_BACK_DAYS" not in environment
    assert "STUCK_AFTER_MINUTES" not in environment
    reconciler = _environment(_stack(StuckAfterMinutes="90"), "ReconcilerFunction")
    assert reconciler["STUCK_AFTER_MINUTES"] == "90"


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_shared_variable_but_the_parking_queue_is_set(
    any_role_stack: RenderedStack, function: str
) -> None:
    # They park no record (a scheduled run, a KMS event): no dead-letter queue of their own.
    environment = _environment(any_role_stack, function)
    assert _shared_contract_variables() - set(environment) == {"PARKING_QUEUE_URL"}


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize("role", ["primary", "dr"])
def test_the_function_starts_with_its_rendered_configuration(role: str, function: str) -> None:
    # Given the environment CloudFormation would give the function
    stack = render(parameters={"StackRole": role}, region=REGION, account=ACCOUNT)
    environment = _environment(stack, function)
    # When its cold start wires the reconciler or the key guard (no AWS call is made)
    build = _WIRING[function]
    with mock_aws():
        aws = AwsClients(*(boto3.client(s, region_name=REGION) for s in _SERVICES))
        deps = build(environment, aws, lambda: datetime.now(UTC))
    # Then the sources are the stack's vaults and the ledger and alert topic are the stack's
    assert deps.settings.source_vault_names == set(environment["SOURCE_VAULT_NAMES"].split(","))
    assert deps.settings.ledger_table_name == stack.outputs["LedgerTableName"]
    assert deps.settings.alert_topic_arn == stack.outputs["AlertTopicArn"]


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_only_the_scheduled_reconciler_is_wired_to_save_its_pass(role: str) -> None:
    # Given each function's cold start in its rendered environment
    stack = render(parameters={"StackRole": role}, region=REGION, account=ACCOUNT)
    with mock_aws():
        aws = AwsClients(*(boto3.client(s, region_name=REGION) for s in _SERVICES))
        env = _environment(stack, "ReconcilerFunction")
        scheduled = build_reconcile_dependencies(env, aws, utc_now)
        guard = build_key_guard_dependencies(_environment(stack, "KeyGuardFunction"), aws, utc_now)
    # Then the reconciler keeps a pass, and the key guard's reconciler cannot write one
    assert scheduled.reconciler.saved_pass is not None
    assert guard.key_guard.reconciler.saved_pass is None


_SERVICES = ("backup", "dynamodb", "kms", "sns")
_WIRING: dict[str, Callable[..., ReconcileDependencies | KeyGuardDependencies]] = {
    "ReconcilerFunction": build_reconcile_dependencies,
    "KeyGuardFunction": build_key_guard_dependencies,
}


# --- the key guard's rule ----------------------------------------------------------------------


def _in_stack(event: dict[str, Any]) -> dict[str, Any]:
    moved = copy.deepcopy(event)
    moved["account"], moved["region"] = ACCOUNT, REGION
    return moved


def _kms_fixtures() -> list[str]:
    """The KMS calls the guard must see: every one but the routine grant removals."""
    return [
        name
        for name in event_file_names()
        if name.startswith("kms-") and README_EXPECTATIONS[name].expected != "key-guard:routine"
    ]


def _routine_kms_fixtures() -> list[str]:
    return [
        name
        for name in event_file_names()
        if name.startswith("kms-") and README_EXPECTATIONS[name].expected == "key-guard:routine"
    ]


def _other_fixtures() -> list[str]:
    return [
        name
        for name in event_file_names()
        if not name.startswith("kms-") and "detail-type" in read_event(name)
    ]


def _key_guard_pattern(stack: RenderedStack) -> EventPattern:
    return EventPattern.load(json.dumps(stack.properties("KeyGuardRule")["EventPattern"]))


def test_there_are_kms_fixtures_to_match() -> None:
    assert len(_kms_fixtures()) >= 4


@pytest.mark.parametrize("fixture", _kms_fixtures())
def test_key_guard_rule_takes_every_kms_call_fixture(stack: RenderedStack, fixture: str) -> None:
    # Every key, failed calls and malformed records included: the guard decides (and rejects
    # a malformed record with its reason rather than never seeing it).
    assert _key_guard_pattern(stack).matches_event(_in_stack(read_event(fixture)))


def test_there_is_a_routine_grant_removal_to_ignore() -> None:
    assert _routine_kms_fixtures()


@pytest.mark.parametrize("fixture", _routine_kms_fixtures())
def test_key_guard_rule_ignores_a_grant_an_aws_service_retired_itself(
    stack: RenderedStack, fixture: str
) -> None:
    # Given AWS Backup retiring its own grant after a job (userIdentity.invokedBy)
    # Then the rule does not even invoke the guard: AWS services do this after every job
    assert not _key_guard_pattern(stack).matches_event(_in_stack(read_event(fixture)))


@pytest.mark.parametrize("event_name", ["RevokeGrant", "RetireGrant"])
def test_key_guard_rule_ignores_grant_removals_by_the_aws_service_identity(
    stack: RenderedStack, event_name: str
) -> None:
    event = _in_stack(read_event("kms-retire-grant.json"))
    event["detail"]["eventName"] = event_name
    event["detail"]["userIdentity"] = {"type": "AWSService", "accountId": ACCOUNT}
    assert not _key_guard_pattern(stack).matches_event(event)


def test_key_guard_rule_takes_a_key_disabled_through_an_aws_service(stack: RenderedStack) -> None:
    # Only grant removals are routine when a service makes them: a disabled key is not
    event = _in_stack(read_event("kms-disable-key.json"))
    event["detail"]["userIdentity"]["invokedBy"] = "cloudformation.amazonaws.com"
    assert _key_guard_pattern(stack).matches_event(event)


@pytest.mark.parametrize("fixture", _other_fixtures())
def test_key_guard_rule_ignores_every_other_fixture(stack: RenderedStack, fixture: str) -> None:
    assert not _key_guard_pattern(stack).matches_event(_in_stack(read_event(fixture)))


@pytest.mark.parametrize(
    "event_name", ["CancelKeyDeletion", "EnableKey", "CreateKey", "Decrypt", "CreateGrant"]
)
def test_key_guard_rule_ignores_kms_calls_that_endanger_nothing(
    stack: RenderedStack, event_name: str
) -> None:
    event = _in_stack(read_event("kms-schedule-key-deletion.json"))
    event["detail"]["eventName"] = event_name
    assert not _key_guard_pattern(stack).matches_event(event)


def test_key_guard_rule_invokes_the_function_and_dead_letters_the_rest(
    stack: RenderedStack,
) -> None:
    properties = stack.properties("KeyGuardRule")
    assert properties["State"] == "ENABLED"
    assert "EventBusName" not in properties  # the default bus, where CloudTrail events arrive
    (target,) = properties["Targets"]
    assert target["Arn"] == _arn(stack, "function", "KeyGuardFunction")
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2}
    assert target["DeadLetterConfig"] == {"Arn": _arn(stack, "queue", "KeyGuardDeadLetterQueue")}


def test_only_the_key_guard_rule_may_invoke_the_key_guard(
    stack: RenderedStack, template: dict[str, Any]
) -> None:
    permissions = [
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Permission"
    ]
    assert permissions == ["KeyGuardInvokePermission"]  # SAM adds the schedule's own
    assert stack.properties("KeyGuardInvokePermission") == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": _arn(stack, "function", "KeyGuardFunction"),
        "Principal": "events.amazonaws.com",
        "SourceArn": _arn(stack, "rule", "KeyGuardRule"),
    }


def test_key_guard_dead_letter_queue_is_encrypted_kept_14_days_and_fed_by_the_rule_only(
    stack: RenderedStack,
) -> None:
    dlq = stack.properties("KeyGuardDeadLetterQueue")
    assert dlq["SqsManagedSseEnabled"] is True  # EventBridge cannot send to a queue under aws/sqs
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    policy = stack.properties("KeyGuardDeadLetterQueuePolicy")
    assert policy["Queues"] == [
        f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/KeyGuardDeadLetterQueue"
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == _arn(stack, "queue", "KeyGuardDeadLetterQueue")
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": _arn(stack, "rule", "KeyGuardRule")}
    }


# --- the outputs copyctl reads -------------------------------------------------------------------


CONFIGURATIONS = {
    "primary": {},
    "dr": {"StackRole": "dr"},
    "no-lag-plans": {"UseLagVaultForMainPlan": "false", "UseLagVaultForEc2Plan": "false"},
    "everything-set": {
        "ExtraLagPlanIds": "p1,p2",
        "LagPlanNames": "nightly,weekly",
        "LagPlanTag": "backup:lag=true",
        "SupportMatrixOverrides": '{"FSx": {"lag": false, "copyable": true}}',
        "ReconcileLookBackDays": "0",
        "StuckAfterMinutes": "90",
        "MaxCopyAttempts": "6",
    },
    "empty-overrides": {"DestinationOverrides": "", "SupportMatrixOverrides": ""},
}


@pytest.mark.parametrize("parameters", CONFIGURATIONS.values(), ids=list(CONFIGURATIONS))
def test_outputs_give_copyctl_the_reconcilers_configuration(parameters: dict[str, str]) -> None:
    # Given a stack's outputs, as copyctl --stack reads them (one DescribeStacks)
    stack = _stack(**parameters)
    outputs = {name: str(value) for name, value in stack.outputs.items()}
    # When copyctl turns them into the orchestrator's environment
    found = environment_from_outputs(stack.stack_name, outputs)
    # Then it is the reconciler's environment, variable for variable (an empty one has no
    # output, and copyctl's default is the function's: an unset variable)
    environment = _environment(stack, "ReconcilerFunction")
    assert found == {name: environment[name] for name in VARIABLES if environment.get(name)}
    assert load_settings(found) == load_settings(environment)


def test_no_output_is_empty() -> None:
    for parameters in CONFIGURATIONS.values():
        stack = _stack(**parameters)
        assert all(str(value) for value in stack.outputs.values()), parameters


# --- the emulator and the demo -----------------------------------------------------------------


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "EMULATOR_FAULTS", "EMULATOR_CONFIG", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    emulator.install()
    with mock_aws():
        yield


def test_the_emulator_provisions_the_key_guard_rule(emulated: None) -> None:
    # When the project template is provisioned in the emulator
    stack = emulator.from_template(TEMPLATE_PATH, region=REGION, stack_name="guard")
    # Then the rule exists on the default bus with the template's pattern (moto cannot invoke
    # a Lambda target: the runner invokes functions itself), the permission is only noted
    account = str(stack.arn("KeyGuardDeadLetterQueue")).split(":")[4]
    rules = events_backends[account][REGION].event_buses["default"].rules
    rule = rules[str(stack.ref("KeyGuardRule"))]
    assert json.loads(rule.event_pattern.dump()) == json.loads(
        json.dumps(render().properties("KeyGuardRule")["EventPattern"])
    )
    assert stack.skipped["KeyGuardInvokePermission"].endswith(": not emulated")
    for function in FUNCTIONS:
        assert stack.attribute(function, "EnvironmentVariables")["LEDGER_TABLE_NAME"] == str(
            stack.ref("LedgerTable")
        )


def test_the_demo_runs_the_reconciler_as_its_scheduled_function(emulated: None) -> None:
    # When the demo runner reads the template's functions
    demo = provision_stack(
        TEMPLATE_PATH, {}, stack_name="demo", region=REGION, account="123456789012"
    )
    # Then the reconciler is the one function fired at the end of the day, on its schedule,
    # and the key guard (invoked by KMS events only) is not fired by the runner
    (scheduled,) = demo.scheduled_functions
    assert scheduled.logical_id == "ReconcilerFunction"
    assert [source.expression for source in scheduled.schedules] == ["rate(1 hour)"]
    assert scheduled.timeout_seconds == 900
    guard = demo.functions["KeyGuardFunction"]
    assert (guard.queues, guard.schedules) == ((), ())
