"""What the dashboard and the alarms of a rendered stack read from CloudWatch.

Each metric read becomes a ``MetricRead``: namespace, metric name, the exact set of dimension
names (CloudWatch matches dimension sets exactly) and the dimension values it filters on. Sources:
dashboard metric arrays (``[namespace, name, dim, value, ..., {options}]``), Metrics Insights
queries (``SELECT f(name) FROM SCHEMA(namespace, dims...) WHERE ...``) in widgets and alarms, and
alarm metrics. Metric math over other entries reads nothing new and is skipped.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.template_loader import RenderedStack

_SELECT = re.compile(
    r"SELECT\s+\w+\((?P<metric>\w+)\)\s+FROM\s+(?P<source>.+?)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+GROUP BY\s+(?P<group>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SCHEMA = re.compile(r"SCHEMA\((?P<arguments>[^)]*)\)", re.IGNORECASE)
_FILTER = re.compile(r"(\w+)\s*(!=|=)\s*'([^']*)'")


@dataclass(frozen=True)
class MetricRead:
    namespace: str
    name: str
    dimensions: frozenset[str]
    filters: tuple[tuple[str, str, str], ...]  # (dimension, "=" or "!=", value)
    group_by: tuple[str, ...]
    source: str  # the widget title or the alarm's logical id

    @property
    def key(self) -> tuple[str, frozenset[str]]:
        return self.name, self.dimensions


def dashboard_body(stack: RenderedStack, logical_id: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(stack.properties(logical_id)["DashboardBody"])
    return body


def from_query(query: str, source: str) -> MetricRead:
    """A Metrics Insights query; FROM without SCHEMA would match any dimension set."""
    match = _SELECT.match(query.strip())
    if match is None:
        raise ValueError(f"{source}: not a Metrics Insights query: {query!r}")
    schema = _SCHEMA.fullmatch(match["source"].strip())
    if schema is None:
        raise ValueError(f"{source}: name the dimension set with FROM SCHEMA(...): {query!r}")
    namespace, *dimensions = (part.strip().strip('"') for part in schema["arguments"].split(","))
    group = tuple(part.strip() for part in (match["group"] or "").split(",") if part.strip())
    return MetricRead(
        namespace,
        match["metric"],
        frozenset(dimensions),
        tuple(_FILTER.findall(match["where"] or "")),
        group,
        source,
    )


def dashboard_reads(body: dict[str, Any]) -> Iterator[MetricRead]:
    for widget in body["widgets"]:
        properties = widget["properties"]
        title = str(properties.get("title", widget["type"]))
        for entry in properties.get("metrics", []):
            yield from _widget_entry(entry, title)


def _widget_entry(entry: list[Any], title: str) -> Iterator[MetricRead]:
    options = entry[-1] if entry and isinstance(entry[-1], dict) else {}
    plain = [item for item in entry if not isinstance(item, dict)]
    if not plain:
        expression = str(options["expression"])
        if expression.lstrip().upper().startswith("SELECT"):
            yield from_query(expression, title)
        return  # metric math over the widget's other entries
    if any(item in (".", "...") for item in plain):
        raise ValueError(f"{title}: write metric arrays out in full, without '.' or '...'")
    namespace, name, *pairs = (str(item) for item in plain)
    names, values = pairs[0::2], pairs[1::2]
    filters = tuple((n, "=", v) for n, v in zip(names, values, strict=True))
    yield MetricRead(namespace, name, frozenset(names), filters, (), title)


def alarm_reads(stack: RenderedStack) -> Iterator[MetricRead]:
    for logical_id, alarm in stack.of_type("AWS::CloudWatch::Alarm").items():
        properties = alarm["Properties"]
        if "MetricName" in properties:
            yield _metric(properties, logical_id)
        for query in properties.get("Metrics", []):
            if "MetricStat" in query:
                yield _metric(query["MetricStat"]["Metric"], logical_id)
            elif str(query["Expression"]).lstrip().upper().startswith("SELECT"):
                yield from_query(query["Expression"], logical_id)


def _metric(metric: dict[str, Any], source: str) -> MetricRead:
    dimensions = metric.get("Dimensions", [])
    filters = tuple((d["Name"], "=", str(d["Value"])) for d in dimensions)
    names = frozenset(d["Name"] for d in dimensions)
    return MetricRead(metric["Namespace"], metric["MetricName"], names, filters, (), source)
