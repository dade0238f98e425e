"""Each function's role grants exactly the AWS calls its code makes (design principle 8).

The calls come from walking the typed code from the function's handler (``code_calls``), the
actions from botocore's service model (``authorization``), Lambda's own needs from the function's
properties (``lambda_needs``). docs/contracts.md is deliberately not read here: the infrastructure
tests compare the template with it, this suite compares the template with the code.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.security import authorization
from tests.security.code_calls import CodeModel, Reach, reach
from tests.security.conftest import FUNCTION_IDS, FUNCTIONS
from tests.security.lambda_needs import encryption_needs, lambda_needs
from tests.security.stack_roles import Grant, LambdaFunction, Stack


def code_actions(code: CodeModel, function: LambdaFunction) -> dict[str, set[str]]:
    """IAM action -> where in the code it is needed (PassRole included)."""
    found = reach(code, function.module, function.function)
    actions: dict[str, set[str]] = {}
    for call, places in found.calls.items():
        actions.setdefault(authorization.action_of(call), set()).update(places)
        if authorization.passes_a_role(call):
            actions.setdefault("iam:PassRole", set()).update(places)
    return actions


def expected_actions(code: CodeModel, stack: Stack, function: LambdaFunction) -> set[str]:
    own = set(code_actions(code, function))
    needs = lambda_needs(function, stack) + encryption_needs(function, stack, own)
    return own | {need.action for need in needs}


def role_mismatch(
    code: CodeModel, stack: Stack, function: LambdaFunction
) -> tuple[dict[str, list[str]], set[str]]:
    """(actions the code needs that the role lacks, with where; actions granted but not needed)."""
    expected = expected_actions(code, stack, function)
    granted = function.granted_actions
    where = code_actions(code, function)
    missing = {action: sorted(where.get(action, ["lambda"])) for action in expected - granted}
    return missing, granted - expected


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_a_function_when_its_code_is_walked_then_its_role_grants_exactly_those_calls(
    code: CodeModel, stack: Stack, function: LambdaFunction
) -> None:
    # Given the calls its code can make, and what Lambda needs for the features it turns on
    # When they are compared with the role's Allow statements
    missing, extra = role_mismatch(code, stack, function)
    # Then nothing is missing and nothing is extra
    assert not missing, f"{function.logical_id} makes calls its role does not allow: {missing}"
    assert not extra, f"{function.logical_id}'s role allows calls its code never makes: {extra}"


def test_given_a_role_missing_one_call_or_granting_one_more_when_compared_then_both_show(
    code: CodeModel,
) -> None:
    # Given the copy function with StartCopyJob taken out of its role and DeleteRecoveryPoint added
    stack, function = next(f for f in FUNCTIONS if f[1].logical_id == "CopyFunction")
    grants = [
        replace(g, actions=tuple(a for a in g.actions if a != "backup:StartCopyJob"))
        for g in function.grants
    ]
    grants.append(Grant("Extra", ("backup:DeleteRecoveryPoint",), ("*",), {}))
    mutated = replace(function, grants=grants)
    # When compared with its code
    missing, extra = role_mismatch(code, stack, mutated)
    # Then the comparison names both, with where the code makes the missing call
    assert "adapters.backup.BackupGateway.start_copy_job" in missing["backup:StartCopyJob"]
    assert extra == {"backup:DeleteRecoveryPoint"}


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_a_function_when_its_code_is_walked_then_every_client_use_is_understood(
    code: CodeModel, stack: Stack, function: LambdaFunction
) -> None:
    # Given the walk from the function's handler
    found: Reach = reach(code, function.module, function.function)
    # Then it reached the handler's code and resolved every use of an AWS client
    assert f"{function.module}.{function.function}" in found.functions
    assert found.calls, f"{function.logical_id}: the walk found no AWS call at all"
    assert found.unresolved == []


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_the_code_s_calls_when_named_as_iam_actions_then_aws_documents_each_action(
    code: CodeModel, stack: Stack, function: LambdaFunction
) -> None:
    # Given the actions derived from botocore's operation names
    actions = code_actions(code, function)
    # Then each exists in the Service Authorization Reference (an operation whose action is named
    # differently would otherwise be granted under a name IAM ignores)
    assert [action for action in actions if not authorization.exists(action)] == []


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_lambda_s_own_needs_when_granted_then_only_on_the_function_s_queue_and_log_group(
    stack: Stack, function: LambdaFunction
) -> None:
    # Given what Lambda needs for this function's log group, tracing and event sources
    for need in lambda_needs(function, stack):
        # Then each such action is granted on exactly that resource
        resources = {r for grant in function.grants_of(need.action) for r in grant.resources}
        assert resources == {need.resource}, f"{need.action} ({need.why})"


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_an_encrypted_topic_or_queue_when_the_code_sends_to_it_then_only_its_key_is_usable(
    code: CodeModel, stack: Stack, function: LambdaFunction
) -> None:
    # Given the KMS use that sending to encrypted topics and queues requires
    needs = encryption_needs(function, stack, set(code_actions(code, function)))
    # Then every KMS data-key grant of the role is one of them, on that key only
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        resources = {r for grant in function.grants_of(action) for r in grant.resources}
        assert resources == {need.resource for need in needs if need.action == action}


@pytest.mark.parametrize(("stack", "function"), FUNCTIONS, ids=FUNCTION_IDS)
def test_given_the_tracing_parameter_when_rendered_then_xray_is_granted_exactly_when_traced(
    stack: Stack, function: LambdaFunction
) -> None:
    # Given the stack's Tracing parameter (Active by default, Disabled in the *-untraced stacks)
    tracing = stack.rendered.parameters["Tracing"]
    # When the function and its role are rendered
    xray = {action for action in function.granted_actions if action.startswith("xray:")}
    # Then the function traces as chosen, and its role may write traces only then
    assert function.properties["Tracing"] == tracing
    if tracing == "Active":
        assert xray == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    else:
        assert xray == set(), f"{function.logical_id} grants X-Ray with Tracing={tracing}"


def test_both_tracing_choices_are_checked() -> None:
    choices = {stack.rendered.parameters["Tracing"] for stack, _ in FUNCTIONS}
    assert choices == {"Active", "Disabled"}
