"""Fixtures of the security suite: the typed code model (one mypy run) and the rendered stacks."""

from __future__ import annotations

import pytest

from tests.security.code_calls import SRC, CodeModel, build_code_model
from tests.security.stack_roles import LambdaFunction, Stack, lambda_functions, stack_for
from tests.security.walk_sample import write_walk_sample

ACCOUNT = "444455556666"
DR_REGION = "us-west-2"
# Every shape of the stack whose IAM differs: both roles, with tracing on (the default) and off,
# and destination overrides.
STACKS = {
    "primary": stack_for("primary", {"DrRegion": DR_REGION}),
    "dr": stack_for("dr", {"StackRole": "dr"}),
    "primary-untraced": stack_for(
        "primary-untraced", {"DrRegion": DR_REGION, "Tracing": "Disabled"}
    ),
    "dr-untraced": stack_for("dr-untraced", {"StackRole": "dr", "Tracing": "Disabled"}),
    "primary-overrides": stack_for(
        "primary-overrides",
        {
            "DestinationOverrides": (
                '{"RDS": {"vault_arn": "arn:aws:backup:eu-central-1:'
                f'{ACCOUNT}:backup-vault:rds-copies", "min_days": 7}}}}'
            ),
            "DestinationOverrideVaultArns": (
                f"arn:aws:backup:eu-central-1:{ACCOUNT}:backup-vault:rds-copies"
            ),
        },
    ),
}
FUNCTIONS: list[tuple[Stack, LambdaFunction]] = [
    (stack, function) for stack in STACKS.values() for function in lambda_functions(stack)
]
FUNCTION_IDS = [f"{stack.label}-{function.logical_id}" for stack, function in FUNCTIONS]


@pytest.fixture(scope="session")
def code(tmp_path_factory: pytest.TempPathFactory) -> CodeModel:
    """src/ and the made-up sample of test_code_walk, type-checked together (one mypy run)."""
    return build_code_model(SRC, write_walk_sample(tmp_path_factory.mktemp("walk")))
