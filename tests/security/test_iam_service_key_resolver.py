"""The service-key resolver's role: kms:DescribeKey on this account's and Region's keys, only
through the configured ``alias/aws/<service>`` aliases, plus its own log group (and X-Ray when
traced). ``test_iam_equals_code_calls`` already derives its actions from the code; this pins the
resource and the alias condition, so nobody widens them silently.

"When an alias is the value of a resource element, the policy applies to the alias resource, not
to any KMS key that might be associated with it" and "The kms:RequestAlias condition key allows or
denies access to a KMS key based on the alias in a request"
(https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html).
"""

from __future__ import annotations

import pytest

from tests.security.code_calls import CodeModel
from tests.security.conftest import ACCOUNT, DR_REGION, FUNCTIONS
from tests.security.stack_roles import LambdaFunction, Stack, lambda_functions, listed, stack_for
from tests.security.test_iam_equals_code_calls import code_actions

RESOLVER = "ServiceKeyResolverFunction"
ALIASES = {
    "rds,ebs": {"alias/aws/rds", "alias/aws/ebs"},
    "rds": {"alias/aws/rds"},
    "ebs": {"alias/aws/ebs"},
}
REGION = "eu-central-1"  # stack_for's Region


def _resolver(stack: Stack) -> LambdaFunction | None:
    return next((f for f in lambda_functions(stack) if f.logical_id == RESOLVER), None)


def test_given_the_default_stacks_then_the_code_walk_covers_the_resolver() -> None:
    # The suite-wide derivation (test_iam_equals_code_calls) runs on every function of STACKS
    checked = {(stack.label, function.logical_id) for stack, function in FUNCTIONS}
    assert {("primary", RESOLVER), ("dr", RESOLVER), ("primary-untraced", RESOLVER)} <= checked


def test_given_the_resolver_s_code_when_walked_then_its_only_aws_call_is_kms_describe_key(
    code: CodeModel,
) -> None:
    _, function = next(f for f in FUNCTIONS if f[1].logical_id == RESOLVER)
    assert set(code_actions(code, function)) == {"kms:DescribeKey"}


@pytest.mark.parametrize("role", ["primary", "dr"])
@pytest.mark.parametrize("vaults", sorted(ALIASES))
def test_given_the_configured_keys_then_describe_key_is_limited_to_their_aliases(
    role: str, vaults: str
) -> None:
    # Given a stack that wants these service-key vaults
    parameters = {"ServiceKeyVaults": vaults, "StackRole": role}
    if role == "primary":
        parameters["DrRegion"] = DR_REGION
    resolver = _resolver(stack_for(f"{role}-{vaults}", parameters))
    assert resolver is not None
    # Then its one kms: grant is DescribeKey on key/* of this account and Region ...
    (grant,) = [g for g in resolver.grants if any(a.startswith("kms:") for a in g.actions)]
    assert grant.actions == ("kms:DescribeKey",)
    assert grant.resources == (f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",)
    # ... only through exactly the configured aliases
    assert set(grant.condition) == {"StringEquals"}
    assert set(grant.condition["StringEquals"]) == {"kms:RequestAlias"}
    assert set(listed(grant.condition["StringEquals"]["kms:RequestAlias"])) == ALIASES[vaults]
    # And nothing else but its logs (and traces)
    others = {a for g in resolver.grants for a in g.actions} - {"kms:DescribeKey"}
    assert others <= {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


@pytest.mark.parametrize(
    "parameters",
    [
        {"ServiceKeyVaults": "none", "DrRegion": DR_REGION},
        {"ServiceKeyPlacement": "dr-region", "DrRegion": DR_REGION},
        {"ServiceKeyVaults": "none", "StackRole": "dr"},
    ],
    ids=["none", "primary-dr-region", "dr-none"],
)
def test_given_no_service_key_vault_here_then_there_is_no_resolver_and_no_role(
    parameters: dict[str, str],
) -> None:
    stack = stack_for("without", parameters)
    assert _resolver(stack) is None
    assert "ServiceKeyResolverRole" not in stack.rendered.resources
