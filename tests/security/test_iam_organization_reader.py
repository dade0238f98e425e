"""The organization reader role (MonitoringAccountId): read-only, exactly copyctl status's calls.

``copyctl status --org`` reads a member stack as ``copyctl status --stack`` does: DescribeStacks
on the stack, ListRecoveryPointsByBackupVault on its source vaults, Query on its ledger.
"""

from __future__ import annotations

import pytest

from tests.security.stack_roles import Stack, listed, stack_for

MONITOR = "999988887777"
READER_CALLS = {
    "cloudformation:DescribeStacks",
    "backup:ListRecoveryPointsByBackupVault",
    "dynamodb:Query",
}
STACKS = {
    role: stack_for(f"{role}-reader", {"StackRole": role, "MonitoringAccountId": MONITOR})
    for role in ("primary", "dr")
}
SOURCE_VAULTS = {"primary": {"HourlyVault", "DailyVault", "MonthlyVault"}, "dr": {"DrVault"}}


def _statements(stack: Stack) -> list[dict[str, object]]:
    role = stack.rendered.resources["OrganizationReaderRole"]["Properties"]
    (policy,) = role["Policies"]
    return list(listed(policy["PolicyDocument"]["Statement"]))


def test_given_no_monitoring_account_then_no_reader_role() -> None:
    stack = stack_for("no-reader", {})
    assert "OrganizationReaderRole" not in stack.rendered.resources
    assert "MonitoringLink" not in stack.rendered.resources


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_given_a_monitoring_account_then_only_it_may_assume_the_reader(role: str) -> None:
    properties = STACKS[role].rendered.resources["OrganizationReaderRole"]["Properties"]
    (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{MONITOR}:root"}
    assert properties["RoleName"] == f"backup-copy-org-reader-eu-central-1-{role}"


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_given_the_reader_then_it_grants_exactly_the_status_calls_on_its_own_resources(
    role: str,
) -> None:
    stack = STACKS[role]
    statements = _statements(stack)
    actions = {a for s in statements for a in listed(s["Action"])}
    assert actions == READER_CALLS
    assert all(s["Effect"] == "Allow" for s in statements)
    owners = {
        action: {stack.owner_of(stack.arn_of(str(r))) for r in listed(s["Resource"])}
        for s in statements
        for action in listed(s["Action"])
    }
    assert owners["backup:ListRecoveryPointsByBackupVault"] == SOURCE_VAULTS[role]
    assert owners["dynamodb:Query"] == {"LedgerTable"}
    (stack_resource,) = (
        listed(s["Resource"]) for s in statements if s["Sid"] == "ReadStackOutputs"
    )
    assert stack_resource[0].startswith("arn:aws:cloudformation:eu-central-1:444455556666:stack/")
