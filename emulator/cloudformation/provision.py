"""Provision the emulator from the project's SAM template, one handler per resource type.

moto's CloudFormation knows no ``AWS::Backup::*`` type and ignores the SAM transform, so the
template is read here: Parameters (defaults, overridable), Conditions, intrinsic functions, then
each resource in dependency order. Types without a handler are skipped with a note.
Custom resources (``Custom::*``) are sent to their function through the caller's ``invoke``
(``custom_resources``); without one they are skipped, and so is every resource that refers to them.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.events.models import events_backends
from moto.iam.exceptions import EntityAlreadyExists
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.utils import get_partition

from emulator import api
from emulator.backend import EmulatorBackend, backend_for
from emulator.cloudformation import custom_resources, intrinsics, reader
from emulator.control import STATE_LOCK
from emulator.routing import install

# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html
GENERATED_NAME_LIMIT = 64


@dataclass(frozen=True, slots=True)
class Where:
    account: str
    region: str
    stack_name: str

    @property
    def backup(self) -> EmulatorBackend:
        return backend_for(self.account, self.region)

    def name_for(self, logical_id: str, explicit: Any) -> str:
        if explicit:
            return str(explicit)
        name = f"{self.stack_name}-{logical_id}"
        if len(name) <= GENERATED_NAME_LIMIT:
            return name
        # CloudFormation names an unnamed resource after the stack, the logical id and a random
        # suffix, shortened to the type's limit (aws-properties-name.html): StackSets' generated
        # stack names (StackSet-<name>-<uuid>) are long. Here: 64, the shortest such limit
        # (IAM roles, Lambda functions, EventBridge rules), and a suffix hashed from the name.
        suffix = hashlib.sha256(name.encode()).hexdigest()[:12].upper()
        return f"{self.stack_name[:30]}-{logical_id[:20]}-{suffix}"


@dataclass(slots=True)
class ProvisionedResource:
    logical_id: str
    resource_type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str | None:
        for name in ("Arn", "BackupVaultArn", "BackupPlanArn", "TopicArn"):
            if name in self.attributes:
                return str(self.attributes[name])
        return None


@dataclass(slots=True)
class Provisioned:
    """What the template created, by logical id, and what it skipped and why."""

    resources: dict[str, ProvisionedResource] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    conditions: dict[str, bool] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    # The template as read, and the context that resolved it (refs and attributes of every
    # resource): what reads more of the template afterwards evaluates in it.
    template: dict[str, Any] = field(default_factory=dict)
    context: intrinsics.Context | None = None
    # Lambda functions by ARN: their evaluated properties (what a custom resource's request needs).
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getitem__(self, logical_id: str) -> ProvisionedResource:
        return self.resources[logical_id]

    def __contains__(self, logical_id: object) -> bool:
        return logical_id in self.resources

    def ref(self, logical_id: str) -> Any:
        return self.resources[logical_id].ref

    def arn(self, logical_id: str) -> str | None:
        return self.resources[logical_id].arn

    def attribute(self, logical_id: str, name: str) -> Any:
        return self.resources[logical_id].attributes[name]

    def of_type(self, resource_type: str) -> dict[str, ProvisionedResource]:
        return {k: r for k, r in self.resources.items() if r.resource_type == resource_type}

    def as_dict(self) -> dict[str, Any]:
        return {
            "resources": {
                key: {"type": r.resource_type, "ref": r.ref, "attributes": r.attributes}
                for key, r in self.resources.items()
            },
            "skipped": self.skipped,
            "notes": self.notes,
            "conditions": self.conditions,
            "outputs": self.outputs,
        }


Handler = Callable[[Where, str, dict[str, Any], Provisioned], ProvisionedResource]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _tag_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags or []}


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# ---- KMS -------------------------------------------------------------------------------------


def _kms_key(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    backend = kms_backends[where.account][where.region]
    tags = [{"TagKey": k, "TagValue": v} for k, v in _tag_map(props.get("Tags")).items()]
    key = backend.create_key(
        None,
        props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        props.get("Description", ""),
        tags,
    )
    if props.get("EnableKeyRotation"):
        backend.enable_key_rotation(key.id)
    return ProvisionedResource(
        logical_id, "AWS::KMS::Key", key.id, {"Arn": key.arn, "KeyId": key.id}
    )


def _kms_alias(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    backend = kms_backends[where.account][where.region]
    backend.create_alias(backend.get_key_id(str(props["TargetKeyId"])), props["AliasName"])
    return ProvisionedResource(logical_id, "AWS::KMS::Alias", props["AliasName"])


# ---- AWS Backup ------------------------------------------------------------------------------


def _vault_resource(where: Where, logical_id: str, kind: str, name: str) -> ProvisionedResource:
    view = where.backup.vault_view(name)
    attributes = {"BackupVaultName": name, "BackupVaultArn": view["BackupVaultArn"]}
    if kind.endswith("LogicallyAirGappedBackupVault"):
        attributes |= {"VaultState": view["VaultState"], "VaultType": view["VaultType"]}
    return ProvisionedResource(logical_id, kind, name, attributes)


def _backup_vault(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    name = where.name_for(logical_id, props.get("BackupVaultName"))
    backend = where.backup
    backend.create_backup_vault(
        name, _tag_map(props.get("BackupVaultTags")), props.get("EncryptionKeyArn"), None
    )
    if props.get("AccessPolicy"):
        backend.put_access_policy(name, _json_text(props["AccessPolicy"]))
    lock = props.get("LockConfiguration")
    if lock:
        backend.moto.put_backup_vault_lock_configuration(
            name,
            _int(lock.get("MinRetentionDays")),
            _int(lock.get("MaxRetentionDays")),
            _int(lock.get("ChangeableForDays")),
        )
    return _vault_resource(where, logical_id, "AWS::Backup::BackupVault", name)


def _lag_vault(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    name = where.name_for(logical_id, props.get("BackupVaultName"))
    backend = where.backup
    backend.create_lag_vault(
        name,
        tags=_tag_map(props.get("BackupVaultTags")),
        minimum=int(props["MinRetentionDays"]),
        maximum=int(props["MaxRetentionDays"]),
        key_arn=props.get("EncryptionKeyArn"),
        request_id=None,
    )
    if props.get("AccessPolicy"):
        backend.put_access_policy(name, _json_text(props["AccessPolicy"]))
    return _vault_resource(where, logical_id, "AWS::Backup::LogicallyAirGappedBackupVault", name)


_RULE_INTS = ("StartWindowMinutes", "CompletionWindowMinutes")
_LIFECYCLE_INTS = ("DeleteAfterDays", "MoveToColdStorageAfterDays")


def _lifecycle(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    return {k: (int(v) if k in _LIFECYCLE_INTS else v) for k, v in value.items()}


def _plan_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """AWS::Backup::BackupPlan BackupRuleResourceType → the API's BackupRuleInput."""
    converted = {
        k: (int(v) if k in _RULE_INTS else v) for k, v in rule.items() if k != "TargetBackupVault"
    }
    converted["TargetBackupVaultName"] = rule["TargetBackupVault"]
    if rule.get("Lifecycle"):
        converted["Lifecycle"] = _lifecycle(rule["Lifecycle"])
    actions = rule.get("CopyActions") or []
    converted["CopyActions"] = [
        {k: (_lifecycle(v) if k == "Lifecycle" else v) for k, v in action.items()}
        for action in actions
    ]
    return converted


