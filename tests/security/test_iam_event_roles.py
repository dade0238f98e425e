"""Roles that EventBridge assumes (not Lambda's, so the code walk does not cover them) may only
put events on an event bus of this account: the primary stack's forwarding of DR copies' events
to the DR Region's default bus, and nothing else.

An event bus in another Region is a rule target with a role allowed ``events:PutEvents`` on it:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html and
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-same-account.html
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security import authorization
from tests.security.conftest import DR_REGION, STACKS
from tests.security.stack_roles import Stack, allow_grants, listed

EVENTS_PRINCIPAL = "events.amazonaws.com"


def trust_statements(stack: Stack, role: str) -> list[dict[str, Any]]:
    document = stack.rendered.resources[role]["Properties"]["AssumeRolePolicyDocument"]
    return listed(document["Statement"])


def event_roles(stack: Stack) -> list[str]:
    """Every role of the stack that EventBridge can assume."""
    return [
        logical_id
        for logical_id in stack.rendered.of_type("AWS::IAM::Role")
        if any(
            EVENTS_PRINCIPAL in listed(statement.get("Principal", {}).get("Service", []))
            for statement in trust_statements(stack, logical_id)
        )
    ]


ROLES = [(stack, role) for stack in STACKS.values() for role in event_roles(stack)]
ROLE_IDS = [f"{stack.label}-{role}" for stack, role in ROLES]


def test_given_a_primary_stack_with_a_dr_vault_then_one_role_forwards_events() -> None:
    # Given the stacks of the suite / Then a primary stack that copies to a DR vault has one
    # EventBridge role, and every other stack none
    for label, stack in STACKS.items():
        forwards = label.startswith("primary") and bool(stack.rendered.parameters["DrRegion"])
        expected = ["DrCopyEventsForwardingRole"] if forwards else []
        assert event_roles(stack) == expected, label
    assert any(event_roles(stack) for stack in STACKS.values())


@pytest.mark.parametrize(("stack", "role"), ROLES, ids=ROLE_IDS)
def test_given_an_eventbridge_role_then_only_eventbridge_may_assume_it(
    stack: Stack, role: str
) -> None:
    for statement in trust_statements(stack, role):
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": EVENTS_PRINCIPAL}
        assert statement["Action"] == "sts:AssumeRole"


@pytest.mark.parametrize(("stack", "role"), ROLES, ids=ROLE_IDS)
def test_given_an_eventbridge_role_then_it_may_only_put_events_on_the_dr_region_default_bus(
    stack: Stack, role: str
) -> None:
    # Given the role's identity policies, and no managed policy that could add to them
    properties = stack.rendered.resources[role]["Properties"]
    assert "ManagedPolicyArns" not in properties
    (grant,) = allow_grants(stack, role)
    # Then its one statement allows events:PutEvents, on the DR Region's default bus alone
    assert grant.actions == ("events:PutEvents",)
    account = stack.rendered.account
    assert grant.resources == (f"arn:aws:events:{DR_REGION}:{account}:event-bus/default",)
    assert grant.condition == {}
    (bus,) = grant.resources
    assert any(
        authorization.fits(bus, arn_format, region=DR_REGION, account=account)
        for arn_format in authorization.resource_formats("events:PutEvents")
    )
