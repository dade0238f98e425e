"""Issue 2: the copy orchestrator's stack - function, queue, DLQ, rules, environment.

The environment every function parses is shared through SAM Globals; each function adds its own
dead-letter queue (and the tracking function its stuck-copy age).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from core.kernel.config import load_settings
from handlers.observability import tracing_enabled
from tests.infrastructure.expectations import ACCOUNT
from tests.template_loader import RenderedStack, render

REPOSITORY = Path(__file__).resolve().parents[2]
CONTRACTS = (REPOSITORY / "docs" / "contracts.md").read_text(encoding="utf-8")
FUNCTIONS = ("CopyFunction", "TrackingFunction")


def _environment(stack: RenderedStack, function: str = "CopyFunction") -> dict[str, str]:
    variables = stack.function_environment(function)
    return {name: str(value) for name, value in variables.items()}


def _contract_variables() -> set[str]:
    section = CONTRACTS.split("## Environment of the functions", 1)[1].split("\n## ", 1)[0]
    names = re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)?", section, flags=re.MULTILINE)
    return {name for pair in names for name in pair if name}


# --- globals and the function ----------------------------------------------------------------


def test_globals_define_runtime_architecture_tracing_and_powertools(
    template: dict[str, Any],
) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["CodeUri"] == "src/"
    assert function["Tracing"] == {"Ref": "Tracing"}
    assert template["Parameters"]["Tracing"]["Default"] == "Active"
    # Powertools from its public layer, then boto3/botocore from SdkLayer (test_sdk_layer).
    assert len(function["Layers"]) == 2
    variables = function["Environment"]["Variables"]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "BackupCopyOrchestrator"
    # The service name is a dimension of every metric: one per stack, so dev and prod metrics
    # in the same account and Region stay apart on each stack's dashboard and alarms.
    assert variables["POWERTOOLS_SERVICE_NAME"] == {"Ref": "AWS::StackName"}
    assert variables["LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert variables["POWERTOOLS_TRACE_DISABLED"] == {"Fn::If": ["TracingEnabled", "false", "true"]}


@pytest.mark.parametrize(("tracing", "trace_disabled"), [("Active", "false"), ("Disabled", "true")])
@pytest.mark.parametrize(
    "function", ["CopyFunction", "TrackingFunction", "ReconcilerFunction", "KeyGuardFunction"]
)
def test_the_tracing_parameter_turns_tracing_and_the_x_ray_sdk_on_or_off_together(
    tracing: str, trace_disabled: str, function: str
) -> None:
    # Given the stack rendered with Tracing=Active or Tracing=Disabled
    stack = render(parameters={"Tracing": tracing}, account=ACCOUNT)
    # Then every function traces as chosen (SAM turns Disabled into no TracingConfig) and its
    # code builds Powertools' Tracer, importing the X-Ray SDK, only when it traces
    assert stack.globals["Function"]["Tracing"] == tracing
    environment = _environment(stack, function)
    assert environment["POWERTOOLS_TRACE_DISABLED"] == trace_disabled
    assert tracing_enabled(environment) is (tracing == "Active")


def test_functions_need_no_requirements_file() -> None:
    # sam build stays offline only while CodeUri has no requirements.txt (docs/local-aws.md).
    assert not (REPOSITORY / "src" / "requirements.txt").exists()


def test_copy_function_is_wired_as_the_contract_says(primary_stack: RenderedStack) -> None:
    function = primary_stack.properties("CopyFunction")
    assert function["Handler"] == "handlers.copy_handler.lambda_handler"
    assert (function["MemorySize"], function["Timeout"]) == (256, 60)
    assert function["Role"] == "arn:aws:iam::111122223333:role/CopyFunctionRole"
    assert function["LoggingConfig"] == {
        "LogGroup": "/aws/lambda/backup-copy-orchestrator-test/copy-function"
    }
    handler = REPOSITORY / "src" / "handlers" / "copy_handler.py"
    assert "def lambda_handler(" in handler.read_text(encoding="utf-8")


def test_copy_function_drains_the_copy_queue_with_partial_batch_responses(
    primary_stack: RenderedStack,
) -> None:
    (event,) = primary_stack.properties("CopyFunction")["Events"].values()
    assert event["Type"] == "SQS"
    source = event["Properties"]
    assert source["Queue"] == "arn:aws:sqs:us-east-1:111122223333:CopyQueue"
    assert source["BatchSize"] == 10
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["ScalingConfig"] == {"MaximumConcurrency": 5}


def test_maximum_concurrency_is_a_parameter_within_lambda_limits(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["CopyMaximumConcurrency"]
    assert (parameter["MinValue"], parameter["MaxValue"]) == (2, 1000)
    stack = render(parameters={"CopyMaximumConcurrency": 50})
    (event,) = stack.properties("CopyFunction")["Events"].values()
    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] == 50


def test_copy_function_log_group_keeps_logs_for_the_configured_days() -> None:
    stack = render(parameters={"LogRetentionDays": 90})
    group = stack.properties("CopyFunctionLogGroup")
    assert group["RetentionInDays"] == 90
    assert stack.properties("CopyFunction")["LoggingConfig"]["LogGroup"] == group["LogGroupName"]


# --- queues ----------------------------------------------------------------------------------


def test_copy_queue_outlasts_six_function_timeouts_and_redrives_to_the_dlq(
    primary_stack: RenderedStack,
) -> None:
    queue = primary_stack.properties("CopyQueue")
    timeout = primary_stack.properties("CopyFunction")["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:111122223333:CopyDeadLetterQueue",
        "maxReceiveCount": 5,
    }


def test_dead_letter_queue_keeps_messages_14_days_and_longer_than_the_queue(
    primary_stack: RenderedStack,
) -> None:
    dlq = primary_stack.properties("CopyDeadLetterQueue")
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["SqsManagedSseEnabled"] is True
    # A redriven message keeps its original enqueue time, so the DLQ must keep it longer.
    assert primary_stack.properties("CopyQueue")["MessageRetentionPeriod"] < 14 * 24 * 3600


def test_only_the_copy_rules_may_send_to_the_queues(primary_stack: RenderedStack) -> None:
    # Given the primary stack with a DR vault: its copy rules, and the rule forwarding the DR
    # copies' events to the DR Region (which may only dead-letter here)
    rule = "arn:aws:events:us-east-1:111122223333:rule/{}".format
    copy_rules = sorted([rule("BackupCompletedRule"), rule("CopyIntoSourceVaultCompletedRule")])
    senders = {
        "arn:aws:sqs:us-east-1:111122223333:CopyQueue": copy_rules,
        "arn:aws:sqs:us-east-1:111122223333:CopyDeadLetterQueue": sorted(
            [*copy_rules, rule("DrCopyEventsForwardingRule")]
        ),
    }
    statements = primary_stack.properties("CopyQueuesPolicy")["PolicyDocument"]["Statement"]
    assert {s["Resource"] for s in statements} == set(senders)
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        arns = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert sorted(arns) == senders[statement["Resource"]]


def test_without_forwarding_only_the_copy_rules_may_dead_letter(dr_stack: RenderedStack) -> None:
    statements = dr_stack.properties("CopyQueuesPolicy")["PolicyDocument"]["Statement"]
    for statement in statements:
        arns = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert not [arn for arn in arns if "DrCopyEventsForwardingRule" in arn]
        assert len(arns) == 2


@pytest.mark.parametrize("rule", ["BackupCompletedRule", "CopyIntoSourceVaultCompletedRule"])
def test_rules_deliver_to_the_copy_queue_and_dead_letter_the_rest(
    primary_stack: RenderedStack, rule: str
) -> None:
    properties = primary_stack.properties(rule)
    assert properties["State"] == "ENABLED"
    (target,) = properties["Targets"]
    assert target["Arn"] == "arn:aws:sqs:us-east-1:111122223333:CopyQueue"
    assert target["DeadLetterConfig"] == {
        "Arn": "arn:aws:sqs:us-east-1:111122223333:CopyDeadLetterQueue"
    }


# --- environment -----------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_contract_variable_is_defined(any_role_stack: RenderedStack, function: str) -> None:
    defined = set(_environment(any_role_stack, function))
    assert _contract_variables() <= defined, _contract_variables() - defined


def test_each_function_parks_rejected_records_in_its_own_dead_letter_queue(
    primary_stack: RenderedStack,
) -> None:
    outputs = primary_stack.outputs
    assert (
        _environment(primary_stack, "CopyFunction")["PARKING_QUEUE_URL"]
        == (outputs["CopyDeadLetterQueueUrl"])
    )
    assert (
        _environment(primary_stack, "TrackingFunction")["PARKING_QUEUE_URL"]
        == (outputs["TrackingDeadLetterQueueUrl"])
    )


def test_source_vaults_come_from_the_vault_resources(
    primary_stack: RenderedStack, dr_stack: RenderedStack
) -> None:
    primary = _environment(primary_stack)["SOURCE_VAULT_NAMES"].split(",")
    assert primary == [
        primary_stack.properties(v)["BackupVaultName"]
        for v in ("HourlyVault", "DailyVault", "MonthlyVault")
    ]
    assert (
        _environment(dr_stack)["SOURCE_VAULT_NAMES"]
        == dr_stack.properties("DrVault")["BackupVaultName"]
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_destinations_and_copy_role_come_from_the_stack(
    any_role_stack: RenderedStack, function: str
) -> None:
    environment = _environment(any_role_stack, function)
    outputs = any_role_stack.outputs
    assert environment["LAG_VAULT_ARN"] == outputs["LagVaultArn"]
    assert environment["MANAGED_VAULT_ARN"] == outputs["ManagedKeyVaultArn"]
    assert environment["COPY_ROLE_ARN"] == outputs["CopyJobRoleArn"]
    assert environment["LEDGER_TABLE_NAME"] == outputs["LedgerTableName"]
    assert environment["ALERT_TOPIC_ARN"] == outputs["AlertTopicArn"]
    lag = any_role_stack.properties("LagVault")
    assert environment["LAG_VAULT_MIN_RETENTION_DAYS"] == str(lag["MinRetentionDays"])
    assert environment["LAG_VAULT_MAX_RETENTION_DAYS"] == str(lag["MaxRetentionDays"])
    lock = any_role_stack.properties("ManagedKeyVault")["LockConfiguration"]
    assert environment["MANAGED_VAULT_MIN_RETENTION_DAYS"] == str(lock["MinRetentionDays"])
    assert environment["MANAGED_VAULT_MAX_RETENTION_DAYS"] == str(lock.get("MaxRetentionDays", 0))


@pytest.mark.parametrize(
    ("main", "ec2", "extra", "expected"),
    [
        ("true", "true", "", "main,rds,ec2"),
        ("true", "false", "", "main,rds"),
        ("false", "true", "", "ec2"),
        ("false", "false", "", ""),
        ("true", "true", "x1,x2", "main,rds,ec2,x1,x2"),
        ("true", "false", "x1", "main,rds,x1"),
        ("false", "true", "x1", "ec2,x1"),
        ("false", "false", "x1", "x1"),
    ],
)
def test_lag_plan_ids_join_the_opted_in_plans_and_the_extra_ids(
    main: str, ec2: str, extra: str, expected: str
) -> None:
    stack = render(
        parameters={
            "UseLagVaultForMainPlan": main,
            "UseLagVaultForEc2Plan": ec2,
            "ExtraLagPlanIds": extra,
        }
    )
    ids = {
        "main": stack.outputs["MainBackupPlanId"],
        "rds": stack.outputs["RdsBackupPlanId"],
        "ec2": stack.outputs["Ec2BackupPlanId"],
    }
    wanted = ",".join(ids.get(item, item) for item in expected.split(",") if item)
    assert _environment(stack)["LAG_PLAN_IDS"] == wanted


def test_lag_opt_in_defaults_to_enabled(template: dict[str, Any]) -> None:
    for name in ("UseLagVaultForMainPlan", "UseLagVaultForEc2Plan"):
        assert template["Parameters"][name]["Default"] == "true"


def test_dr_stack_lag_plans_come_from_the_user_only() -> None:
    stack = render(parameters={"StackRole": "dr", "ExtraLagPlanIds": "p1"})
    assert _environment(stack)["LAG_PLAN_IDS"] == "p1"


def test_the_dr_stack_opts_every_recovery_point_of_its_dr_vault_into_lag() -> None:
    # Given the DR stack with its defaults (its recovery points carry the primary's plan ids)
    stack = render(parameters={"StackRole": "dr"}, account=ACCOUNT)
    environment = _environment(stack)
    # When the function parses its environment
    settings = load_settings(environment)
    # Then the DR vault is a source whose every recovery point follows the LAG opt-in
    dr_vault = stack.properties("DrVault")["BackupVaultName"]
    assert environment["LAG_SOURCE_VAULT_NAMES"] == dr_vault
    assert settings.lag_source_vault_names == {dr_vault}
    assert stack.outputs["LagSourceVaultNames"] == dr_vault


@pytest.mark.parametrize(
    "parameters",
    [{"StackRole": "dr", "UseLagVaultForDrCopies": "false"}, {"StackRole": "primary"}],
    ids=["dr opted out", "primary"],
)
def test_no_vault_opts_in_when_turned_off_or_in_the_primary_stack(
    parameters: dict[str, str],
) -> None:
    stack = render(parameters=parameters, account=ACCOUNT)
    assert _environment(stack)["LAG_SOURCE_VAULT_NAMES"] == ""
    assert "LagSourceVaultNames" not in stack.outputs


def test_the_dr_vault_opt_in_defaults_to_enabled(template: dict[str, Any]) -> None:
    assert template["Parameters"]["UseLagVaultForDrCopies"]["Default"] == "true"


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("role", ["primary", "dr"])
def test_the_function_accepts_its_rendered_configuration(role: str, function: str) -> None:
    # Given the environment CloudFormation would give the function / When the code parses it at
    # cold start / Then it is valid, and the sources and destinations are the stack's vaults.
    stack = render(parameters={"StackRole": role}, account=ACCOUNT)
    environment = _environment(stack, function)
    settings = load_settings(environment)
    assert settings.account_id == ACCOUNT
    assert settings.lag_vault.vault_arn == stack.outputs["LagVaultArn"]
    assert settings.managed_vault.vault_arn == stack.outputs["ManagedKeyVaultArn"]
    assert settings.source_vault_names == set(environment["SOURCE_VAULT_NAMES"].split(","))
    assert settings.ledger_table_name == stack.outputs["LedgerTableName"]
    assert settings.alert_topic_arn == stack.outputs["AlertTopicArn"]
    assert settings.parking_queue_url  # the tracking function refuses to start without it


def test_outputs_name_the_vaults_queues_function_key_and_plans(
    primary_stack: RenderedStack, dr_stack: RenderedStack
) -> None:
    common = {
        "BackupVaultKeyArn",
        "BackupServiceRoleArn",
        "CopyJobRoleArn",
        "LagVaultArn",
        "ManagedKeyVaultArn",
        # with the defaults, both roles have both service-key vaults
        "ServiceKeyVaultRdsArn",
        "ServiceKeyVaultEbsArn",
        "CopyQueueUrl",
        "CopyDeadLetterQueueUrl",
        "CopyFunctionName",
        "LedgerTableName",
        "TrackingQueueUrl",
        "TrackingDeadLetterQueueUrl",
        "TrackingFunctionName",
        "AlertTopicArn",
        "AlertFallbackTopicArn",
        "CopyStatusDashboardUrl",
        "ReconcilerFunctionName",
        "KeyGuardFunctionName",
        "KeyGuardDeadLetterQueueUrl",
        # the configuration copyctl reads (test_template_reconciler checks the values)
        "SourceVaultNames",
        "LagVaultMinRetentionDays",
        "LagVaultMaxRetentionDays",
        "ManagedVaultMinRetentionDays",
        "ManagedVaultMaxRetentionDays",
        "DestinationOverrides",
        "SupportMatrixOverrides",
        "ServiceKeyVaults",
        "ServiceKeyPlacement",
        "MaxCopyAttempts",
        "StuckAfterMinutes",
        "ReconcileLookBackDays",
    }
    primary_only = {
        "HourlyVaultArn",
        "DailyVaultArn",
        "MonthlyVaultArn",
        "MainBackupPlanId",
        "Ec2BackupPlanId",
        "RdsBackupPlanId",
        "LagPlanIds",  # the DR stack has no plans of its own
        "DrVaultArn",  # DR_VAULT_ARN: the dr stack copies nowhere else
    }
    assert set(primary_stack.outputs) == common | primary_only
    assert set(dr_stack.outputs) == common | {"DrBackupVaultArn", "LagSourceVaultNames"}
