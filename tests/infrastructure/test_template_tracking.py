"""Issue 5: copy tracking in the template - ledger table, tracking queue, rule, function, alerts."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern

from adapters.ledger import STATE_INDEX, DynamoLedger
from core.copying.decision import decide
from core.kernel.config import Settings, load_settings
from core.kernel.ledger_states import LedgerState
from core.kernel.retry_delay import (
    DEFAULT_BASE_DELAY_SECONDS,
    DEFAULT_MAX_DELAY_SECONDS,
    MAX_DELAY_SECONDS,
)
from tests.fakes import EBS_SNAPSHOT, make_event, make_facts
from tests.infrastructure.expectations import ACCOUNT
from tests.infrastructure.ledger_table import create_table_from_template
from tests.samples import LAG_VAULT_ARN, event_file_names, read_event
from tests.template_loader import RenderedStack, render

REGION = "us-east-1"
OVERRIDE_VAULT = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:fsx-copies"
# The vault names of the events/ fixtures, and the stack vault each stands for.
FIXTURE_VAULTS = {
    "lag": "LagVault",
    "orchestrator-managed-key": "ManagedKeyVault",
    "orchestrator-svc-rds": "ServiceKeyVaultRds",
}


def _pattern(stack: RenderedStack) -> EventPattern:
    pattern = stack.properties("CopyJobStateChangedRule")["EventPattern"]
    return EventPattern.load(json.dumps(pattern))


def _vault_arn(stack: RenderedStack, logical_id: str) -> str:
    name = stack.properties(logical_id)["BackupVaultName"]
    return f"arn:aws:backup:{stack.region}:{stack.account}:backup-vault:{name}"


def _in_stack(stack: RenderedStack, event: dict[str, Any]) -> dict[str, Any]:
    """An events/ fixture moved into the stack: its account, and the stack's destination vault."""
    moved = copy.deepcopy(event)
    moved["account"], moved["region"] = stack.account, stack.region
    detail = moved["detail"]
    vault_name = str(detail.get("destinationBackupVaultArn", "")).rsplit(":", 1)[-1]
    if vault_name in FIXTURE_VAULTS:
        detail["destinationBackupVaultArn"] = _vault_arn(stack, FIXTURE_VAULTS[vault_name])
    return moved


def _copy_job_fixtures() -> list[str]:
    return [name for name in event_file_names() if name.startswith("copy-job-")]


def _other_event_fixtures() -> list[str]:
    """Every other EventBridge event of events/ (the SQS batch is not one)."""
    return [
        name
        for name in event_file_names()
        if not name.startswith("copy-job-") and "detail-type" in read_event(name)
    ]


@pytest.fixture(scope="module")
def stack() -> RenderedStack:
    return render(region=REGION, account=ACCOUNT)


# --- ledger table ----------------------------------------------------------------------------


def test_ledger_table_is_on_demand_recoverable_encrypted_and_retained(
    stack: RenderedStack,
) -> None:
    table = stack.resources["LedgerTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (
        "RetainExceptOnCreate",
        "Retain",
    )
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True


