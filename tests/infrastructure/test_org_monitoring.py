"""org/monitoring.yaml: the monitoring account's sink, organization dashboard and alarms.

The dashboard and the alarms may read only what the member stacks publish: the metric names and
dimension sets that template.yaml's own dashboard and alarms read (tests/infrastructure/
test_template_metrics.py proves those are emitted), grouped by account, never by stack name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.reconcile.coverage import METRIC_STATES
from org.package import load_template
from tests.infrastructure.metric_references import (
    MetricRead,
    alarm_reads,
    dashboard_body,
    dashboard_reads,
    from_query,
)
from tests.template_loader import TEMPLATE_PATH, render

MONITORING = TEMPLATE_PATH.parent / "org" / "monitoring.yaml"
ORG_ALARMS = (
    "OrganizationCopyFailedAlarm",
    "OrganizationKeyDependentCopyAlarm",
    "OrganizationOldestUnprotectedAlarm",
)


@pytest.fixture(scope="module")
def monitoring() -> dict[str, Any]:
    return load_template(Path(MONITORING))


@pytest.fixture(scope="module")
def member_reads() -> list[MetricRead]:
    stack = render(parameters={})
    return [*dashboard_reads(dashboard_body(stack, "CopyStatusDashboard")), *alarm_reads(stack)]


def _resource(monitoring: dict[str, Any], logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = monitoring["Resources"][logical_id]
    return resource


def _dashboard(monitoring: dict[str, Any]) -> dict[str, Any]:
    """The dashboard body, its ${...} substitutions replaced by sample values."""
    text = _resource(monitoring, "OrganizationDashboard")["Properties"]["DashboardBody"]["Fn::Sub"]
    filled = re.sub(r"\$\{OldestUnprotectedAlarmHours\}", "24", text)
    body: dict[str, Any] = json.loads(re.sub(r"\$\{[^}]+\}", "x", filled))
    return body


def _alarm_reads(monitoring: dict[str, Any]) -> list[MetricRead]:
    reads = []
    for logical_id in ORG_ALARMS:
        for query in _resource(monitoring, logical_id)["Properties"]["Metrics"]:
            if str(query["Expression"]).startswith("SELECT"):
                reads.append(from_query(query["Expression"], logical_id))
    return reads


def test_given_the_sink_then_only_the_organization_may_link_metrics_and_logs(
    monitoring: dict[str, Any],
) -> None:
    (statement,) = _resource(monitoring, "MonitoringSink")["Properties"]["Policy"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["oam:CreateLink", "oam:UpdateLink"]
    condition = statement["Condition"]
    assert condition["StringEquals"] == {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}
    types = condition["ForAllValues:StringEquals"]["oam:ResourceTypes"]
    # the member stacks link exactly these
    link = load_template(TEMPLATE_PATH)["Resources"]["MonitoringLink"]["Properties"]
    assert sorted(types) == sorted(link["ResourceTypes"])


def test_given_the_dashboard_then_it_reads_only_metrics_the_member_stacks_read(
    monitoring: dict[str, Any], member_reads: list[MetricRead]
) -> None:
    known = {read.key for read in member_reads}
    reads = [*dashboard_reads(_dashboard(monitoring)), *_alarm_reads(monitoring)]
    assert reads
    unknown = sorted({(r.source, r.name) for r in reads if r.key not in known})
    assert not unknown, f"not a metric of the member stacks: {unknown}"


def test_given_the_dashboard_then_its_filters_use_values_the_members_emit(
    monitoring: dict[str, Any], member_reads: list[MetricRead]
) -> None:
    emitted = {(d, v) for read in member_reads for d, _, v in read.filters}
    emitted |= {("State", s.value) for s in METRIC_STATES} | {("State", "in-scope")}
    reads = [*dashboard_reads(_dashboard(monitoring)), *_alarm_reads(monitoring)]
    filters = {(d, v) for read in reads for d, _, v in read.filters}
    assert filters <= emitted, filters - emitted
    # a member's service dimension is its generated stack name: never a filter here
    assert all(d != "service" for d, _ in filters)


def test_given_the_dashboard_then_every_query_is_by_account(monitoring: dict[str, Any]) -> None:
    for read in dashboard_reads(_dashboard(monitoring)):
        assert read.group_by[:1] == ("AWS.AccountId",), read.source


def test_given_the_dashboard_then_it_says_what_good_looks_like(monitoring: dict[str, Any]) -> None:
    widgets = _dashboard(monitoring)["widgets"]
    assert "**Good:**" in widgets[0]["properties"]["markdown"]
    problem_titles = [
        w["properties"]["title"]
        for w in widgets
        if w["type"] == "metric" and "good" in w["properties"]["title"].lower()
    ]
    assert len(problem_titles) >= 6


@pytest.mark.parametrize("logical_id", ORG_ALARMS)
def test_given_an_organization_alarm_then_any_occurrence_fires_it(
    monitoring: dict[str, Any], logical_id: str
) -> None:
    properties = _resource(monitoring, logical_id)["Properties"]
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["EvaluationPeriods"] == 1


def test_given_expected_accounts_then_each_silent_one_is_an_alarm(
    monitoring: dict[str, Any],
) -> None:
    loop = monitoring["Resources"]["Fn::ForEach::ExpectedAccounts"]
    variable, collection, resources = loop
    assert (variable, collection) == ("AccountId", {"Ref": "ExpectedAccountIds"})
    alarm = resources["SilentAccount${AccountId}Alarm"]["Properties"]
    (query,) = alarm["Metrics"]
    assert "WHERE AWS.AccountId = '${AccountId}'" in query["Expression"]["Fn::Sub"]
    assert from_query(query["Expression"]["Fn::Sub"], "silent").name == "ReconcileRun"
    # no data at all is the finding: missing data breaches
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert monitoring["Transform"] == "AWS::LanguageExtensions"
