"""Fixtures for the template tests: the parsed template, rendered stacks, samconfig environments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.expectations import ACCOUNT, DR_REGION
from tests.infrastructure.sam_environments import SamEnvironment, load_sam_environments
from tests.template_loader import RenderedStack, load_template, render


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def sam_environments() -> dict[str, SamEnvironment]:
    return load_sam_environments()


@pytest.fixture(scope="session")
def primary_stack() -> RenderedStack:
    """The primary role with every default, plus a DR vault to copy to."""
    return render(parameters={"DrRegion": DR_REGION}, account=ACCOUNT)


@pytest.fixture(scope="session")
def dr_stack() -> RenderedStack:
    return render(parameters={"StackRole": "dr"}, region=DR_REGION, account=ACCOUNT)


@pytest.fixture(scope="session", params=["primary", "dr"])
def any_role_stack(request: pytest.FixtureRequest) -> RenderedStack:
    return render(parameters={"StackRole": request.param}, account=ACCOUNT)
