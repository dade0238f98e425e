"""HTTP controls for a standalone emulator server, under ``/moto-api/emulator/``.

POST JSON bodies; every answer is JSON. ``emulator.remote.EmulatorClient`` wraps them.
  GET  state                      clock, config, fault knobs, counts
  POST clock                      {"advance_seconds": 3600} or {"set": "2026-01-01T00:00:00Z"}
  POST advance-jobs               {"steps": 1}        POST settle {}
  POST faults                     the Faults fields (replaces all)   DELETE faults: reset
  POST config                     some EmulatorConfig fields (merged)
  POST flush-events               {}
  POST recovery-points            {"vault_name": ..., "account": ..., "region": ..., seed options}
  POST resources                  {"resource_arn": ..., "resource_type": ..., ...}
  POST provision                  {"template_path": ..., "parameters": {...}, "region": ...,
                                   "stack_name": ... (default "emulated")}
  GET  events                     every emitted event and its fate
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from moto.core.common_types import TYPE_RESPONSE

from emulator import api

_JSON = {"Content-Type": "application/json"}


def _clock(body: dict[str, Any]) -> dict[str, Any]:
    if "set" in body:
        api.set_time(datetime.fromisoformat(str(body["set"]).replace("Z", "+00:00")))
        return {"now": api.now().isoformat(), "changed": 0}
    changed = api.advance_clock(seconds=float(body.get("advance_seconds", 0)))
    return {"now": api.now().isoformat(), "changed": changed}


def _seed(body: dict[str, Any]) -> dict[str, Any]:
    options = dict(body)
    if isinstance(options.get("creation_date"), str):
        options["creation_date"] = datetime.fromisoformat(
            options["creation_date"].replace("Z", "+00:00")
        )
    return {"RecoveryPointArn": api.seed_recovery_point(options.pop("vault_name"), **options)}


def _provision(body: dict[str, Any]) -> dict[str, Any]:
    from emulator.cloudformation.custom_resources import lambda_api_invoker  # noqa: PLC0415
    from emulator.cloudformation.provision import from_template  # noqa: PLC0415 - provision imports routing, which imports this

    # Custom resources run through a Lambda API endpoint the caller serves (localrun's, or
    # `sam local start-lambda`); without one they are left out.
    endpoint = body.get("lambda_endpoint_url")
    result = from_template(
        body["template_path"],
        parameters=body.get("parameters") or {},
        account=body.get("account"),
        region=body.get("region", api.DEFAULT_REGION),
        stack_name=body.get("stack_name", "emulated"),
        invoke=lambda_api_invoker(str(endpoint)) if endpoint else None,
    )
    return {**result.as_dict(), "account": result.context.account if result.context else None}


_POSTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "clock": _clock,
    "advance-jobs": lambda body: {"changed": api.advance_jobs(int(body.get("steps", 1)))},
    "settle": lambda body: {"changed": api.settle(int(body.get("max_steps", 100)))},
    "faults": lambda body: api.set_faults(**body).as_dict(),
    "config": lambda body: api.configure(**body).as_dict(),
    "flush-events": lambda _body: {"delivered": api.flush_events()},
    "recovery-points": _seed,
    "resources": lambda body: {"ResourceArn": api.register_resource(**body).arn},
    "provision": _provision,
}
_GETS: dict[str, Callable[[], Any]] = {
    "state": api.state_summary,
    "events": api.emitted_events,
}


def handle(request: Any, full_url: str, headers: Any) -> TYPE_RESPONSE:  # noqa: ARG001 - moto's handler signature
    action = request.path.split("/moto-api/emulator/", 1)[1].strip("/")
    try:
        return 200, dict(_JSON), json.dumps(_answer(request, action), default=str)
    except KeyError as missing:
        return 404, dict(_JSON), json.dumps({"error": f"unknown control or field: {missing}"})
    except (TypeError, ValueError) as error:
        return 400, dict(_JSON), json.dumps({"error": str(error)})


def _answer(request: Any, action: str) -> Any:
    if request.method == "GET":
        return _GETS[action]()
    if request.method == "DELETE" and action == "faults":
        return api.reset_faults().as_dict()
    raw = request.data or b"{}"
    body = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    return _POSTS[action](body)
