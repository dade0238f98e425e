"""Opt-in tests against a deployed stack in a real AWS account.

Run them with the stack's name and credentials that may read it::

    COPYCTL_E2E_STACK=backup-copy-orchestrator-dev AWS_PROFILE=... \\
        .venv/bin/python -m pytest tests/e2e -m e2e

Without ``COPYCTL_E2E_STACK`` every test here is skipped; they only read (the reconcile runs dry).
"""

from __future__ import annotations

import os

import pytest

STACK = os.environ.get("COPYCTL_E2E_STACK", "")


@pytest.fixture(autouse=True)
def fake_aws_credentials() -> None:
    """Overrides the suite's fake credentials: these tests need the real ones."""


@pytest.fixture
def stack() -> str:
    if not STACK:
        pytest.skip("set COPYCTL_E2E_STACK (and AWS credentials) to run against a deployed stack")
    return STACK
