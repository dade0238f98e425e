"""`sam validate --lint` and cfn-lint accept the templates (what `make validate` runs):
template.yaml, and org/template.yaml (plain CloudFormation, no SAM)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [
            str(BIN / "sam"),
            "validate",
            "--lint",
            "--region",
            "us-east-1",
            "--template",
            "template.yaml",
        ],
        [str(BIN / "cfn-lint"), "--", "template.yaml"],
        [str(BIN / "cfn-lint"), "--", "org/template.yaml"],
    ],
    ids=["sam-validate-lint", "cfn-lint", "cfn-lint-org"],
)
def test_template_lints_clean(command: list[str]) -> None:
    result = subprocess.run(
        command,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
