"""Issue 12, item 12: every name the stack gives fits AWS's limits, and attributes exist.

Backup vault names: ``^[a-zA-Z0-9\\-\\_]{2,50}$``
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html); backup plan
names: "1 to 50 alphanumeric or '-_.' characters"
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupPlanInput.html).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from tests.infrastructure.expectations import ACCOUNT, DR_REGION
from tests.infrastructure.sam_environments import load_sam_environments
from tests.template_loader import RenderedStack, render

VAULT_NAME = re.compile(r"^[a-zA-Z0-9\-\_]{2,50}$")
PLAN_NAME = re.compile(r"^[a-zA-Z0-9\-\_\.]{1,50}$")
NAMED = {
    "AWS::Backup::BackupVault": "BackupVaultName",
    "AWS::Backup::LogicallyAirGappedBackupVault": "BackupVaultName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Logs::LogGroup": "LogGroupName",
}
LONGEST_PREFIX = "p" * 38  # NamePrefix's MaxLength
# CloudFormation allows stack names of up to 128 characters; StackSets generate long ones.
LONG_STACK_NAME = "StackSet-backup-copy-orchestrator-" + "0123abcd-" * 4


def _names(stack: RenderedStack) -> Iterator[tuple[str, str, str]]:
    """(logical id, resource type, name) of every resource the stack names."""
    for logical_id, resource in stack.resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] in NAMED:
            yield logical_id, resource["Type"], properties[NAMED[resource["Type"]]]
        if resource["Type"] == "AWS::Backup::BackupPlan":
            yield logical_id, resource["Type"], properties["BackupPlan"]["BackupPlanName"]


def _stacks(**parameters: str) -> list[RenderedStack]:
    return [
        render(parameters={"DrRegion": DR_REGION, **parameters}, account=ACCOUNT),
        render(parameters={"StackRole": "dr", **parameters}, region=DR_REGION, account=ACCOUNT),
    ]


def _assert_fits(stack: RenderedStack) -> None:
    for logical_id, kind, name in _names(stack):
        if kind.startswith("AWS::Backup::") and "Vault" in kind:
            assert VAULT_NAME.fullmatch(name), (logical_id, name)
        if kind == "AWS::Backup::BackupPlan":
            assert PLAN_NAME.fullmatch(name), (logical_id, name)


@pytest.mark.parametrize("name", sorted(load_sam_environments()))
def test_every_samconfig_environment_gives_names_aws_accepts(name: str) -> None:
    # Given each environment of samconfig.toml as committed (prod with a DR vault)
    environment = load_sam_environments()[name]
    extra = {"DrRegion": DR_REGION} if name == "prod" else {}
    # Then every vault and plan name it creates fits AWS's pattern
    _assert_fits(environment.render(**extra))


def test_the_longest_name_prefix_still_fits(template: dict[str, Any]) -> None:
    # Given the longest NamePrefix the template accepts / Then every vault and plan name fits
    assert template["Parameters"]["NamePrefix"]["MaxLength"] == len(LONGEST_PREFIX)
    for stack in _stacks(NamePrefix=LONGEST_PREFIX):
        _assert_fits(stack)
    # And one character more is refused before anything is created
    with pytest.raises(ValueError, match="MaxLength"):
        render(parameters={"NamePrefix": LONGEST_PREFIX + "p"})


def test_a_long_stack_name_breaks_the_vault_names_unless_a_prefix_is_set() -> None:
    # Given a StackSet-style stack name longer than 38 characters
    long_named = render(parameters={"DrRegion": DR_REGION}, stack_name=LONG_STACK_NAME)
    # Then without NamePrefix a vault name is too long (what the issue found)
    assert any(not VAULT_NAME.fullmatch(n) for _, k, n in _names(long_named) if "Vault" in k)
    # And with one, every name fits and none depends on the stack name
    prefixed = render(
        parameters={"DrRegion": DR_REGION, "NamePrefix": "bco-prod"},
        stack_name=LONG_STACK_NAME,
    )
    _assert_fits(prefixed)
    for logical_id, _, name in _names(prefixed):
        assert "bco-prod" in name, logical_id
        assert LONG_STACK_NAME not in name, logical_id


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_without_a_prefix_names_start_with_the_stack_name(role: str) -> None:
    stack = render(parameters={"StackRole": role, "DrRegion": DR_REGION})
    names = list(_names(stack))
    assert names
    for logical_id, _, name in names:
        assert stack.stack_name in name, logical_id


# --- Fn::GetAtt only of attributes the resource schema lists ---------------------------------


def _get_atts(node: Any) -> Iterator[tuple[str, str]]:
    """(logical id, attribute) of every Fn::GetAtt and every ``${A.B}`` of a Fn::Sub."""
    if isinstance(node, list):
        for item in node:
            yield from _get_atts(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::GetAtt":
                logical_id, attribute = value.split(".", 1) if isinstance(value, str) else value
                yield logical_id, attribute
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    if "." in name and not name.startswith("AWS::"):
                        yield tuple(name.split(".", 1))  # type: ignore[misc]
                if isinstance(value, list):
                    yield from _get_atts(value[1])
            else:
                yield from _get_atts(value)


def _read_only_attributes(resource_type: str) -> set[str]:
    """The schema's readOnlyProperties: what CloudFormation documents as Fn::GetAtt values."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return {path.removeprefix("/properties/") for path in schema["readOnlyProperties"]}


def test_every_get_att_of_a_backup_resource_names_an_attribute_its_schema_lists(
    template: dict[str, Any],
) -> None:
    # Given every Fn::GetAtt in the template (Sub included) on an AWS::Backup resource
    resources = template["Resources"]
    found = [
        (logical_id, attribute)
        for logical_id, attribute in _get_atts({k: v for k, v in template.items()})
        if resources.get(logical_id, {}).get("Type", "").startswith("AWS::Backup::")
    ]
    assert found
    # Then each names a read-only property of its type's schema (the LAG vault lists
    # BackupVaultArn, VaultState and VaultType: its name comes from Ref)
    for logical_id, attribute in found:
        allowed = _read_only_attributes(resources[logical_id]["Type"])
        assert attribute in allowed, (logical_id, attribute, sorted(allowed))
