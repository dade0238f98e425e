"""What org/template.yaml asks of CloudFormation StackSets, read from the template itself.

The emulator's organization (the demo, the tests, the bench) creates its stack sets from this, so
the parameters each stack set passes to the member stacks, its name, permission model,
automatic deployment and target Regions cannot drift from what an administrator deploys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.cloudformation import intrinsics, provision, reader

ORG_TEMPLATE = Path(__file__).resolve().parent / "template.yaml"
STACK_SET = "AWS::CloudFormation::StackSet"


@dataclass(frozen=True, slots=True)
class StackSetRequest:
    """One ``AWS::CloudFormation::StackSet`` of org/template.yaml, evaluated."""

    logical_id: str
    name: str
    permission_model: str
    auto_deployment: dict[str, Any]
    capabilities: list[str]
    parameters: dict[str, str]  # ParameterKey -> ParameterValue, what every instance gets
    organizational_unit_ids: list[str]
    regions: list[str]

    def create_stack_set_arguments(self, template_url: str) -> dict[str, Any]:
        """The CreateStackSet request CloudFormation makes for this resource."""
        return {
            "StackSetName": self.name,
            "TemplateURL": template_url,
            "PermissionModel": self.permission_model,
            "AutoDeployment": self.auto_deployment,
            "Capabilities": self.capabilities,
            "Parameters": [
                {"ParameterKey": key, "ParameterValue": value}
                for key, value in self.parameters.items()
            ],
        }


def stack_set_requests(
    org_parameters: dict[str, Any],
    *,
    account: str,
    region: str,
    template_path: Path = ORG_TEMPLATE,
) -> list[StackSetRequest]:
    """The stack sets org/template.yaml creates with these parameters, in dependency order (the
    DR stack set first: the primary one DependsOn it)."""
    template = reader.load(template_path)
    context = intrinsics.Context(
        region=region,
        account=account,
        stack_name="backup-copy-org",
        parameters=provision.parameter_values(template, org_parameters),
        condition_definitions=template.get("Conditions") or {},
    )
    requests = []
    for logical_id, resource in _in_dependency_order(template["Resources"]):
        condition = resource.get("Condition")
        if resource["Type"] != STACK_SET or (condition and not context.condition(condition)):
            continue
        properties = intrinsics.evaluate(resource["Properties"], context)
        group = properties["StackInstancesGroup"][0]
        requests.append(
            StackSetRequest(
                logical_id=logical_id,
                name=properties["StackSetName"],
                permission_model=properties["PermissionModel"],
                auto_deployment=properties.get("AutoDeployment", {}),
                capabilities=list(properties.get("Capabilities", [])),
                parameters={
                    item["ParameterKey"]: str(item["ParameterValue"])
                    for item in properties.get("Parameters", [])
                },
                organizational_unit_ids=list(group["DeploymentTargets"]["OrganizationalUnitIds"]),
                regions=list(group["Regions"]),
            )
        )
    return requests


def _in_dependency_order(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    ordered: list[str] = []

    def visit(logical_id: str) -> None:
        if logical_id in ordered:
            return
        depends = resources[logical_id].get("DependsOn") or []
        for dependency in [depends] if isinstance(depends, str) else depends:
            visit(dependency)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return [(logical_id, resources[logical_id]) for logical_id in ordered]
