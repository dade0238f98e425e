"""A template rendered the way a stack would see it, without AWS and without provisioning.

The template is read by ``reader`` (short-form tags in their long form) and its intrinsic
functions are evaluated by ``intrinsics``, as the provisioner does; what differs is what a
reference stands for. ``render(template, parameters)`` evaluates the template for one set of
parameter values the way a stack would see it: conditions are decided, resources whose condition
is false disappear, and references become concrete, realistic values (a vault's ARN is
``arn:aws:backup:<region>:<account>:backup-vault:<its name>``). SAM resources are rendered as
written (no transform); ``Globals`` are rendered apart.

Unlike the provisioner, which keeps up with any template, rendering is strict: a parameter the
template does not declare, a value outside its AllowedValues/AllowedPattern/MinValue/MaxValue, a
reference to a resource the stack does not have and an intrinsic function it does not know are
errors.

Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.cloudformation import intrinsics

# ``{"Condition": name}`` names a condition in Conditions and Rules; elsewhere it is data.
_CONDITION_FUNCTIONS = frozenset({"Condition"})


@dataclass
class RenderedStack:
    """What a stack created from the template with ``parameters`` would contain."""

    region: str
    account: str
    stack_name: str
    parameters: dict[str, Any]
    conditions: dict[str, bool]
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    # AssertDescription of every template rule assertion these parameters break: CloudFormation
    # would refuse to create or update the stack.
    rule_violations: list[str] = field(default_factory=list)
    # SAM Globals, rendered: what the transform copies into every resource of the type.
    globals: dict[str, Any] = field(default_factory=dict)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id].get("Properties", {})

    def function_environment(self, logical_id: str) -> dict[str, Any]:
        """A function's environment as SAM deploys it: Globals' variables, then its own."""
        shared = self.globals.get("Function", {}).get("Environment", {}).get("Variables", {})
        own = self.properties(logical_id).get("Environment", {}).get("Variables", {})
        return {**shared, **own}


@dataclass
class _RenderContext(intrinsics.Context):
    """References as a created stack would resolve them: realistic names and ARNs."""

    template: dict[str, Any] = field(default_factory=dict)
    _condition_depth: int = 0

    def function(self, name: str) -> Callable[[Any, intrinsics.Context], Any] | None:
        if name in _CONDITION_FUNCTIONS and not self._condition_depth:
            return None
        function = super().function(name)
        if function is None and name.startswith("Fn::"):
            raise NotImplementedError(f"{name} is not supported by the renderer")
        return function

    def condition(self, name: str) -> bool:
        self._condition_depth += 1
        try:
            return super().condition(name)
        finally:
            self._condition_depth -= 1

    def rule_value(self, node: Any) -> bool:
        """Rule conditions and assertions use the condition functions on parameters only."""
        self._condition_depth += 1
        try:
            return bool(intrinsics.evaluate(node, self))
        finally:
            self._condition_depth -= 1

    # -- resources -----------------------------------------------------------------------------
    def exists(self, logical_id: str) -> bool:
        resource = self.template.get("Resources", {}).get(logical_id)
        if resource is None:
            return False
        return "Condition" not in resource or self.condition(resource["Condition"])

    def _require(self, logical_id: str) -> dict[str, Any]:
        if not self.exists(logical_id):
            raise KeyError(f"{logical_id} is not a resource of this stack")
        resource: dict[str, Any] = self.template["Resources"][logical_id]
        return resource

    def _property(self, logical_id: str, name: str) -> Any:
        raw = self._require(logical_id).get("Properties", {}).get(name)
        return intrinsics.evaluate(raw, self)

    def _arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account}:{resource}"

    def ref(self, name: str) -> Any:  # noqa: PLR0911 - one answer per resource type
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        kind = self._require(name)["Type"]
        if kind in ("AWS::Backup::BackupVault", "AWS::Backup::LogicallyAirGappedBackupVault"):
            return self._property(name, "BackupVaultName")
        if kind == "AWS::Backup::BackupPlan":
            return self.get_att(name, "BackupPlanId")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
        if kind == "AWS::Logs::LogGroup":
            return self._property(name, "LogGroupName")
        if kind in ("AWS::Serverless::Function", "AWS::DynamoDB::Table"):
            return f"{self.stack_name}-{name}"
        if kind == "AWS::SNS::Topic":
            return self._arn("sns", name)
        if kind == "AWS::CloudWatch::Alarm":
            return self._property(name, "AlarmName")
        if kind == "AWS::CloudWatch::Dashboard":
            return self._property(name, "DashboardName")
        return name

    def get_att(self, logical_id: str, attribute: str) -> Any:
        kind = self._require(logical_id)["Type"]
        if kind in ("AWS::Backup::BackupVault", "AWS::Backup::LogicallyAirGappedBackupVault"):
            vault_name = self._property(logical_id, "BackupVaultName")
            return {
                "BackupVaultName": vault_name,
                "BackupVaultArn": self._arn("backup", f"backup-vault:{vault_name}"),
            }[attribute]
        if kind == "AWS::Backup::BackupPlan":
            plan_id = f"{logical_id.lower()}-0000-plan-id"
            return {
                "BackupPlanId": plan_id,
                "BackupPlanArn": self._arn("backup", f"backup-plan:{plan_id}"),
                "VersionId": "version-1",
            }[attribute]
        arns = {
            "AWS::SQS::Queue": self._arn("sqs", logical_id),
            "AWS::Events::Rule": self._arn("events", f"rule/{logical_id}"),
            "AWS::IAM::Role": self._arn("iam", f"role/{logical_id}", regional=False),
            "AWS::KMS::Key": self._arn("kms", f"key/{logical_id}"),
            "AWS::Serverless::Function": self._arn("lambda", f"function:{self.ref(logical_id)}"),
            "AWS::DynamoDB::Table": self._arn("dynamodb", f"table/{self.ref(logical_id)}"),
            "AWS::CloudWatch::Alarm": self._arn("cloudwatch", f"alarm:{self.ref(logical_id)}"),
        }
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return logical_id
        if kind == "AWS::Logs::LogGroup" and attribute == "Arn":
            return self._arn("logs", f"log-group:{self.ref(logical_id)}:*")
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        return f"{logical_id}.{attribute}"

    def resolve(self, node: Any) -> Any:
        return intrinsics.evaluate(node, self)


def parameter_values(template: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """The template's parameters with these values over their defaults, checked as
    CloudFormation checks them (Number parameters become ints, the others strings)."""
    declared = template.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    if unknown:
        raise KeyError(f"parameters not declared by the template: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name not in overrides and "Default" not in spec:
            raise KeyError(f"parameter {name} has no default and no value")
        raw = overrides.get(name, spec.get("Default"))
        value: Any = int(raw) if spec["Type"] == "Number" else str(raw)
        allowed = spec.get("AllowedValues")
        if allowed is not None and str(value) not in [str(a) for a in allowed]:
            raise ValueError(f"{name}={value!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, str(value)):
            raise ValueError(f"{name}={value!r} does not match {pattern}")
        if "MaxLength" in spec and len(str(value)) > int(spec["MaxLength"]):
            raise ValueError(f"{name}={value!r} is longer than MaxLength {spec['MaxLength']}")
        if "MinValue" in spec and value < spec["MinValue"]:
            raise ValueError(f"{name}={value!r} is below MinValue {spec['MinValue']}")
        if "MaxValue" in spec and value > spec["MaxValue"]:
            raise ValueError(f"{name}={value!r} is above MaxValue {spec['MaxValue']}")
        values[name] = value
    return values


def render(
    template: dict[str, Any],
    parameters: dict[str, Any] | None = None,
    *,
    region: str = "us-east-1",
    account: str = "111122223333",
    stack_name: str = "backup-copy-orchestrator-test",
) -> RenderedStack:
    """Evaluate ``template`` for ``parameters`` over their defaults."""
    renderer = _RenderContext(
        region=region,
        account=account,
        stack_name=stack_name,
        parameters=parameter_values(template, dict(parameters or {})),
        condition_definitions=template.get("Conditions", {}),
        mappings=template.get("Mappings", {}),
        template=template,
    )
    for name in renderer.condition_definitions:
        renderer.condition(name)
    stack = RenderedStack(
        region, account, stack_name, renderer.parameters, renderer.condition_values
    )
    for logical_id, resource in template.get("Resources", {}).items():
        if renderer.exists(logical_id):
            stack.resources[logical_id] = renderer.resolve(resource)
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not renderer.rule_value(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not renderer.rule_value(assertion["Assert"]):
                stack.rule_violations.append(assertion.get("AssertDescription", "(no description)"))
    stack.globals = renderer.resolve(template.get("Globals", {}))
    for name, output in template.get("Outputs", {}).items():
        if "Condition" not in output or renderer.condition(output["Condition"]):
            stack.outputs[name] = renderer.resolve(output["Value"])
    return stack
