"""The environments of samconfig.toml, ready to render the template with their parameters."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infrastructure.expectations import ACCOUNT
from tests.template_loader import RenderedStack, render

SAMCONFIG_PATH = Path(__file__).resolve().parents[2] / "samconfig.toml"


@dataclass(frozen=True)
class SamEnvironment:
    name: str
    stack_name: str
    region: str
    deploy: dict[str, Any]
    parameters: dict[str, str]

    def render(self, **extra: str) -> RenderedStack:
        return render(
            parameters={**self.parameters, **extra},
            region=self.region,
            account=ACCOUNT,
            stack_name=self.stack_name,
        )


def parse_parameter_overrides(text: str) -> dict[str, str]:
    pairs = (item.partition("=") for item in shlex.split(text))
    return {key: value for key, _, value in pairs}


def load_sam_environments() -> dict[str, SamEnvironment]:
    config = tomllib.loads(SAMCONFIG_PATH.read_text(encoding="utf-8"))
    environments = {}
    for name, commands in config.items():
        if not isinstance(commands, dict):
            continue  # the "version" key
        deploy = commands.get("deploy", {}).get("parameters", {})
        environments[name] = SamEnvironment(
            name=name,
            stack_name=commands["global"]["parameters"]["stack_name"],
            region=deploy["region"],
            deploy=deploy,
            parameters=parse_parameter_overrides(deploy.get("parameter_overrides", "")),
        )
    return environments