def test_ledger_keys_index_and_ttl_are_the_adapters(stack: RenderedStack) -> None:
    properties = stack.properties("LedgerTable")
    assert properties["KeySchema"] == [
        {"AttributeName": "RecoveryPointArn", "KeyType": "HASH"},
        {"AttributeName": "DestinationVaultArn", "KeyType": "RANGE"},
    ]
    (index,) = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == STATE_INDEX
    assert index["KeySchema"] == [
        {"AttributeName": "State", "KeyType": "HASH"},
        {"AttributeName": "UpdatedAt", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    keys = ("RecoveryPointArn", "DestinationVaultArn", "State", "UpdatedAt")
    assert types == dict.fromkeys(keys, "S")
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ExpiresAt", "Enabled": True}


def test_the_ledger_adapter_works_against_the_template_table(
    stack: RenderedStack, settings: Settings
) -> None:
    # Given the table created exactly as the template describes it
    now = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        name = stack.outputs["LedgerTableName"]
        create_table_from_template(client, name, stack.properties("LedgerTable"))
        ledger = DynamoLedger(client, name, clock=lambda: now)
        # When the copy path claims and starts a copy
        event = make_event()
        decision = decide(event, make_facts(), True, settings, 1)
        assert ledger.claim(event, decision, 1)
        ledger.mark_started(decision, "job-1", 1)
        # Then the tracking reads it back, the stuck-copy query finds it through the index
        entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
        assert entry is not None
        assert (entry.state, entry.copy_job_id) == (LedgerState.STARTED, "job-1")
        (stuck,) = ledger.in_progress_before(now + timedelta(minutes=1))
        assert stuck.recovery_point_arn == EBS_SNAPSHOT
        # ... and the item carries the TTL attribute in epoch seconds
        key = {"RecoveryPointArn": {"S": EBS_SNAPSHOT}, "DestinationVaultArn": {"S": LAG_VAULT_ARN}}
        item = client.get_item(TableName=name, Key=key)["Item"]
        assert int(item["ExpiresAt"]["N"]) > now.timestamp()
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "ExpiresAt"


# --- tracking queue, rule and function -------------------------------------------------------


def test_tracking_queue_outlasts_six_timeouts_and_redrives_to_its_dlq(stack: RenderedStack) -> None:
    queue = stack.properties("TrackingQueue")
    assert queue["VisibilityTimeout"] >= 6 * stack.properties("TrackingFunction")["Timeout"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingDeadLetterQueue",
        "maxReceiveCount": 10,
    }
    dlq = stack.properties("TrackingDeadLetterQueue")
    assert dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600 > queue["MessageRetentionPeriod"]


def test_only_the_tracking_rules_may_send_to_the_tracking_queues(stack: RenderedStack) -> None:
    # Given the copy job rule and the backup job problem rule, both delivering to TrackingQueue
    policy = stack.properties("TrackingQueuesPolicy")
    statements = policy["PolicyDocument"]["Statement"]
    queues = {
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingQueue",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingDeadLetterQueue",
    }
    rules = {
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"
        for name in ("CopyJobStateChangedRule", "BackupJobProblemRule")
    }
    # Then each may send to the queue and its DLQ, and nothing else may
    granted = {(s["Resource"], s["Condition"]["ArnEquals"]["aws:SourceArn"]) for s in statements}
    assert granted == {(queue, rule) for queue in queues for rule in rules}
    for statement in statements:
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert set(statement["Condition"]) == {"ArnEquals"}


def test_tracking_rule_delivers_to_the_tracking_queue_and_dead_letters_the_rest(
    stack: RenderedStack,
) -> None:
    properties = stack.properties("CopyJobStateChangedRule")
    assert properties["State"] == "ENABLED"
    (target,) = properties["Targets"]
    assert target["Arn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingQueue"
    assert target["DeadLetterConfig"] == {
        "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingDeadLetterQueue"
    }


@pytest.mark.parametrize("fixture", _copy_job_fixtures())
def test_tracking_rule_takes_every_copy_job_fixture_but_created(
    stack: RenderedStack, fixture: str
) -> None:
    # Given a copy job event of events/ into one of the stack's destination vaults
    event = _in_stack(stack, read_event(fixture))
    # Then the rule takes it, unless it is the CREATED one (no copyJobId: nothing to record)
    expected = event["detail"]["state"] != "CREATED"
    assert _pattern(stack).matches_event(event) is expected


@pytest.mark.parametrize("fixture", _other_event_fixtures())
def test_tracking_rule_ignores_every_other_fixture(stack: RenderedStack, fixture: str) -> None:
    # Backup job events and the copy into the DR source vault: none is tracked.
    assert not _pattern(stack).matches_event(_in_stack(stack, read_event(fixture)))


@pytest.mark.parametrize("vault", ["HourlyVault", "DailyVault", "MonthlyVault"])
def test_copies_into_source_vaults_are_not_tracked(stack: RenderedStack, vault: str) -> None:
    event = _in_stack(stack, read_event("copy-job-completed.json"))
    event["detail"]["destinationBackupVaultArn"] = _vault_arn(stack, vault)
    assert not _pattern(stack).matches_event(event)


def test_copies_into_override_vaults_are_tracked_once_listed() -> None:
    overrides = json.dumps({"FSx": {"vault_arn": OVERRIDE_VAULT}})
    listed = render(
        parameters={
            "DestinationOverrides": overrides,
            "DestinationOverrideVaultArns": OVERRIDE_VAULT,
        },
        region=REGION,
        account=ACCOUNT,
    )
    event = _in_stack(listed, read_event("copy-job-completed.json"))
    event["detail"]["destinationBackupVaultArn"] = OVERRIDE_VAULT
    assert _pattern(listed).matches_event(event)
    assert not _pattern(render(region=REGION, account=ACCOUNT)).matches_event(event)


def test_an_override_without_its_vault_listed_cannot_deploy() -> None:
    overrides = json.dumps({"FSx": {"vault_arn": OVERRIDE_VAULT}})
    stack = render(parameters={"DestinationOverrides": overrides})
    (violation,) = stack.rule_violations
    assert "DestinationOverrideVaultArns" in violation


@pytest.mark.parametrize(
    ("role", "more"),
    [
        ("primary", {}),
        ("dr", {}),
        ("primary", {"DrRegion": "us-west-2"}),
        ("primary", {"DrRegion": "us-west-2", "ServiceKeyPlacement": "dr-region"}),
        ("primary", {"DrRegion": "us-west-2", "ServiceKeyVaults": "rds"}),
        ("primary", {"ServiceKeyVaults": "none"}),
    ],
)
def test_the_rule_tracks_exactly_the_vaults_the_code_treats_as_destinations(
    role: str, more: dict[str, str]
) -> None:
    # Given a stack with one destination override, listed as the template asks
    stack = render(
        parameters={
            **more,
            "StackRole": role,
            "DestinationOverrides": json.dumps({"FSx": {"vault_arn": OVERRIDE_VAULT}}),
            "DestinationOverrideVaultArns": OVERRIDE_VAULT,
        },
        region=REGION,
        account=ACCOUNT,
    )
    # When the tracking function parses its environment
    environment = {k: str(v) for k, v in stack.function_environment("TrackingFunction").items()}
    settings = load_settings(environment)
    # Then the rule's vaults are the destinations the code routes
    # (core.tracking.next_attempt.route_for_vault)
    pattern = stack.properties("CopyJobStateChangedRule")["EventPattern"]
    assert set(pattern["detail"]["destinationBackupVaultArn"]) == settings.destination_vault_arns


def test_tracking_function_is_wired_as_the_contract_says(stack: RenderedStack) -> None:
    function = stack.properties("TrackingFunction")
    assert function["Handler"] == "handlers.tracking_handler.lambda_handler"
    assert (function["MemorySize"], function["Timeout"]) == (256, 60)
    assert function["Role"] == f"arn:aws:iam::{ACCOUNT}:role/TrackingFunctionRole"
    group = stack.properties("TrackingFunctionLogGroup")
    assert function["LoggingConfig"] == {"LogGroup": group["LogGroupName"]}
    assert group["LogGroupName"] == f"/aws/lambda/{stack.stack_name}/tracking-function"
    (source,) = function["Events"].values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingQueue"
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 5}


def test_tracking_concurrency_and_stuck_age_are_parameters() -> None:
    stack = render(parameters={"TrackingMaximumConcurrency": 20, "StuckAfterMinutes": 90})
    (source,) = stack.properties("TrackingFunction")["Events"].values()
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 20}
    environment = {k: str(v) for k, v in stack.function_environment("TrackingFunction").items()}
    assert load_settings(environment).stuck_after_minutes == 90


def test_the_tracking_backoff_is_the_codes_default_and_fits_the_queue(stack: RenderedStack) -> None:
    # Given the tracking function's environment and its queue
    environment = {k: str(v) for k, v in stack.function_environment("TrackingFunction").items()}
    settings = load_settings(environment)
    queue = stack.properties("TrackingQueue")
    # Then the backoff is the code's default (core.kernel.retry_delay) ...
    assert (settings.retry_base_delay_seconds, settings.retry_max_delay_seconds) == (
        DEFAULT_BASE_DELAY_SECONDS,
        DEFAULT_MAX_DELAY_SECONDS,
    )
    # ... within SQS's 12 hours, and a waiting event keeps receives to spare before the DLQ:
    # one receive to wait, one to retry (each attempt fails with an event of its own), and
    # CopyQueue's 5 for transient errors on top
    assert settings.retry_max_delay_seconds <= MAX_DELAY_SECONDS
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 2 + 5
    assert queue["MessageRetentionPeriod"] > settings.retry_max_delay_seconds


def test_only_the_tracking_role_may_delay_messages_and_only_in_its_queue(
    stack: RenderedStack,
) -> None:
    granted = {
        (logical_id, statement["Resource"])
        for logical_id, resource in stack.resources.items()
        if resource["Type"] == "AWS::IAM::Role"
        for policy in resource["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if "sqs:ChangeMessageVisibility" in _listed(statement["Action"])
    }
    assert granted == {
        ("TrackingFunctionRole", f"arn:aws:sqs:{REGION}:{ACCOUNT}:TrackingQueue"),
    }


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_stuck_age_defaults_to_the_codes_default(template: dict[str, Any]) -> None:
    from core.kernel.config import DEFAULT_STUCK_AFTER_MINUTES  # noqa: PLC0415

    assert template["Parameters"]["StuckAfterMinutes"]["Default"] == DEFAULT_STUCK_AFTER_MINUTES


# --- alerts ----------------------------------------------------------------------------------


def test_alert_topic_is_encrypted_with_its_own_rotating_key(stack: RenderedStack) -> None:
    topic = stack.properties("AlertTopic")
    assert topic["KmsMasterKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/AlertTopicKey"
    key = stack.properties("AlertTopicKey")
    assert key["EnableKeyRotation"] is True
    assert stack.properties("AlertTopicKeyAlias")["TargetKeyId"] == "AlertTopicKey"


def test_alert_key_policy_lets_sns_callers_and_cloudwatch_alarms_use_it(
    stack: RenderedStack,
) -> None:
    statements = {s["Sid"]: s for s in stack.properties("AlertTopicKey")["KeyPolicy"]["Statement"]}
    root = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    admin = statements["AccountAdministersTheKey"]
    assert admin["Principal"] == root
    assert "kms:Decrypt" not in admin["Action"]
    via_sns = statements["AccountPrincipalsMayUseTheKeyOnlyThroughSns"]
    assert via_sns["Principal"] == root
    assert via_sns["Condition"]["StringEquals"] == {
        "kms:CallerAccount": ACCOUNT,
        "kms:ViaService": f"sns.{REGION}.amazonaws.com",
    }
    alarms = statements["CloudWatchAlarmsMayPublishToTheTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(alarms["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert not {"*", "kms:*"} & set(statement["Action"])


def test_cloudwatch_may_use_the_alert_key_only_for_alarms_of_this_account_and_region(
    stack: RenderedStack,
) -> None:
    # Given the statement that lets CloudWatch alarms publish to the encrypted topic
    statements = {s["Sid"]: s for s in stack.properties("AlertTopicKey")["KeyPolicy"]["Statement"]}
    alarms = statements["CloudWatchAlarmsMayPublishToTheTopic"]
    # Then a source account or alarm ARN CloudWatch names must be ours; "IfExists", because no
    # AWS page says the KMS request SNS makes for CloudWatch carries them, and a plain
    # StringEquals on an absent key would silence every alarm
    assert alarms["Condition"] == {
        "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT},
        "ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
    }


def test_fallback_topic_is_under_the_aws_managed_key_nobody_can_disable(
    stack: RenderedStack,
) -> None:
    assert stack.properties("AlertFallbackTopic")["KmsMasterKeyId"] == "alias/aws/sns"
    assert stack.outputs["AlertFallbackTopicArn"] == (
        f"arn:aws:sns:{REGION}:{ACCOUNT}:AlertFallbackTopic"
    )


def test_key_guard_knows_the_alert_key_and_the_fallback_topic(stack: RenderedStack) -> None:
    # Given the key guard's own environment (core.key_guard.alert_path reads it)
    variables = stack.properties("KeyGuardFunction")["Environment"]["Variables"]
    assert variables["ALERT_TOPIC_KEY_ARN"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/AlertTopicKey"
    assert variables["FALLBACK_ALERT_TOPIC_ARN"] == (
        f"arn:aws:sns:{REGION}:{ACCOUNT}:AlertFallbackTopic"
    )
    # And only the key guard: the other functions publish to the alert topic alone
    for function in ("CopyFunction", "TrackingFunction", "ReconcilerFunction"):
        own = stack.properties(function).get("Environment", {}).get("Variables", {})
        assert "FALLBACK_ALERT_TOPIC_ARN" not in own


def test_alarms_still_publish_to_the_alert_topic_only(stack: RenderedStack) -> None:
    # CloudWatch alarms cannot publish to a topic under aws/sns: the fallback is for the guard
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:AlertTopic"
    alarms = [r for r in stack.resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [topic]


def test_alert_email_is_subscribed_only_when_given() -> None:
    assert "AlertEmailSubscription" not in render().resources
    assert "AlertFallbackEmailSubscription" not in render().resources
    stack = render(parameters={"AlertEmail": "oncall@example.com"}, region=REGION, account=ACCOUNT)
    for logical_id, topic in (
        ("AlertEmailSubscription", "AlertTopic"),
        ("AlertFallbackEmailSubscription", "AlertFallbackTopic"),
    ):
        assert stack.properties(logical_id) == {
            "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}",
            "Protocol": "email",
            "Endpoint": "oncall@example.com",
        }


def test_alert_email_must_look_like_an_address() -> None:
    with pytest.raises(ValueError, match="AlertEmail"):
        render(parameters={"AlertEmail": "not an address"})