def _backup_plan(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    body = props["BackupPlan"]
    plan_input = {
        "BackupPlanName": body["BackupPlanName"],
        "Rules": [_plan_rule(rule) for rule in body.get("BackupPlanRule", [])],
    }
    if body.get("AdvancedBackupSettings"):
        plan_input["AdvancedBackupSettings"] = body["AdvancedBackupSettings"]
    tags = _tag_map(props.get("BackupPlanTags"))
    plan = where.backup.moto.create_backup_plan(plan_input, tags, None)  # type: ignore[arg-type]
    attributes = {
        "BackupPlanId": plan.backup_plan_id,
        "BackupPlanArn": plan.backup_plan_arn,
        "VersionId": plan.version_id,
    }
    return ProvisionedResource(
        logical_id, "AWS::Backup::BackupPlan", plan.backup_plan_id, attributes
    )


def _backup_selection(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    plan_id = str(props["BackupPlanId"])
    selection = where.backup.create_selection(plan_id, props["BackupSelection"], None, api.now())
    attributes = {
        "SelectionId": selection.selection_id,
        "BackupPlanId": plan_id,
        "Id": selection.selection_id,
    }
    return ProvisionedResource(
        logical_id, "AWS::Backup::BackupSelection", selection.selection_id, attributes
    )


# ---- SQS, SNS, EventBridge -------------------------------------------------------------------


def _queue(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    name = where.name_for(logical_id, props.get("QueueName"))
    if props.get("FifoQueue") and not name.endswith(".fifo"):
        name += ".fifo"
    attributes = {
        key: _json_text(value)
        if isinstance(value, dict)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in props.items()
        if key not in {"QueueName", "Tags"}
    }
    queue = sqs_backends[where.account][where.region].create_queue(
        name, _tag_map(props.get("Tags")), **attributes
    )
    url = f"https://sqs.{where.region}.amazonaws.com/{where.account}/{name}"
    return ProvisionedResource(
        logical_id,
        "AWS::SQS::Queue",
        url,
        {"Arn": queue.queue_arn, "QueueName": name, "QueueUrl": url},
    )


def _topic(
    where: Where, logical_id: str, props: dict[str, Any], _: Provisioned
) -> ProvisionedResource:
    name = where.name_for(logical_id, props.get("TopicName"))
    topic = sns_backends[where.account][where.region].create_topic(
        name, tags=_tag_map(props.get("Tags"))
    )
    return ProvisionedResource(
        logical_id, "AWS::SNS::Topic", topic.arn, {"TopicArn": topic.arn, "TopicName": name}
    )


def _iam_role(
    where: Where, logical_id: str, props: dict[str, Any], result: Provisioned
) -> ProvisionedResource:
    """A role with a RoleName is created, with its trust and inline policies: another principal
    finds it by that name, and AssumeRole needs the role (``emulator.moto_patches.sts``). The
    other roles are only named: nothing assumes them here."""
    if not props.get("RoleName"):
        return _named_only("arn:aws:iam::{account}:role/{name}", "RoleName")(
            where, logical_id, props, result
        )
    name = str(props["RoleName"])
    iam = iam_backends[where.account][get_partition(where.region)]
    with contextlib.suppress(EntityAlreadyExists):  # an earlier stack of this session made it
        iam.create_role(
            role_name=name,
            assume_role_policy_document=json.dumps(props["AssumeRolePolicyDocument"]),
            path=str(props.get("Path", "/")),
            permissions_boundary=None,
            description=str(props.get("Description", "")),
            tags=[],
            max_session_duration=str(props.get("MaxSessionDuration", 3600)),
        )
    for policy in props.get("Policies") or []:
        iam.put_role_policy(
            name, str(policy["PolicyName"]), json.dumps(policy["PolicyDocument"], default=str)
        )
    arn = iam.get_role(name).arn
    return ProvisionedResource(logical_id, "AWS::IAM::Role", name, {"Arn": arn})


# moto's put_events delivers only to these (a Lambda target raises NotImplementedError).
_DELIVERABLE_SERVICES = {"sqs", "logs", "events"}


def _rule(
    where: Where, logical_id: str, props: dict[str, Any], result: Provisioned
) -> ProvisionedResource:
    name = where.name_for(logical_id, props.get("Name"))
    backend = events_backends[where.account][where.region]
    bus = props.get("EventBusName")
    pattern = props.get("EventPattern")
    rule = backend.put_rule(
        name,
        description=props.get("Description"),
        event_bus_arn=bus,
        event_pattern=_json_text(pattern) if pattern else None,
        scheduled_expression=props.get("ScheduleExpression"),
        state=props.get("State", "ENABLED"),
    )
    targets = _deliverable_targets(
        logical_id, props.get("Targets") or [], pattern is not None, result
    )
    if targets:
        backend.put_targets(name, bus, targets)
    return ProvisionedResource(logical_id, "AWS::Events::Rule", name, {"Arn": rule.arn})


def _deliverable_targets(
    logical_id: str, targets: list[dict[str, Any]], has_pattern: bool, result: Provisioned
) -> list[dict[str, Any]]:
    if not has_pattern:
        # moto matches a rule without a pattern against every event; AWS never does.
        result.notes.append(f"{logical_id}: scheduled rule, its targets are not attached")
        return []
    kept = []
    for target in targets:
        service = str(target.get("Arn", "")).split(":")[2:3]
        if service and service[0] in _DELIVERABLE_SERVICES:
            kept.append(target)
        else:
            result.notes.append(
                f"{logical_id}: target {target.get('Id')} ({target.get('Arn')}) not attached"
            )
    return kept


# ---- named but not created -------------------------------------------------------------------


def _named_only(arn_template: str, name_property: str) -> Handler:
    def handler(
        where: Where, logical_id: str, props: dict[str, Any], result: Provisioned
    ) -> ProvisionedResource:
        name = where.name_for(logical_id, props.get(name_property))
        arn = arn_template.format(region=where.region, account=where.account, name=name)
        result.notes.append(f"{logical_id}: not created, only named ({arn})")
        attributes: dict[str, Any] = {"Arn": arn}
        if "Environment" in props:
            # Functions: their evaluated environment, for running the handlers in-process.
            attributes["EnvironmentVariables"] = props["Environment"].get("Variables", {})
        return ProvisionedResource(logical_id, "named-only", name, attributes)

    return handler


HANDLERS: dict[str, Handler] = {
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::Alias": _kms_alias,
    "AWS::Backup::BackupVault": _backup_vault,
    "AWS::Backup::LogicallyAirGappedBackupVault": _lag_vault,
    "AWS::Backup::BackupPlan": _backup_plan,
    "AWS::Backup::BackupSelection": _backup_selection,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::Events::Rule": _rule,
    "AWS::IAM::Role": _iam_role,
    "AWS::Serverless::Function": _named_only(
        "arn:aws:lambda:{region}:{account}:function:{name}", "FunctionName"
    ),
    "AWS::Lambda::Function": _named_only(
        "arn:aws:lambda:{region}:{account}:function:{name}", "FunctionName"
    ),
    "AWS::DynamoDB::Table": _named_only(
        "arn:aws:dynamodb:{region}:{account}:table/{name}", "TableName"
    ),
}


# ---- the template ----------------------------------------------------------------------------


def parameter_values(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        value = given.get(name, spec.get("Default"))
        if value is None:
            raise ValueError(f"parameter {name} has no default and was not given")
        if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
            value = [item.strip() for item in value.split(",")] if value else []
        values[name] = value
    return values


def _ordered(resources: dict[str, Any], globals_: dict[str, Any]) -> list[str]:
    """Logical ids, each after the ones it refers to (Globals too), in file order otherwise."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered or logical_id in visiting or logical_id not in resources:
            return
        visiting.add(logical_id)
        spec = resources[logical_id]
        depends = spec.get("DependsOn") or []
        properties = with_globals(spec.get("Type", ""), spec, globals_)
        for dependency in sorted(intrinsics.references(properties) | set(_as_list(depends))):
            visit(dependency)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return ordered


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


_FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})


@dataclass(slots=True)
class _CustomResources:
    invoke: custom_resources.Invoke | None
    inbox: custom_resources.ResponseInbox | None = None


def from_template(
    path: str | Path | Mapping[str, Any] = "template.yaml",
    parameters: dict[str, Any] | None = None,
    *,
    account: str | None = None,
    region: str = api.DEFAULT_REGION,
    stack_name: str = "emulated",
    invoke: custom_resources.Invoke | None = None,
) -> Provisioned:
    """Create the template's resources in the emulator (and moto); return them by logical id.

    ``path`` is a template file, or a template already read (a stack set's, plain CloudFormation).

    ``invoke`` runs a custom resource's function (see ``custom_resources``); a FAILED reply
    raises ``custom_resources.CustomResourceError``, as the stack would roll back."""
    install()
    template = copy.deepcopy(dict(path)) if isinstance(path, Mapping) else reader.load(path)
    where = Where(account or api.default_account(), region, stack_name)
    context = intrinsics.Context(
        region=where.region,
        account=where.account,
        stack_name=stack_name,
        parameters=parameter_values(template, parameters or {}),
        condition_definitions=template.get("Conditions") or {},
        mappings=template.get("Mappings") or {},
    )
    result = Provisioned(parameters=dict(context.parameters), template=template, context=context)
    resources = template.get("Resources") or {}
    custom = _CustomResources(invoke)
    needs_inbox = invoke is not None and any(
        custom_resources.is_custom_resource(spec.get("Type", "")) for spec in resources.values()
    )
    inbox = custom_resources.ResponseInbox() if needs_inbox else contextlib.nullcontext()
    with STATE_LOCK, inbox as listening:
        custom.inbox = listening
        for logical_id in _ordered(resources, template.get("Globals") or {}):
            spec = resources[logical_id]
            _provision_one(
                where,
                context,
                logical_id,
                spec,
                result,
                globals_=template.get("Globals") or {},
                custom=custom,
            )
        result.conditions = {
            name: context.condition(name) for name in context.condition_definitions
        }
        result.outputs = _outputs(template, context)
    return result


def with_globals(kind: str, spec: dict[str, Any], globals_: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals: a function's own properties win; Environment.Variables merge."""
    properties = dict(spec.get("Properties") or {})
    if kind != "AWS::Serverless::Function":
        return properties
    shared = globals_.get("Function") or {}
    merged = {**shared, **properties}
    variables = {
        **((shared.get("Environment") or {}).get("Variables") or {}),
        **((properties.get("Environment") or {}).get("Variables") or {}),
    }
    if variables:
        merged["Environment"] = {"Variables": variables}
    return merged


def _provision_one(
    where: Where,
    context: intrinsics.Context,
    logical_id: str,
    spec: dict[str, Any],
    result: Provisioned,
    *,
    globals_: dict[str, Any],
    custom: _CustomResources,
) -> None:
    kind = spec.get("Type", "")
    condition = spec.get("Condition")
    if condition and not context.condition(condition):
        result.skipped[logical_id] = f"condition {condition} is false"
        return
    missing = sorted(
        intrinsics.references(spec.get("Properties") or {}) & context.custom_resources_skipped
    )
    if missing:
        result.skipped[logical_id] = f"refers to {', '.join(missing)}, not created"
        context.custom_resources_skipped.add(logical_id)
        return
    if custom_resources.is_custom_resource(kind):
        _custom_resource(where, context, logical_id, spec, result=result, custom=custom)
        return
    handler = HANDLERS.get(kind)
    if handler is None:
        result.skipped[logical_id] = f"{kind}: not emulated"
        return
    properties = intrinsics.evaluate(with_globals(kind, spec, globals_), context)
    resource = handler(where, logical_id, properties, result)
    if resource.resource_type == "named-only":
        resource.resource_type = kind
    if kind in _FUNCTION_TYPES and resource.arn:
        result.functions[resource.arn] = properties
    _record(context, result, resource)


def _custom_resource(
    where: Where,
    context: intrinsics.Context,
    logical_id: str,
    spec: dict[str, Any],
    *,
    result: Provisioned,
    custom: _CustomResources,
) -> None:
    kind = spec.get("Type", "")
    if custom.invoke is None or custom.inbox is None:
        result.skipped[logical_id] = f"{kind}: no function invoker given (from_template(invoke=))"
        context.custom_resources_skipped.add(logical_id)
        return
    properties = intrinsics.evaluate(spec.get("Properties") or {}, context)
    created = custom_resources.create(
        logical_id=logical_id,
        kind=kind,
        properties=properties,
        stack_id=str(context.pseudo("AWS::StackId")),
        functions=result.functions,
        invoke=custom.invoke,
        inbox=custom.inbox,
        account=where.account,
        region=where.region,
    )
    resource = ProvisionedResource(logical_id, kind, created.physical_resource_id, created.data)
    _record(context, result, resource)


def _record(
    context: intrinsics.Context, result: Provisioned, resource: ProvisionedResource
) -> None:
    logical_id = resource.logical_id
    result.resources[logical_id] = resource
    context.refs[logical_id] = resource.ref
    for name, value in resource.attributes.items():
        context.attributes[(logical_id, name)] = value


def _outputs(template: dict[str, Any], context: intrinsics.Context) -> dict[str, Any]:
    """The outputs whose condition holds, except those naming a resource left out for want of a
    custom resource (a placeholder value would look real)."""
    outputs = {}
    for name, spec in (template.get("Outputs") or {}).items():
        condition = spec.get("Condition")
        if condition and not context.condition(condition):
            continue
        if intrinsics.references(spec.get("Value")) & context.custom_resources_skipped:
            continue
        outputs[name] = intrinsics.evaluate(spec.get("Value"), context)
    return outputs
