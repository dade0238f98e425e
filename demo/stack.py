"""The demo's stack: the template provisioned in the emulator, plus what the runner needs to know
to play Lambda — every function's handler, environment and event sources, read from the template.

Nothing here names a function, queue or table of the template: a function that the template
gains later (tracking, reconciler) is picked up the same way as the copy function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from emulator.cloudformation import intrinsics
from emulator.cloudformation.provision import Provisioned, from_template, with_globals
from localrun.custom_resources import LocalInvoker
from localrun.runtime import FunctionSpec, QueueSource, ScheduleSource

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
SQS_QUEUE = "AWS::SQS::Queue"
# SAM event source types that fire on a timer (the reconciler's kind).
SCHEDULE_EVENT_TYPES = frozenset({"Schedule", "ScheduleV2"})
# Lambda's SQS event source defaults to 10 records per batch (SAM: BatchSize).
DEFAULT_BATCH_SIZE = 10
DEFAULT_MEMORY_MB = 128  # Lambda's defaults, when neither the function nor Globals set them
DEFAULT_TIMEOUT_SECONDS = 3
# The table API properties that AWS::DynamoDB::Table shares with CreateTable, unchanged.
_TABLE_PROPERTIES = (
    "KeySchema",
    "AttributeDefinitions",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
)


@dataclass(slots=True)
class DemoStack:
    provisioned: Provisioned
    functions: dict[str, FunctionSpec]
    tables: dict[str, str]  # logical id -> table name
    stack_name: str
    region: str
    account: str
    notes: list[str] = field(default_factory=list)

    @property
    def queue_functions(self) -> list[FunctionSpec]:
        return [spec for spec in self.functions.values() if spec.queues]

    @property
    def scheduled_functions(self) -> list[FunctionSpec]:
        return [spec for spec in self.functions.values() if spec.schedules]

    def environment_value(self, name: str) -> str:
        """The first non-empty value any function's environment gives ``name`` ("" if none)."""
        for spec in self.functions.values():
            if spec.environment.get(name):
                return spec.environment[name]
        return ""


def provision_stack(
    template_path: str | Path,
    parameters: dict[str, Any],
    *,
    stack_name: str,
    region: str,
    account: str,
) -> DemoStack:
    """Provision the template in the emulator, create its tables, and read its functions.

    Custom resources (the service-key resolver) run their real function through the local
    Lambda runtime, which replies over HTTP as in AWS."""
    provisioned = from_template(
        template_path,
        parameters,
        account=account,
        region=region,
        stack_name=stack_name,
        invoke=LocalInvoker(stack_name),
    )
    template, context = provisioned.template, provisioned.context
    if context is None:
        raise RuntimeError("from_template returned no evaluation context")
    tables = create_tables(template, provisioned, context, region)
    functions = {
        logical_id: _function_spec(logical_id, template, provisioned, context)
        for logical_id in provisioned.of_type(SERVERLESS_FUNCTION)
    }
    stack = DemoStack(provisioned, functions, tables, stack_name, region, account)
    stack.notes.extend(_missing_table_notes(stack))
    return stack


def _properties(template: dict[str, Any], logical_id: str, context: intrinsics.Context) -> Any:
    raw = template["Resources"][logical_id].get("Properties") or {}
    return intrinsics.evaluate(raw, context)


# ---- tables ------------------------------------------------------------------------------------


def create_tables(
    template: dict[str, Any], provisioned: Provisioned, context: intrinsics.Context, region: str
) -> dict[str, str]:
    """The emulator only names DynamoDB tables: create them in moto from their properties."""
    client = boto3.client("dynamodb", region_name=region)
    existing = set(client.list_tables().get("TableNames", []))
    tables: dict[str, str] = {}
    for logical_id, resource in provisioned.of_type(DYNAMODB_TABLE).items():
        name = str(resource.ref)
        if name not in existing:
            properties = _properties(template, logical_id, context)
            request = {key: properties[key] for key in _TABLE_PROPERTIES if key in properties}
            client.create_table(TableName=name, **request)
        tables[logical_id] = name
    return tables


def _missing_table_notes(stack: DemoStack) -> list[str]:
    ledger = stack.environment_value("LEDGER_TABLE_NAME")
    if ledger and ledger in stack.tables.values():
        return []
    return [
        "the template defines no ledger table (LEDGER_TABLE_NAME is empty or unknown): "
        "the copy function cannot record its decisions"
    ]


# ---- functions ---------------------------------------------------------------------------------


def _function_spec(
    logical_id: str, template: dict[str, Any], provisioned: Provisioned, context: intrinsics.Context
) -> FunctionSpec:
    """Evaluated after everything is provisioned, so that a Globals variable referring to a
    resource later in the template resolves (the provisioner evaluates a function's environment
    when it reaches the function)."""
    resource = provisioned[logical_id]
    raw = with_globals(SERVERLESS_FUNCTION, template["Resources"][logical_id], _globals(template))
    properties = intrinsics.evaluate(raw, context)
    events = properties.get("Events") or {}
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    return FunctionSpec(
        logical_id=logical_id,
        name=str(resource.ref),
        arn=str(resource.arn),
        handler=str(properties.get("Handler")),
        environment={name: str(value) for name, value in variables.items()},
        memory_mb=int(properties.get("MemorySize") or DEFAULT_MEMORY_MB),
        timeout_seconds=int(properties.get("Timeout") or DEFAULT_TIMEOUT_SECONDS),
        queues=tuple(
            _queue_source(event_id, event["Properties"], provisioned)
            for event_id, event in events.items()
            if event.get("Type") == "SQS"
        ),
        schedules=tuple(
            ScheduleSource(event_id, str(event["Properties"].get("Schedule", "")))
            for event_id, event in events.items()
            if event.get("Type") in SCHEDULE_EVENT_TYPES
        ),
    )


def _globals(template: dict[str, Any]) -> dict[str, Any]:
    globals_: dict[str, Any] = template.get("Globals") or {}
    return globals_


def _queue_source(
    event_id: str, properties: dict[str, Any], provisioned: Provisioned
) -> QueueSource:
    queue_arn = str(properties["Queue"])
    queues = provisioned.of_type(SQS_QUEUE).values()
    url = next((str(queue.ref) for queue in queues if queue.arn == queue_arn), None)
    if url is None:
        raise ValueError(f"event source {event_id}: no provisioned queue has the ARN {queue_arn}")
    return QueueSource(
        event_id=event_id,
        queue_url=url,
        queue_arn=queue_arn,
        batch_size=int(properties.get("BatchSize", DEFAULT_BATCH_SIZE)),
        reports_failures="ReportBatchItemFailures"
        in (properties.get("FunctionResponseTypes") or []),
    )
