"""The Lambda functions of template.yaml as the bench runs them: handler, environment, memory."""

from __future__ import annotations

from dataclasses import dataclass

from tests.security.stack_roles import lambda_functions, stack_for

REGION = "eu-central-1"  # the Region the rendered stack lives in (tests.security.stack_roles)


@dataclass(frozen=True)
class BenchedFunction:
    name: str
    module: str
    function: str
    environment: dict[str, str]
    memory_mb: int


def template_functions(parameters: dict[str, str] | None = None) -> list[BenchedFunction]:
    """Every function of the primary stack, with its environment as CloudFormation renders it
    (template defaults unless ``parameters`` say otherwise)."""
    stack = stack_for("bench", parameters or {})
    return [
        BenchedFunction(
            function.logical_id,
            function.module,
            function.function,
            function.environment,
            int(function.properties.get("MemorySize", 128)),  # Lambda's default
        )
        for function in lambda_functions(stack)
    ]
