"""Issue 12, item 3: a failed first deployment leaves nothing behind that blocks the retry.

CloudFormation's ``RetainExceptOnCreate`` "behaves like Retain for stack operations, except for the
stack operation that initially created the resource. If the stack operation that created the
resource is rolled back, CloudFormation deletes the resource."
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.template_loader import render

RETAINING = {"Retain", "RetainExceptOnCreate"}


def _retained(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") in RETAINING
        or resource.get("UpdateReplacePolicy") in RETAINING
    }


def test_the_records_that_must_outlive_the_stack_are_retained(template: dict[str, Any]) -> None:
    # Given the template / Then the key, every vault and the ledger are kept by a stack deletion
    assert set(_retained(template)) == {
        "BackupVaultKey",
        "HourlyVault",
        "DailyVault",
        "MonthlyVault",
        "DrVault",
        "LagVault",
        "ManagedKeyVault",
        "ServiceKeyVaultRds",
        "ServiceKeyVaultEbs",
        "LedgerTable",
    }


def test_every_retained_resource_is_deleted_when_its_own_creation_rolls_back(
    template: dict[str, Any],
) -> None:
    # Given each resource the template retains
    for logical_id, resource in _retained(template).items():
        # Then a rollback of the deployment that created it deletes it (no named vault stays
        # behind to fail the retry with "already exists"), every later operation keeps it, and a
        # replacement keeps the old one too
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", logical_id
        assert resource["UpdateReplacePolicy"] == "Retain", logical_id


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_vault_policies_let_cloudformation_delete_an_empty_vault(role: str) -> None:
    # "A vault can be deleted only if it is empty":
    # https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVault.html
    # Given every vault's access policy / Then none denies DeleteBackupVault (it would protect
    # only an empty vault, and block the rollback's delete), while recovery points stay protected
    stack = render(parameters={"StackRole": role})
    vaults = stack.of_type("AWS::Backup::BackupVault") | stack.of_type(
        "AWS::Backup::LogicallyAirGappedBackupVault"
    )
    assert vaults
    for logical_id, vault in vaults.items():
        policy = vault["Properties"]["AccessPolicy"]
        document = json.loads(policy) if isinstance(policy, str) else policy
        denied = {action for s in document["Statement"] for action in s["Action"]}
        assert "backup:DeleteBackupVault" not in denied, logical_id
        assert "backup:DeleteRecoveryPoint" in denied, logical_id


def test_the_default_configuration_reserves_no_lambda_concurrency(
    template: dict[str, Any],
) -> None:
    # Given the defaults / Then no function reserves concurrency: an account whose concurrency
    # quota is under 101 cannot reserve any (Lambda keeps 100 unreserved) and the deployment
    # would fail. https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    stack = render()
    for logical_id, function in stack.of_type("AWS::Serverless::Function").items():
        assert "ReservedConcurrentExecutions" not in function["Properties"], logical_id
    assert template["Parameters"]["ReserveReconcilerConcurrency"]["Default"] == "false"
