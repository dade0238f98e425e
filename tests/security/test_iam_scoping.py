"""Every grant of every function role is scoped: no wildcard action, no "*" resource where AWS
offers a resource-level permission, only this account's and Region's ARNs, and only the queues,
tables, topics and vaults the function is configured with. ``iam:PassRole`` hands over one role,
only to the service the code passes it to.
"""

from __future__ import annotations

import pytest

from core.kernel.config import load_settings
from core.kernel.errors import ConfigError
from tests.security import authorization
from tests.security.code_calls import CodeModel, reach
from tests.security.conftest import FUNCTION_IDS, FUNCTIONS
from tests.security.lambda_needs import ANY_RESOURCE
from tests.security.stack_roles import LambdaFunction, Stack, listed

# Resource types (Service Authorization Reference names) of queues, topics, tables, roles and
# vaults: a grant on one of them must name it, never a pattern.
NAMED_RESOURCE_TYPES = frozenset({"queue", "topic", "table", "index", "role", "backupVault"})


def configured_names(function: LambdaFunction) -> set[str]:
    """Every value of the function's environment, and each item of a comma-separated one."""
    names = set()
    for value in function.environment.values():
        names.add(value)
        names |= {item.strip() for item in value.split(",")}
    return names


def derived_destinations(function: LambdaFunction) -> frozenset[str]:
    """The destination vaults the function's settings derive (the service-key vaults' ARNs
    follow from MANAGED_VAULT_ARN and DR_VAULT_ARN by the naming rule)."""
    environment = {key: str(value) for key, value in function.environment.items()}
    try:
        return load_settings(environment).destination_vault_arns
    except ConfigError:
        return frozenset()


def home_regions(stack: Stack, function: LambdaFunction) -> set[str]:
    """This Region, and the DR Region the function is configured with: a cross-Region copy into
    the dr stack's service-key vaults ends under a key of that Region."""
    dr_vault = str(function.environment.get("DR_VAULT_ARN", ""))
    return {stack.rendered.region} | ({dr_vault.split(":")[3]} if dr_vault else set())


def is_configured(stack: Stack, function: LambdaFunction, arn: str) -> bool:
    """The function's environment names this resource (its ARN, URL or name), or holds its ARN,
    or its settings derive it."""
    if arn in derived_destinations(function):
        return True
    names = configured_names(function)
    owner = stack.owner_of(arn)
    if owner is not None:
        known = {text for text, logical_id in stack.identifiers.items() if logical_id == owner}
        if names & known:
            return True
    return any(arn in value for value in function.environment.values())


def test_given_the_stacks_then_each_has_functions_to_check() -> None:
    assert {function.logical_id for _, function in FUNCTIONS} >= {"CopyFunction"}


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_a_function_role_then_no_action_has_a_wildcard(
    stack: Stack, function: LambdaFunction
) -> None:
    assert [a for a in function.granted_actions if "*" in a or "?" in a] == []


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_a_grant_on_any_resource_then_aws_offers_no_resource_level_permission_for_it(
    stack: Stack, function: LambdaFunction
) -> None:
    for grant in function.grants:
        if ANY_RESOURCE not in grant.resources:
            continue
        for action in grant.actions:
            assert authorization.resource_formats(action) == [], (
                f"{grant.sid}: {action} can be scoped to a resource but is granted on '*'"
            )


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_a_scoped_grant_then_each_resource_fits_the_action_in_this_account_and_region(
    stack: Stack, function: LambdaFunction
) -> None:
    regions, account = home_regions(stack, function), stack.rendered.account
    for grant in function.grants:
        for action in grant.actions:
            formats = authorization.resource_formats(action)
            for resource in grant.resources:
                if resource == ANY_RESOURCE:
                    continue
                assert any(
                    authorization.fits(resource, f, region=region, account=account)
                    for f in formats
                    for region in regions
                ), f"{grant.sid}: {resource} is not a {action} resource of {account}/{regions}"


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_a_grant_on_a_queue_table_topic_vault_or_role_then_the_function_is_configured_with_it(
    stack: Stack, function: LambdaFunction
) -> None:
    sources = _event_source_arns(function, stack)
    for grant in function.grants:
        kinds = {kind for action in grant.actions for kind in authorization.resource_types(action)}
        if not kinds or not kinds <= NAMED_RESOURCE_TYPES:
            continue
        for resource in grant.resources:
            # Then it is a name, not a pattern ...
            assert "*" not in resource, f"{grant.sid}: {resource} is a pattern"
            # ... of a resource the function's configuration names, or its own event source
            assert resource in sources or is_configured(stack, function, resource), (
                f"{grant.sid}: {function.logical_id} is not configured with {resource}"
            )


def _event_source_arns(function: LambdaFunction, stack: Stack) -> set[str]:
    return {
        stack.arn_of(event["Properties"]["Queue"])
        for event in function.properties.get("Events", {}).values()
        if event["Type"] == "SQS"
    }


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_the_code_passes_a_role_then_only_a_role_trusting_that_service_may_be_passed_to_it(
    code: CodeModel, stack: Stack, function: LambdaFunction
) -> None:
    # Given the services the code hands a role to (an operation with a *RoleArn parameter)
    calls = reach(code, function.module, function.function).calls
    receivers = {
        authorization.receiving_service(c) for c in calls if authorization.passes_a_role(c)
    }
    for grant in function.grants_of("iam:PassRole"):
        # Then the grant is conditioned on exactly those services ...
        assert grant.actions == ("iam:PassRole",), grant.sid
        condition = grant.condition.get("StringEquals", {}).get("iam:PassedToService")
        assert set(listed(condition)) == receivers, grant.sid
        # ... and names only roles of the stack that those services may assume
        for resource in grant.resources:
            role = stack.owner_of(resource)
            assert role is not None, f"{resource} is not a role of this stack"
            trusted = {
                service
                for statement in listed(
                    stack.rendered.resources[role]["Properties"]["AssumeRolePolicyDocument"][
                        "Statement"
                    ]
                )
                for service in listed(statement.get("Principal", {}).get("Service", []))
            }
            assert receivers <= trusted, f"{role} does not trust {receivers}"
            assert is_configured(stack, function, resource), f"{resource} is not configured"
