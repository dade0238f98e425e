"""Issue 12, item 5: a deployed function shows which Powertools release its layer gave it.

The public layer's version number does not name its Powertools release in a form the tests can
read, so each function instance logs ``aws_lambda_powertools``' version once at cold start, as
the structured field ``powertools_version`` of the ``runtime`` line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aws_lambda_powertools.shared.version import VERSION

ROOT = Path(__file__).resolve().parents[2]


def test_a_cold_start_logs_the_powertools_version_the_function_runs() -> None:
    # Given a fresh interpreter, as a new Lambda execution environment, without tracing
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "src"),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "cold-start-probe",
    }
    # When a handler module is imported (twice: a module is imported once per process)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import handlers.copy_handler, handlers.key_guard_handler",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Then exactly one log line names the running Powertools release as a structured field
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    runtime = [line for line in lines if line.get("message") == "runtime"]
    assert [line["powertools_version"] for line in runtime] == [VERSION]
