"""Tracing is a deploy-time choice: template parameter ``Tracing`` -> ``POWERTOOLS_TRACE_DISABLED``.

Disabled, the handlers get ``handlers.observability.NoTracer``: Powertools' ``Tracer`` is never
built, so the X-Ray SDK (about 100 ms of cold start) is never imported. Whether a module was
imported is a property of a whole interpreter, so those checks run in a fresh one per handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from handlers.observability import NoTracer, tracing_enabled
from tests.samples import REGION, ROOT, SETTINGS_ENV

HANDLER_MODULES = sorted(
    f"handlers.{path.stem}" for path in (ROOT / "src" / "handlers").glob("*_handler.py")
)
POWERTOOLS_TRACER = "aws_lambda_powertools.tracing.tracer.Tracer"

# Runs in a fresh interpreter: import one handler module, then say what that imported and which
# tracer the handlers got; the key guard's handler is also invoked (a malformed event: no AWS call).
_PROBE = """
import importlib, json, sys
module = importlib.import_module(sys.argv[1])
from handlers.observability import tracer
answer = None
if sys.argv[1] == "handlers.key_guard_handler":
    from tests.lambda_context import FakeLambdaContext
    from tests.samples import read_event
    event = read_event("kms-malformed-no-key-id.json")
    answer = module.lambda_handler(event, FakeLambdaContext())
kind = type(tracer)
print(json.dumps({
    "xray": sorted(name for name in sys.modules if name.split(".")[0] == "aws_xray_sdk"),
    "tracer": f"{kind.__module__}.{kind.__qualname__}",
    "answer": answer,
}))
"""


def _fresh_import(module: str, trace_disabled: str | None) -> dict[str, Any]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(["src", "."]),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_SERVICE_NAME": "tracing-choice",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **SETTINGS_ENV,
    }
    if trace_disabled is not None:
        environment["POWERTOOLS_TRACE_DISABLED"] = trace_disabled
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_handler_modules_are_found() -> None:
    assert HANDLER_MODULES == [
        "handlers.copy_handler",
        "handlers.key_guard_handler",
        "handlers.reconcile_handler",
        "handlers.tracking_handler",
    ]


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_given_tracing_disabled_when_a_handler_module_is_imported_then_the_xray_sdk_is_not(
    module: str,
) -> None:
    # Given POWERTOOLS_TRACE_DISABLED=true (Tracing=Disabled) / When the handler module is
    # imported in a fresh interpreter, as in a new Lambda container
    found = _fresh_import(module, "true")
    # Then no module of the X-Ray SDK was imported, and the handlers got the pass-through tracer
    assert found["xray"] == []
    assert found["tracer"] == "handlers.observability.NoTracer"


def test_given_tracing_disabled_when_the_key_guard_is_invoked_then_its_handler_still_runs() -> None:
    # Given tracing disabled / When the key guard handles a malformed KMS event
    found = _fresh_import("handlers.key_guard_handler", "true")
    # Then the decorated handler ran to its own answer, and still imported no X-Ray module
    assert found["answer"]["outcome"] == "rejected"
    assert found["xray"] == []


@pytest.mark.parametrize("trace_disabled", ["false", None], ids=["false", "unset"])
def test_given_tracing_enabled_when_a_handler_module_is_imported_then_powertools_traces(
    trace_disabled: str | None,
) -> None:
    # Given POWERTOOLS_TRACE_DISABLED=false (Tracing=Active), or not set at all
    # When the copy handler module is imported in a fresh interpreter
    found = _fresh_import("handlers.copy_handler", trace_disabled)
    # Then the handlers use Powertools' Tracer (with the X-Ray SDK as its provider)
    assert found["tracer"] == POWERTOOLS_TRACER
    assert "aws_xray_sdk.core" in found["xray"]


@pytest.mark.parametrize(
    ("value", "enabled"),
    [("true", False), ("1", False), ("TRUE", False), ("false", True), ("0", True), (None, True)],
)
def test_given_powertools_trace_disabled_when_read_then_powertools_truth_values_apply(
    value: str | None, enabled: bool
) -> None:
    # Given the variable as the template (or an operator) sets it
    environment = {} if value is None else {"POWERTOOLS_TRACE_DISABLED": value}
    # Then tracing is on exactly when Powertools would trace
    assert tracing_enabled(environment) is enabled


def test_given_a_value_that_is_no_truth_value_when_read_then_the_cold_start_fails() -> None:
    # Given a typo / Then it fails loudly, as Powertools' own Tracer would
    with pytest.raises(ValueError, match="invalid truth value"):
        tracing_enabled({"POWERTOOLS_TRACE_DISABLED": "maybe"})


def test_given_no_tracer_when_it_decorates_a_handler_then_it_is_the_same_handler() -> None:
    # Given a handler
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        return {"echo": event}

    # When decorated as the handlers decorate theirs
    decorated = NoTracer().capture_lambda_handler(handler)
    # Then it is the very same function, answering as before
    assert decorated is handler
    assert decorated({"a": 1}, None) == {"echo": {"a": 1}}
