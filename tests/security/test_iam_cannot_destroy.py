"""No orchestrator role can delete a recovery point, a vault or a key, change a vault's policy or
lock, change a key's policy, or give itself more rights - asserted against the rendered template.

Granted action patterns are expanded against every action of the Service Authorization Reference,
so ``backup:Del*`` or ``kms:*Key*`` cannot hide a forbidden action.
"""

from __future__ import annotations

import pytest

from tests.security import authorization
from tests.security.conftest import STACKS
from tests.security.stack_roles import Stack, allow_grants, lambda_roles, listed, resource_policies

# What would let the orchestrator destroy the recovery points it protects, or their keys.
FORBIDDEN_PATTERNS = (
    "backup:Delete*",  # recovery points, vaults, vault policies and lock configurations, plans
    "backup:Disassociate*",  # takes a recovery point out of the vault's protection
    "backup:PutBackupVaultAccessPolicy",  # could lift the vaults' deny-delete policy
    "backup:PutBackupVaultLockConfiguration",
    "backup:UpdateRecoveryPointLifecycle",  # a shorter lifecycle deletes a recovery point
    "backup-storage:*",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:PutKeyPolicy",
    "kms:DeleteImportedKeyMaterial",
    "kms:CreateGrant",  # would let anyone it names use or retire the key
    "iam:*",  # any IAM change could grant the rest (iam:PassRole is allowed separately below)
    "sts:AssumeRole*",
    "organizations:*",
)
ALLOWED_EXCEPTIONS = frozenset({"iam:passrole"})


def forbidden_actions() -> set[str]:
    found = set()
    for pattern in FORBIDDEN_PATTERNS:
        found |= authorization.expand(pattern)
    return found - ALLOWED_EXCEPTIONS


def dangerous(actions: list[str]) -> set[str]:
    granted = set()
    for pattern in actions:
        granted |= authorization.expand(pattern)
    return granted & forbidden_actions()


ROLES = [(stack, role) for stack in STACKS.values() for role in lambda_roles(stack)]
ROLE_IDS = [f"{stack.label}-{role}" for stack, role in ROLES]


def test_given_the_forbidden_list_then_it_names_the_actions_that_destroy_backups_and_keys() -> None:
    # Guard against a typo emptying the list: each of these is a real, forbidden action
    for action in (
        "backup:deleterecoverypoint",
        "backup:deletebackupvault",
        "backup:deletebackupvaultlockconfiguration",
        "backup:putbackupvaultaccesspolicy",
        "kms:schedulekeydeletion",
        "kms:putkeypolicy",
        "iam:putrolepolicy",
    ):
        assert action in forbidden_actions()
    assert dangerous(["backup:Del*", "kms:Get*"]) >= {"backup:deleterecoverypoint"}


def test_given_the_stacks_then_each_has_orchestrator_roles() -> None:
    assert all(lambda_roles(stack) for stack in STACKS.values())


@pytest.mark.parametrize(("stack", "role"), ROLES, ids=ROLE_IDS)
def test_given_an_orchestrator_role_then_its_policies_allow_nothing_destructive(
    stack: Stack, role: str
) -> None:
    for grant in allow_grants(stack, role):
        assert dangerous(list(grant.actions)) == set(), f"{role} {grant.sid}"


@pytest.mark.parametrize("stack", list(STACKS.values()), ids=list(STACKS))
def test_given_resource_policies_then_none_allows_an_orchestrator_role_anything_destructive(
    stack: Stack,
) -> None:
    roles = {stack.arns[role] for role in lambda_roles(stack)}
    for logical_id, statement in resource_policies(stack):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        aws = principal if principal == "*" else principal.get("AWS", [])
        principals = {stack.arn_of(str(p)) for p in listed(aws)}
        if not principals & (roles | {"*"}):
            continue
        assert "NotAction" not in statement, logical_id
        assert dangerous(listed(statement["Action"])) == set(), logical_id
