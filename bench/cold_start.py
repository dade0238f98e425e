"""Cold start: import a handler module and build its wiring, in a fresh interpreter, against
``import boto3; boto3.client("backup")`` alone - alternating, median of each."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from bench.functions import REGION, template_functions
from bench.results import Result

TARGET = 1.15
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


def _once(target: str, environment: dict[str, str]) -> dict[str, float]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(["src", "."]),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **FAKE_CREDENTIALS,
        **environment,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", "cold", target],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# The template's default (X-Ray on), then Tracing=Disabled: no Tracer, no X-Ray SDK import.
VARIANTS = {"": {}, " (Tracing=Disabled)": {"Tracing": "Disabled"}}


def cold_starts(runs: int) -> list[Result]:
    return [
        result
        for label, parameters in VARIANTS.items()
        for result in _cold_starts(runs, label, parameters)
    ]


def _cold_starts(runs: int, label: str, parameters: dict[str, str]) -> list[Result]:
    results = []
    for function in template_functions(parameters):
        handler, baseline = [], []
        for _ in range(runs):  # alternate, so drift in the machine's load hits both alike
            handler.append(_once(function.module, function.environment)["seconds"])
            baseline.append(_once("baseline", {})["seconds"])
        factories = _once(function.module, function.environment)["factories"]
        results.append(
            Result(
                f"cold start: {function.name}{label}",
                statistics.median(handler) * 1000,
                "ms",
                statistics.median(baseline) * 1000,
                "boto3 + 1 client",
                TARGET,
                detail={"runs": runs, "handler_ms": handler, "baseline_ms": baseline},
                note=(
                    f"import {function.module} + its {factories:.0f} wiring factories "
                    "(settings and every client), median of fresh interpreters"
                ),
            )
        )
    return results
