"""The Lambda functions of a rendered stack, with their code entry point and what their role allows.

SAM Globals are merged into each function first (maps merge, the function wins; lists append),
as the SAM transform does: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
The test renderer leaves some identifiers as placeholders (``LedgerTable.Arn``, the ``Ref`` of a
topic); ``arn_of`` turns every identifier of a stack resource into that resource's ARN.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.template_loader import RenderedStack, load_template, render

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Grant:
    """One Allow statement of a role's identity policy, with its resources as ARNs."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: dict[str, Any]


@dataclass
class LambdaFunction:
    logical_id: str
    module: str
    function: str
    role: str  # logical id of its IAM role
    properties: dict[str, Any]
    grants: list[Grant]
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def granted_actions(self) -> set[str]:
        return {action for grant in self.grants for action in grant.actions}

    def grants_of(self, action: str) -> list[Grant]:
        return [grant for grant in self.grants if action in grant.actions]


@dataclass
class Stack:
    """A rendered stack plus the ARN of each of its resources, whatever the renderer wrote."""

    rendered: RenderedStack
    label: str
    arns: dict[str, str]  # logical id -> ARN
    identifiers: dict[str, str]  # anything the renderer wrote for a resource -> its logical id

    def arn_of(self, value: str) -> str:
        """``LedgerTable.Arn/index/X`` -> ``arn:aws:dynamodb:...:table/LedgerTable/index/X``."""
        for text, logical_id in sorted(self.identifiers.items(), key=lambda i: -len(i[0])):
            if value == text or value.startswith(f"{text}/"):
                return self.arns[logical_id] + value[len(text) :]
        return value

    def owner_of(self, arn: str) -> str | None:
        """The logical id of the stack resource an ARN is (or is under), if any."""
        for logical_id, own in self.arns.items():
            if arn == own or arn.startswith(f"{own}/"):
                return logical_id
        return None


def _merge(defaults: Any, own: Any) -> Any:
    if isinstance(defaults, dict) and isinstance(own, dict):
        merged = dict(defaults)
        for key, value in own.items():
            merged[key] = _merge(defaults[key], value) if key in defaults else value
        return merged
    if isinstance(defaults, list) and isinstance(own, list):
        return defaults + own
    return own


