"""Issue 14, item 2: destination vaults under the owning service's AWS managed key.

Each ``-svc-<key>`` vault takes its key ARN from a ``Custom::ServiceKey`` resolver (a vault needs
a key ARN, not an alias: aws-resource-backup-backupvault.html, EncryptionKeyArn), has the
deny-delete policy and the Vault Lock of the ``-managed-key`` vault, and exists only where the
contract of issue 14 says: a primary stack with ServiceKeyPlacement=same-region, every dr stack,
for the keys ServiceKeyVaults lists. Conditions are evaluated by rendering the template.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.expectations import ACCOUNT, DR_REGION
from tests.template_loader import RenderedStack, render

SERVICE_KEYS = {
    "rds": ("ServiceKeyVaultRds", "ServiceKeyRds"),
    "ebs": ("ServiceKeyVaultEbs", "ServiceKeyEbs"),
}
RESOLVER = ("ServiceKeyResolverFunction", "ServiceKeyResolverRole", "ServiceKeyResolverLogGroup")
VAULT_NAME_LIMIT = 50  # ^[a-zA-Z0-9\-\_]{2,50}$ (API_CreateBackupVault.html)
LONGEST_PREFIX = "p" * 38  # NamePrefix's MaxLength
SERVICE_TIMEOUT_LIMIT = 300  # seconds: a lost reply must not hold the stack for the default hour


def _stack(role: str, **parameters: str) -> RenderedStack:
    if role == "dr":
        return render(
            parameters={"StackRole": "dr", **parameters}, region=DR_REGION, account=ACCOUNT
        )
    return render(parameters={"DrRegion": DR_REGION, **parameters}, account=ACCOUNT)


def _expected_keys(role: str, placement: str, vaults: str) -> set[str]:
    """The contract: a dr stack always, a primary stack only with same-region placement."""
    if role == "primary" and placement != "same-region":
        return set()
    return {key for key in ("rds", "ebs") if key in vaults.split(",")}


@pytest.mark.parametrize("role", ["primary", "dr"])
@pytest.mark.parametrize("placement", ["same-region", "dr-region"])
@pytest.mark.parametrize("vaults", ["rds,ebs", "rds", "ebs", "none"])
def test_given_role_placement_and_keys_when_rendered_then_exactly_the_contract_s_vaults_exist(
    role: str, placement: str, vaults: str
) -> None:
    # Given a stack of this role with these parameters
    stack = _stack(role, ServiceKeyPlacement=placement, ServiceKeyVaults=vaults)
    expected = _expected_keys(role, placement, vaults)
    # Then exactly the expected vaults, their resolvers and their outputs exist
    for key, (vault, resolver) in SERVICE_KEYS.items():
        present = key in expected
        assert (vault in stack.resources) is present, (key, vault)
        assert (resolver in stack.resources) is present, (key, resolver)
        assert (f"{vault}Arn" in stack.outputs) is present, (key, vault)
    # And the resolver function, its role and log group exist when any vault does
    for logical_id in RESOLVER:
        assert (logical_id in stack.resources) is bool(expected), logical_id


@pytest.mark.parametrize("role", ["primary", "dr"])
@pytest.mark.parametrize("key", ["rds", "ebs"])
def test_given_a_svc_vault_then_its_key_arn_is_its_resolver_s_key_arn_attribute(
    template: dict[str, Any], role: str, key: str
) -> None:
    vault, resolver = SERVICE_KEYS[key]
    # Given the template as written: the vault's key is the resolver's KeyArn attribute
    assert template["Resources"][vault]["Properties"]["EncryptionKeyArn"] == {
        "Fn::GetAtt": [resolver, "KeyArn"]
    }
    # And the resolver asks for its service's AWS managed key, through the stack's function
    stack = _stack(role)
    properties = stack.properties(resolver)
    assert stack.resources[resolver]["Type"] == "Custom::ServiceKey"
    assert properties["AliasName"] == f"alias/aws/{key}"
    assert properties["ServiceToken"].endswith(":function:ServiceKeyResolverFunction") or (
        properties["ServiceToken"].endswith("-ServiceKeyResolverFunction")
    )


@pytest.mark.parametrize("resolver", ["ServiceKeyRds", "ServiceKeyEbs"])
def test_given_a_resolver_then_cloudformation_waits_at_most_five_minutes_for_its_reply(
    template: dict[str, Any], resolver: str
) -> None:
    # ServiceTimeout: "The value must be an integer from 1 to 3600. The default value is 3600"
    # (aws-resource-cloudformation-customresource.html)
    timeout = template["Resources"][resolver]["Properties"]["ServiceTimeout"]
    assert isinstance(timeout, str)
    assert 1 <= int(timeout) <= SERVICE_TIMEOUT_LIMIT


@pytest.mark.parametrize("role", ["primary", "dr"])
@pytest.mark.parametrize("mode", ["governance", "compliance"])
@pytest.mark.parametrize("maximum", ["0", "400"])
def test_given_a_svc_vault_then_its_policy_lock_and_retention_are_the_managed_key_vault_s(
    role: str, mode: str, maximum: str
) -> None:
    # Given any lock mode and retention range
    stack = _stack(
        role,
        VaultLockMode=mode,
        ConfirmComplianceLock="compliance-lock-is-permanent",
        ManagedVaultMinRetentionDays="7",
        ManagedVaultMaxRetentionDays=maximum,
    )
    managed = stack.resources["ManagedKeyVault"]
    for vault, _ in SERVICE_KEYS.values():
        resource = stack.resources[vault]
        properties = resource["Properties"]
        # Then the deny-delete policy, the lock and the deletion policies equal the managed vault's
        assert properties["AccessPolicy"] == managed["Properties"]["AccessPolicy"]
        assert properties["LockConfiguration"] == managed["Properties"]["LockConfiguration"]
        assert resource["DeletionPolicy"] == managed["DeletionPolicy"] == "RetainExceptOnCreate"
        assert resource["UpdateReplacePolicy"] == managed["UpdateReplacePolicy"] == "Retain"
        statement = json.loads(properties["AccessPolicy"])["Statement"][0]
        assert statement["Sid"] == "DenyDeletingRecoveryPoints"
        assert statement["Effect"] == "Deny"


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_given_the_longest_name_prefix_then_the_svc_vault_names_follow_the_rule_and_fit(
    role: str,
) -> None:
    # Given NamePrefix at its 38-character maximum
    stack = _stack(role, NamePrefix=LONGEST_PREFIX)
    for key, (vault, _) in SERVICE_KEYS.items():
        name = stack.properties(vault)["BackupVaultName"]
        # Then the name is <prefix>-svc-<key> (the naming rule the routing derives ARNs from)
        assert name == f"{LONGEST_PREFIX}-svc-{key}"
        assert 2 <= len(name) <= VAULT_NAME_LIMIT


def test_given_no_name_prefix_then_the_svc_vaults_are_named_after_the_stack() -> None:
    stack = _stack("primary")
    assert stack.properties("ServiceKeyVaultRds")["BackupVaultName"] == (
        f"{stack.stack_name}-svc-rds"
    )
    managed = stack.properties("ManagedKeyVault")["BackupVaultName"]
    assert managed.removesuffix("-managed-key") == stack.stack_name


def test_given_a_svc_vault_then_the_checkov_customer_key_rule_needs_no_skip(
    template: dict[str, Any],
) -> None:
    # The svc vaults name their key (CKV_AWS_166 passes): no suppression hides anything there
    for vault, _ in SERVICE_KEYS.values():
        assert "checkov" not in template["Resources"][vault].get("Metadata", {})
