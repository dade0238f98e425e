"""Read ``template.yaml`` the way CloudFormation does, without AWS.

``load_template()`` parses the YAML with CloudFormation's short-form tags turned into their long
form (``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``,
``!Sub s`` -> ``{"Fn::Sub": "s"}``, ...).

``render(template, parameters)`` evaluates the template for one set of parameter values the way a
stack would see it: conditions are decided, resources whose condition is false disappear, and
``Ref``/``Fn::GetAtt``/``Fn::Sub``/``Fn::Join``/``Fn::If``/``Fn::FindInMap``/``Fn::Select``/
``Fn::Split`` are replaced by concrete, realistic values (a vault's ARN is
``arn:aws:backup:<region>:<account>:backup-vault:<its name>``). SAM resources are rendered as
written (no transform); read ``Globals`` from the raw template.

Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "template.yaml"
NO_VALUE: Any = object()  # AWS::NoValue: removes the property or list item that holds it

_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")


class _CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that understands CloudFormation's short-form intrinsic function tags."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _short_form)


def loads_template(text: str) -> dict[str, Any]:
    document = yaml.load(text, Loader=_CloudFormationLoader)
    if not isinstance(document, dict):
        raise ValueError("a CloudFormation template is a mapping")
    return document


@cache
def _load_cached(path: Path) -> dict[str, Any]:
    return loads_template(path.read_text(encoding="utf-8"))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a fresh dict (callers may mutate it)."""
    return copy.deepcopy(_load_cached(path))


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


class _Renderer:
    def __init__(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any],
        region: str,
        account: str,
        stack_name: str,
    ) -> None:
        self.template = template
        self.region, self.account, self.stack_name = region, account, stack_name
        self.parameters = self._parameter_values(parameters)
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self.condition(name)

    # -- parameters and conditions -------------------------------------------------------------
    def _parameter_values(self, overrides: dict[str, Any]) -> dict[str, Any]:
        declared = self.template.get("Parameters", {})
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

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self._condition_value(self.template["Conditions"][name]))
        return self.conditions[name]

    def _condition_value(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Equals":
                left, right = (self._condition_value(a) for a in arg)
                return str(left) == str(right)
            if key == "Fn::And":
                return all(self._condition_value(a) for a in arg)
            if key == "Fn::Or":
                return any(self._condition_value(a) for a in arg)
            if key == "Fn::Not":
                return not self._condition_value(arg[0])
        return self.resolve(node)

    def rule_value(self, node: Any) -> bool:
        """Rule conditions and assertions use the condition functions on parameters only."""
        return bool(self._condition_value(node))

    # -- resources -----------------------------------------------------------------------------
    def exists(self, logical_id: str) -> bool:
        resource = self.template.get("Resources", {}).get(logical_id)
        if resource is None:
            return False
        return "Condition" not in resource or self.condition(resource["Condition"])

    def _require(self, logical_id: str) -> dict[str, Any]:
        if not self.exists(logical_id):
            raise KeyError(f"{logical_id} is not a resource of this stack")
        return self.template["Resources"][logical_id]

    def _property(self, logical_id: str, name: str) -> Any:
        return self.resolve(self._require(logical_id).get("Properties", {}).get(name))

    def _arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account}:{resource}"

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
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

    # -- intrinsic functions -------------------------------------------------------------------
    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            function = getattr(self, "_fn_" + key.replace("Fn::", "").lower(), None)
            if key in ("Ref",) or key.startswith("Fn::"):
                if function is None:
                    raise NotImplementedError(f"{key} is not supported by the test renderer")
                return function(arg)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def _fn_ref(self, arg: str) -> Any:
        return self.ref(arg)

    def _fn_getatt(self, arg: Any) -> Any:
        logical_id, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
        return self.get_att(logical_id, attribute)

    def _fn_if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_join(self, arg: list[Any]) -> str:
        delimiter, items = arg
        return delimiter.join(str(item) for item in self.resolve(items))

    def _fn_split(self, arg: list[Any]) -> list[str]:
        delimiter, text = arg
        return str(self.resolve(text)).split(delimiter)

    def _fn_select(self, arg: list[Any]) -> Any:
        index, items = arg
        return self.resolve(items)[int(self.resolve(index))]

    def _fn_findinmap(self, arg: list[Any]) -> Any:
        name, first, second = (self.resolve(part) for part in arg)
        return copy.deepcopy(self.template["Mappings"][name][first][second])

    def _fn_sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        values = {key: self.resolve(value) for key, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._fn_getatt(name))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)


def render(
    template: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    *,
    region: str = "us-east-1",
    account: str = "111122223333",
    stack_name: str = "backup-copy-orchestrator-test",
) -> RenderedStack:
    """Evaluate ``template`` (default: template.yaml) for ``parameters`` over their defaults."""
    source = template if template is not None else load_template()
    renderer = _Renderer(source, dict(parameters or {}), region, account, stack_name)
    stack = RenderedStack(region, account, stack_name, renderer.parameters, renderer.conditions)
    for logical_id, resource in source.get("Resources", {}).items():
        if renderer.exists(logical_id):
            stack.resources[logical_id] = renderer.resolve(resource)
    for rule in source.get("Rules", {}).values():
        if "RuleCondition" in rule and not renderer.rule_value(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not renderer.rule_value(assertion["Assert"]):
                stack.rule_violations.append(assertion.get("AssertDescription", "(no description)"))
    stack.globals = renderer.resolve(source.get("Globals", {}))
    for name, output in source.get("Outputs", {}).items():
        if "Condition" not in output or renderer.condition(output["Condition"]):
            stack.outputs[name] = renderer.resolve(output["Value"])
    return stack