def _with_globals(template: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(template)
    defaults = result.pop("Globals", {}).get("Function", {})
    for resource in result.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"] = _merge(defaults, resource.get("Properties", {}))
    return result


def _resource_arn(stack: RenderedStack, logical_id: str, resource: dict[str, Any]) -> str:
    region, account, properties = stack.region, stack.account, resource.get("Properties", {})
    kind = resource["Type"]
    if kind == "AWS::DynamoDB::Table":
        return (
            f"arn:aws:dynamodb:{region}:{account}:table/{properties.get('TableName', logical_id)}"
        )
    if kind == "AWS::SNS::Topic":
        return f"arn:aws:sns:{region}:{account}:{properties.get('TopicName', logical_id)}"
    if kind == "AWS::SQS::Queue":
        return f"arn:aws:sqs:{region}:{account}:{properties.get('QueueName', logical_id)}"
    if kind == "AWS::IAM::Role":
        return f"arn:aws:iam::{account}:role/{properties.get('RoleName', logical_id)}"
    if kind == "AWS::KMS::Key":
        return f"arn:aws:kms:{region}:{account}:key/{logical_id}"
    if kind == "AWS::Logs::LogGroup":
        return f"arn:aws:logs:{region}:{account}:log-group:{properties['LogGroupName']}:*"
    if kind in ("AWS::Backup::BackupVault", "AWS::Backup::LogicallyAirGappedBackupVault"):
        return f"arn:aws:backup:{region}:{account}:backup-vault:{properties['BackupVaultName']}"
    return f"arn:aws:cloudformation:{region}:{account}:resource/{logical_id}"


# The attribute holding the ARN, for the kinds a grant can name.
_ARN_ATTRIBUTE = {
    "AWS::Backup::BackupVault": "BackupVaultArn",
    "AWS::Backup::LogicallyAirGappedBackupVault": "BackupVaultArn",
    "AWS::Backup::BackupPlan": "BackupPlanArn",
    "AWS::SQS::Queue": "Arn",
    "AWS::SNS::Topic": "TopicArn",
    "AWS::DynamoDB::Table": "Arn",
    "AWS::IAM::Role": "Arn",
    "AWS::KMS::Key": "Arn",
    "AWS::Logs::LogGroup": "Arn",
}


def _with_probes(template: dict[str, Any]) -> dict[str, Any]:
    """Outputs asking the renderer for each resource's Ref and ARN (under its condition)."""
    result = copy.deepcopy(template)
    outputs = result.setdefault("Outputs", {})
    for logical_id, resource in result.get("Resources", {}).items():
        probes: dict[str, Any] = {f"ProbeRef{logical_id}": {"Ref": logical_id}}
        if resource["Type"] in _ARN_ATTRIBUTE:
            attribute = _ARN_ATTRIBUTE[resource["Type"]]
            probes[f"ProbeArn{logical_id}"] = {"Fn::GetAtt": [logical_id, attribute]}
        for name, value in probes.items():
            outputs[name] = {"Value": value}
            if "Condition" in resource:
                outputs[name]["Condition"] = resource["Condition"]
    return result


def _identifiers(stack: RenderedStack, arns: dict[str, str]) -> dict[str, str]:
    """Whatever the renderer may write for each resource (placeholders, Refs, ARNs, names)."""
    found: dict[str, str] = {}
    for logical_id, resource in stack.resources.items():
        properties = resource.get("Properties", {})
        names = [logical_id, f"{logical_id}.Arn", arns[logical_id]]
        names += [str(stack.outputs.get(f"Probe{kind}{logical_id}")) for kind in ("Ref", "Arn")]
        for key in ("BackupVaultName", "LogGroupName", "TableName", "TopicName", "QueueName"):
            if isinstance(properties.get(key), str):
                names.append(properties[key])
        found.update(dict.fromkeys(names, logical_id))
    return found


def stack_for(label: str, parameters: dict[str, Any]) -> Stack:
    rendered = render(
        _with_probes(_with_globals(load_template())),
        parameters,
        region="eu-central-1",  # not the default Region, so a hard-coded one would show
        account="444455556666",
    )
    arns = {}
    for logical_id, resource in rendered.resources.items():
        probed = str(rendered.outputs.get(f"ProbeArn{logical_id}", ""))
        fallback = _resource_arn(rendered, logical_id, resource)
        arns[logical_id] = probed if probed.startswith("arn:") else fallback
    return Stack(rendered, label, arns, _identifiers(rendered, arns))


def lambda_functions(stack: Stack) -> list[LambdaFunction]:
    functions = []
    for logical_id, resource in stack.rendered.resources.items():
        if resource["Type"] not in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            continue
        properties = resource["Properties"]
        module, _, function = properties["Handler"].rpartition(".")
        role = stack.owner_of(stack.arn_of(properties["Role"]))
        if role is None:
            raise AssertionError(f"{logical_id}: its role is not a role of this stack")
        environment = properties.get("Environment", {}).get("Variables", {})
        functions.append(
            LambdaFunction(
                logical_id,
                module,
                function,
                role,
                properties,
                list(allow_grants(stack, role)),
                {name: str(value) for name, value in environment.items()},
            )
        )
    return functions


def identity_statements(stack: Stack, role: str) -> Iterator[dict[str, Any]]:
    """Every statement of every identity policy attached to a role of the stack."""
    resources = stack.rendered.resources
    for policy in resources[role]["Properties"].get("Policies", []):
        yield from listed(policy["PolicyDocument"]["Statement"])
    for resource in resources.values():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        attached = [
            stack.owner_of(stack.arn_of(str(r))) for r in resource["Properties"].get("Roles", [])
        ]
        if role in attached:
            yield from listed(resource["Properties"]["PolicyDocument"]["Statement"])


def allow_grants(stack: Stack, role: str) -> Iterator[Grant]:
    for index, statement in enumerate(identity_statements(stack, role)):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            raise AssertionError(f"{role}: an Allow with NotAction/NotResource grants too much")
        yield Grant(
            sid=statement.get("Sid", f"statement {index}"),
            actions=tuple(listed(statement["Action"])),
            resources=tuple(stack.arn_of(str(r)) for r in listed(statement["Resource"])),
            condition=statement.get("Condition", {}),
        )


def lambda_roles(stack: Stack) -> list[str]:
    """Every role of the stack that Lambda can assume: the orchestrator's roles."""
    return [
        logical_id
        for logical_id, resource in stack.rendered.of_type("AWS::IAM::Role").items()
        if any(
            LAMBDA_PRINCIPAL in listed(statement.get("Principal", {}).get("Service", []))
            for statement in listed(resource["Properties"]["AssumeRolePolicyDocument"]["Statement"])
        )
    ]


def resource_policies(stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) of every resource-based policy in the stack."""
    for logical_id, resource in stack.rendered.resources.items():
        properties = resource.get("Properties", {})
        for key in ("KeyPolicy", "AccessPolicy", "PolicyDocument"):
            document = properties.get(key)
            if isinstance(document, str):
                document = json.loads(document)
            if not isinstance(document, dict) or resource["Type"] in (
                "AWS::IAM::Policy",
                "AWS::IAM::ManagedPolicy",
            ):
                continue
            for statement in listed(document.get("Statement", [])):
                yield logical_id, statement
