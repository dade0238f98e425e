"""The Lambda functions of template.yaml as the bench runs them: handler, environment, memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emulator.cloudformation import reader
from emulator.cloudformation.provision import with_globals
from emulator.cloudformation.render import render

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
REGION = "eu-central-1"  # the Region the rendered stack lives in
ACCOUNT = "444455556666"
SERVERLESS_FUNCTION = "AWS::Serverless::Function"


@dataclass(frozen=True)
class BenchedFunction:
    name: str
    module: str
    function: str
    environment: dict[str, str]
    memory_mb: int


def template_functions(parameters: dict[str, str] | None = None) -> list[BenchedFunction]:
    """Every function of the primary stack, with its environment as CloudFormation renders it
    (SAM Globals merged; template defaults unless ``parameters`` say otherwise)."""
    template = reader.load(TEMPLATE)
    shared = template.pop("Globals", None) or {}
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == SERVERLESS_FUNCTION:
            resource["Properties"] = with_globals(SERVERLESS_FUNCTION, resource, shared)
    stack = render(template, parameters or {}, region=REGION, account=ACCOUNT)
    functions = []
    for logical_id in stack.of_type(SERVERLESS_FUNCTION):
        properties = stack.properties(logical_id)
        module, _, function = str(properties["Handler"]).rpartition(".")
        variables = properties.get("Environment", {}).get("Variables", {})
        functions.append(
            BenchedFunction(
                logical_id,
                module,
                function,
                {name: str(value) for name, value in variables.items()},
                int(properties.get("MemorySize", 128)),  # Lambda's default
            )
        )
    return functions
