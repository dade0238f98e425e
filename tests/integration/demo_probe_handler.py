"""A stand-in Lambda handler for the demo runtime's tests: it records what it was given."""

from __future__ import annotations

import os
from typing import Any

calls: list[dict[str, Any]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append(
        {
            "event": event,
            "function_name": context.function_name,
            "probe": os.environ.get("PROBE_SETTING"),
        }
    )
    return {}


def failing_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append({"event": event, "function_name": context.function_name, "failed": True})
    raise RuntimeError("the handler broke")
