"""What a function's role needs beyond its code's own calls, derived from its template setup.

- Lambda itself, for the features the function's properties turn on:
  - its log group (``LoggingConfig.LogGroup``): ``logs:CreateLogStream``, ``logs:PutLogEvents``
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
  - ``Tracing: Active``: ``xray:PutTraceSegments``, ``xray:PutTelemetryRecords`` (no resource-level
    permission) https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html; ``Disabled`` (the
    template's ``Tracing`` parameter) or no ``Tracing``: none, SAM then sets no ``TracingConfig``
  - an SQS event source: ``sqs:ReceiveMessage``, ``sqs:DeleteMessage``, ``sqs:GetQueueAttributes``
    on that queue https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
- Encryption of what the code writes to: a topic or queue under a customer managed key needs
  ``kms:GenerateDataKey`` and ``kms:Decrypt`` on that key from whoever sends to it
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
A property this module does not know raises, so a new feature cannot go unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.security.stack_roles import LambdaFunction, Stack

ANY_RESOURCE = "*"
# Event sources Lambda is invoked by (a resource-based permission on the function, no role grant).
_PUSH_EVENTS = frozenset({"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"})
_UNKNOWN_FEATURES = ("VpcConfig", "DeadLetterQueue", "EventInvokeConfig", "FileSystemConfigs")
_SENDS = {"sns:Publish": "KmsMasterKeyId", "sqs:SendMessage": "KmsMasterKeyId"}


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    why: str


def lambda_needs(function: LambdaFunction, stack: Stack) -> list[Need]:
    properties = function.properties
    present = [name for name in _UNKNOWN_FEATURES if name in properties]
    if present:
        raise NotImplementedError(f"{function.logical_id}: derive the needs of {present} first")
    needs = _log_needs(function, stack)
    tracing = properties.get("Tracing", "Disabled")
    if tracing == "Active":
        needs += [
            Need(f"xray:{action}", ANY_RESOURCE, "Tracing: Active")
            for action in ("PutTraceSegments", "PutTelemetryRecords")
        ]
    elif tracing != "Disabled":
        raise NotImplementedError(f"{function.logical_id}: derive the needs of Tracing {tracing}")
    for name, event in properties.get("Events", {}).items():
        needs += _event_needs(function, stack, name, event)
    return needs


def _log_needs(function: LambdaFunction, stack: Stack) -> list[Need]:
    group = function.properties.get("LoggingConfig", {}).get("LogGroup")
    owner = stack.owner_of(stack.arn_of(group)) if isinstance(group, str) else None
    if owner is None:
        raise NotImplementedError(f"{function.logical_id}: no LoggingConfig.LogGroup of the stack")
    arn = stack.arns[owner]
    return [
        Need(f"logs:{action}", arn, f"LoggingConfig.LogGroup {owner}")
        for action in ("CreateLogStream", "PutLogEvents")
    ]


def _event_needs(function: LambdaFunction, stack: Stack, name: str, event: dict) -> list[Need]:  # type: ignore[type-arg]
    kind = event["Type"]
    if kind in _PUSH_EVENTS:
        return []
    if kind != "SQS":
        raise NotImplementedError(f"{function.logical_id}: event {name} of type {kind}")
    queue = stack.arn_of(event["Properties"]["Queue"])
    needs = [
        Need(f"sqs:{action}", queue, f"SQS event source {name}")
        for action in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
    ]
    key = _kms_key_of(stack, queue)
    if key is not None:
        needs.append(Need("kms:Decrypt", key, f"SQS event source {name} is encrypted"))
    return needs


def _kms_key_of(stack: Stack, arn: str) -> str | None:
    owner = stack.owner_of(arn)
    if owner is None:
        return None
    key = stack.rendered.resources[owner].get("Properties", {}).get("KmsMasterKeyId")
    if not isinstance(key, str) or key.startswith("alias/aws/"):
        # An AWS managed key (alias/aws/sns): its own key policy lets the account's principals
        # use it through its service; no IAM grant is needed, and none may be given.
        # https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
        return None
    return stack.arn_of(key)


def encryption_needs(function: LambdaFunction, stack: Stack, code_actions: set[str]) -> list[Need]:
    """KMS grants for sending to the encrypted topics and queues the role lets the code send to."""
    needs = []
    for action in sorted(code_actions & set(_SENDS)):
        for grant in function.grants_of(action):
            for resource in grant.resources:
                key = _kms_key_of(stack, resource)
                if key is None:
                    continue
                needs += [
                    Need(f"kms:{kms}", key, f"{action} to {resource} under a customer managed key")
                    for kms in ("GenerateDataKey", "Decrypt")
                ]
    return needs
