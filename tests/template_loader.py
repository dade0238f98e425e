"""template.yaml as the tests read it: the emulator's CloudFormation reader
(``emulator.cloudformation.reader``) and its strict renderer (``emulator.cloudformation.render``),
with the repository's template as the default."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from emulator.cloudformation import reader
from emulator.cloudformation import render as rendering
from emulator.cloudformation.render import RenderedStack

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "template.yaml"

__all__ = ["TEMPLATE_PATH", "RenderedStack", "load_template", "render"]


@cache
def _load_cached(path: Path) -> dict[str, Any]:
    return reader.load(path)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a fresh dict (callers may mutate it)."""
    return copy.deepcopy(_load_cached(path))


def render(
    template: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    *,
    region: str = "us-east-1",
    account: str = "111122223333",
    stack_name: str = "backup-copy-orchestrator-test",
) -> RenderedStack:
    """Evaluate ``template`` (default: template.yaml) for ``parameters`` over their defaults."""
    source = template if template is not None else load_template()
    return rendering.render(
        source, parameters, region=region, account=account, stack_name=stack_name
    )
