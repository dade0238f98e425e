"""A stack instance of the packaged member template, as the local Lambda runtime plays it.

The member template is plain CloudFormation (``org.package``): the functions are
``AWS::Lambda::Function``, their SQS triggers ``AWS::Lambda::EventSourceMapping`` and their timers
``AWS::Events::Rule`` with a ``ScheduleExpression`` targeting the function. The emulator provisions
the instance (``emulator.cloudformation.stacksets``) and only names functions, tables and roles:
this module reads the functions from the template and creates the tables and the roles someone
finds by name (``RoleName``: the organization reader role of ``copyctl status --org``), in the
instance's account.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from demo.stack import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECONDS,
    SQS_QUEUE,
    DemoStack,
    create_tables,
)
from emulator.cloudformation import intrinsics
from emulator.cloudformation.provision import Provisioned
from localrun.runtime import FunctionSpec, QueueSource, ScheduleSource

LAMBDA_FUNCTION = "AWS::Lambda::Function"
EVENT_SOURCE_MAPPING = "AWS::Lambda::EventSourceMapping"
EVENTS_RULE = "AWS::Events::Rule"


@contextmanager
def in_account(account: str, region: str) -> Iterator[None]:
    """The process's AWS calls land in this account and Region of the emulator (moto reads
    MOTO_ACCOUNT_ID on every request), as a function deployed there calls AWS."""
    saved = {name: os.environ.get(name) for name in _identity(account, region)}
    os.environ.update(_identity(account, region))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _identity(account: str, region: str) -> dict[str, str]:
    # Lambda sets AWS_REGION and AWS_DEFAULT_REGION in every function's environment.
    return {"MOTO_ACCOUNT_ID": account, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def instance_stack(provisioned: Provisioned, *, stack_name: str, account: str, region: str) -> Any:
    """The ``DemoStack`` of one stack instance: its functions, their triggers, its tables."""
    context = provisioned.context
    if context is None:
        raise RuntimeError("the provisioner returned no evaluation context")
    with in_account(account, region):
        tables = create_tables(provisioned.template, provisioned, context, region)
    functions = _functions(provisioned, context, account, region)
    return DemoStack(provisioned, functions, tables, stack_name, region, account)


def _evaluated(provisioned: Provisioned, logical_id: str, context: intrinsics.Context) -> Any:
    raw = provisioned.template["Resources"][logical_id].get("Properties") or {}
    return intrinsics.evaluate(raw, context)


def _of_type(provisioned: Provisioned, kind: str) -> list[str]:
    resources = provisioned.template.get("Resources") or {}
    conditions = provisioned.conditions
    return [
        logical_id
        for logical_id, spec in resources.items()
        if spec.get("Type") == kind and conditions.get(spec.get("Condition", ""), True)
    ]


def _functions(
    provisioned: Provisioned, context: intrinsics.Context, account: str, region: str
) -> dict[str, FunctionSpec]:
    queues = {str(q.arn): str(q.ref) for q in provisioned.of_type(SQS_QUEUE).values()}
    triggers: dict[str, list[QueueSource]] = {}
    for logical_id in _of_type(provisioned, EVENT_SOURCE_MAPPING):
        mapping = _evaluated(provisioned, logical_id, context)
        queue_arn = str(mapping["EventSourceArn"])
        triggers.setdefault(str(mapping["FunctionName"]), []).append(
            QueueSource(
                event_id=logical_id,
                queue_url=queues[queue_arn],
                queue_arn=queue_arn,
                batch_size=int(mapping.get("BatchSize", DEFAULT_BATCH_SIZE)),
                reports_failures="ReportBatchItemFailures"
                in (mapping.get("FunctionResponseTypes") or []),
            )
        )
    timers: dict[str, list[ScheduleSource]] = {}
    for logical_id in _of_type(provisioned, EVENTS_RULE):
        rule = _evaluated(provisioned, logical_id, context)
        if "ScheduleExpression" not in rule:
            continue
        for target in rule.get("Targets") or []:
            source = ScheduleSource(logical_id, str(rule["ScheduleExpression"]))
            timers.setdefault(str(target["Arn"]), []).append(source)
    functions = {}
    for logical_id, resource in provisioned.of_type(LAMBDA_FUNCTION).items():
        properties = provisioned.functions[str(resource.arn)]
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        environment = {
            name: str(value)
            for name, value in variables.items()
            if value is not intrinsics.NO_VALUE
        }
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=str(resource.ref),
            arn=str(resource.arn),
            handler=str(properties["Handler"]),
            environment=environment | _identity(account, region),
            memory_mb=int(properties.get("MemorySize") or DEFAULT_MEMORY_MB),
            timeout_seconds=int(properties.get("Timeout") or DEFAULT_TIMEOUT_SECONDS),
            queues=tuple(triggers.get(str(resource.ref), ())),
            schedules=tuple(timers.get(str(resource.arn), ())),
        )
    return functions
