"""Issue 7: the copy status dashboard and the alarms, as the template defines them.

The metrics they read are compared with what the code emits in test_template_metrics.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infrastructure.expectations import ACCOUNT
from tests.infrastructure.metric_references import dashboard_body, dashboard_reads
from tests.template_loader import RenderedStack, render

REGION = "us-east-1"
GRID_COLUMNS = 24  # CloudWatch dashboards are 24 columns wide
DEAD_LETTER_QUEUES = ("CopyDeadLetterQueue", "TrackingDeadLetterQueue", "KeyGuardDeadLetterQueue")
FUNCTIONS = ("CopyFunction", "TrackingFunction", "ReconcilerFunction", "KeyGuardFunction")
# Functions fed by a capped SQS event source: a throttle there means the account is exhausted.
QUEUE_FUNCTIONS = ("CopyFunction", "TrackingFunction")
VARIANTS = [{"StackRole": role} for role in ("primary", "dr")]


def _stack(**parameters: str) -> RenderedStack:
    return render(parameters=parameters, region=REGION, account=ACCOUNT)


def _widgets(stack: RenderedStack, kind: str) -> list[dict[str, Any]]:
    body = dashboard_body(stack, "CopyStatusDashboard")
    return [w for w in body["widgets"] if w["type"] == kind]


def _alarms(stack: RenderedStack) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in stack.of_type("AWS::CloudWatch::Alarm").items()}


def _references(node: Any) -> Iterator[str]:
    """Logical ids a raw template value refers to (Ref, GetAtt, ${...} in Sub)."""
    if isinstance(node, list):
        for item in node:
            yield from _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else value.split(".", 1)[0]
            elif key == "Fn::Sub":
                text, local = (value, {}) if isinstance(value, str) else value
                names = (n.split(".", 1)[0] for n in re.findall(r"\$\{([^!}][^}]*)\}", text))
                yield from (name for name in names if name not in local)
                yield from _references(local)
            else:
                yield from _references(value)


@pytest.fixture(scope="module")
def stack() -> RenderedStack:
    return _stack()


# --- dashboard -------------------------------------------------------------------------------


@pytest.mark.parametrize("parameters", VARIANTS, ids=lambda p: "-".join(p.values()))
def test_dashboard_body_is_valid_json_after_substitution(parameters: dict[str, str]) -> None:
    # Given the rendered Fn::Sub of the body / When parsed / Then it is a dashboard body
    body = dashboard_body(_stack(**parameters), "CopyStatusDashboard")
    assert body["widgets"]
    for widget in body["widgets"]:
        assert widget["type"] in {"metric", "text", "log", "alarm"}
        assert widget["x"] >= 0
        assert widget["x"] + widget["width"] <= GRID_COLUMNS
        assert widget["height"] > 0


def test_dashboard_is_named_after_the_stack_and_its_region(stack: RenderedStack) -> None:
    # Dashboards are account-global: the primary and dr stacks share their Name (the DR naming rule)
    name = stack.properties("CopyStatusDashboard")["DashboardName"]
    assert name == f"{stack.stack_name}-copy-status-{stack.region}"
    assert stack.outputs["CopyStatusDashboardUrl"].endswith(f"#dashboards:name={name}")


def test_widgets_do_not_overlap(stack: RenderedStack) -> None:
    taken: set[tuple[int, int]] = set()
    for widget in dashboard_body(stack, "CopyStatusDashboard")["widgets"]:
        cells = {
            (widget["x"] + dx, widget["y"] + dy)
            for dx in range(widget["width"])
            for dy in range(widget["height"])
        }
        assert not cells & taken, widget["properties"].get("title")
        taken |= cells


def test_text_widgets_say_what_good_looks_like(stack: RenderedStack) -> None:
    texts = [w["properties"]["markdown"] for w in _widgets(stack, "text")]
    # The overview, then one per section (protection, copies, pipeline), each saying what is good
    assert len(texts) == 4
    assert all("good" in text.lower() for text in texts)


def test_log_widget_lists_failures_from_every_function_log_group(stack: RenderedStack) -> None:
    (widget,) = _widgets(stack, "log")
    query = widget["properties"]["query"]
    sources = re.findall(r"SOURCE '([^']+)'", query)
    groups = [stack.properties(f"{f}LogGroup")["LogGroupName"] for f in FUNCTIONS]
    assert sources == groups
    assert "sort @timestamp desc" in query
    # Failed and key-dependent copies, and keys at risk (the key guard's "alerted")
    for outcome in ("failed", "key-dependent", "alerted"):
        assert f'"{outcome}"' in query


def test_aws_metrics_point_at_this_stacks_resources(stack: RenderedStack) -> None:
    expected = {
        "AWS/Lambda": {"FunctionName": {f"{stack.stack_name}-{f}" for f in FUNCTIONS}},
        "AWS/SQS": {"QueueName": {"CopyQueue", "TrackingQueue", *DEAD_LETTER_QUEUES}},
        "AWS/Backup": {
            "BackupVaultName": {
                stack.properties(v)["BackupVaultName"]
                for v in ("LagVault", "ManagedKeyVault", "ServiceKeyVaultRds", "ServiceKeyVaultEbs")
            }
        },
    }
    seen: dict[str, set[str]] = {}
    for read in dashboard_reads(dashboard_body(stack, "CopyStatusDashboard")):
        if read.namespace not in expected:
            continue
        for dimension, _, value in read.filters:
            assert value in expected[read.namespace][dimension], (read.source, value)
            seen.setdefault(read.namespace, set()).add(value)
    # And every function, queue and destination vault is on the dashboard
    assert seen == {ns: values for ns, dims in expected.items() for values in dims.values()}


@pytest.mark.parametrize("parameters", VARIANTS, ids=lambda p: "-".join(p.values()))
def test_alarm_widget_lists_every_alarm_of_the_stack(parameters: dict[str, str]) -> None:
    stack = _stack(**parameters)
    (widget,) = _widgets(stack, "alarm")
    arns = {
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{p['AlarmName']}"
        for p in _alarms(stack).values()
    }
    assert set(widget["properties"]["alarms"]) == arns


# --- alarms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("parameters", VARIANTS, ids=lambda p: "-".join(p.values()))
def test_every_alarm_pages_through_the_alert_topic(parameters: dict[str, str]) -> None:
    stack = _stack(**parameters)
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:AlertTopic"
    for logical_id, alarm in _alarms(stack).items():
        assert alarm["AlarmActions"] == [topic], logical_id
        assert alarm["AlarmName"].startswith(f"{stack.stack_name}-"), logical_id


def test_every_alarm_says_what_to_do_first(stack: RenderedStack) -> None:
    for logical_id, alarm in _alarms(stack).items():
        assert "First:" in alarm["AlarmDescription"], logical_id


def test_every_alarm_refers_to_resources_of_the_template(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    alarms = {k: v for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms
    for logical_id, alarm in alarms.items():
        referred = set(_references(alarm["Properties"])) - set(template["Parameters"])
        referred -= {"AWS::StackName", "AWS::NoValue"}
        assert "AlertTopic" in referred, logical_id
        assert referred <= set(resources), (logical_id, referred - set(resources))


def test_each_dead_letter_queue_and_function_has_its_alarms(stack: RenderedStack) -> None:
    watched = {
        (a.get("MetricName"), d["Value"])
        for a in _alarms(stack).values()
        for d in a.get("Dimensions", [])
    }
    for queue in DEAD_LETTER_QUEUES:
        assert ("ApproximateNumberOfMessagesVisible", queue) in watched
    for function in FUNCTIONS:
        assert ("Errors", f"{stack.stack_name}-{function}") in watched
    # Throttles page only where a capped queue source means the account's concurrency ran out;
    # the reconciler's and the key guard's asynchronous events are retried by Lambda instead.
    throttled = {value for metric, value in watched if metric == "Throttles"}
    assert throttled == {f"{stack.stack_name}-{function}" for function in QUEUE_FUNCTIONS}


def test_dead_letter_and_function_alarms_fire_on_the_first_message_or_error(
    stack: RenderedStack,
) -> None:
    for logical_id, alarm in _alarms(stack).items():
        if alarm.get("Namespace") in ("AWS/SQS", "AWS/Lambda"):
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
                0,
                "GreaterThanThreshold",
            ), logical_id
            assert alarm["TreatMissingData"] == "notBreaching", logical_id


@pytest.mark.parametrize(
    ("alarm", "outcome"),
    [("CopyFailedAlarm", "failed"), ("KeyDependentCopyAlarm", "key-dependent")],
)
def test_copy_outcome_alarms_sum_over_every_resource_type_and_target(
    stack: RenderedStack, alarm: str, outcome: str
) -> None:
    (query,) = _alarms(stack)[alarm]["Metrics"]
    assert query["ReturnData"] is True
    assert (
        "FROM SCHEMA(BackupCopyOrchestrator, Outcome, ResourceType, service, Target)"
        in (query["Expression"])
    )
    assert f"Outcome = '{outcome}'" in query["Expression"]
    assert "GROUP BY" not in query["Expression"]  # one series: the alarm watches the sum


def test_oldest_unprotected_alarm_threshold_is_a_parameter() -> None:
    alarm = _alarms(_stack(OldestUnprotectedAlarmHours="36"))["OldestUnprotectedRecoveryPointAlarm"]
    assert alarm["Threshold"] == 36
    (returned,) = [q for q in alarm["Metrics"] if q["ReturnData"]]
    assert returned["Expression"] == "oldest / 3600"  # seconds -> hours, the threshold's unit


def test_oldest_unprotected_alarm_treats_the_gap_between_passes_as_no_news(
    stack: RenderedStack,
) -> None:
    # The age is reported once per complete pass (several runs on large vaults); an hour with
    # no pass must neither page nor freeze the alarm in its last state.
    alarm = _alarms(stack)["OldestUnprotectedRecoveryPointAlarm"]
    assert alarm["TreatMissingData"] == "notBreaching"
    (stat,) = [q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q]
    assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": stack.stack_name}]
    # At least the default schedule's interval (rate(1 hour))
    assert stat["Period"] >= 3600


@pytest.mark.parametrize("parameters", VARIANTS, ids=lambda p: "-".join(p.values()))
def test_reconciler_alarm_always_exists_and_pages_on_silence(parameters: dict[str, str]) -> None:
    assert "ReconcilerDidNotRunAlarm" in _alarms(_stack(**parameters))
    alarm = _alarms(_stack(ReconcilerMaxSilenceHours="5"))["ReconcilerDidNotRunAlarm"]
    # No run leaves no data point at all: that must page.
    assert alarm["TreatMissingData"] == "breaching"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (5, 5)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "LessThanThreshold")
    outcomes = {
        d["Value"]
        for q in alarm["Metrics"]
        if "MetricStat" in q
        for d in q["MetricStat"]["Metric"]["Dimensions"]
        if d["Name"] == "Outcome"
    }
    assert outcomes == {"complete", "continued"}


def test_the_reconciler_cannot_be_switched_off(template: dict[str, Any]) -> None:
    # The stack runs the reconciler: nothing gates it, or the alarm that watches it.
    assert "ReconcilerEnabled" not in template["Parameters"]
    conditions = {
        resource.get("Condition")
        for logical_id, resource in template["Resources"].items()
        if logical_id.startswith(("Reconciler", "KeyGuard"))
    }
    assert conditions == {None}
