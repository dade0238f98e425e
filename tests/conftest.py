"""Fixtures shared by every test: no real AWS account is reachable; one sample configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.kernel.config import Settings, load_settings
from tests.samples import REGION, SETTINGS_ENV, read_event


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and an explicit Region, so no test can talk to a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def settings_env() -> dict[str, str]:
    """The copy function's environment (docs/contracts.md); a fresh copy for every test."""
    return dict(SETTINGS_ENV)


@pytest.fixture
def settings(settings_env: dict[str, str]) -> Settings:
    return load_settings(settings_env)


@pytest.fixture
def load_event() -> Callable[[str], Any]:
    """Read one ``events/`` file as JSON."""
    return read_event
