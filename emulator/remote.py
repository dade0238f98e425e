"""A small client for the controls of an emulator running as a server (see control_api.py)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class EmulatorClient:
    def __init__(self, endpoint_url: str, timeout: float = 30.0) -> None:
        self._base = endpoint_url.rstrip("/") + "/moto-api/emulator/"
        self._timeout = timeout

    def _call(self, method: str, action: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        request = urllib.request.Request(  # noqa: S310 - the URL is the emulator's own endpoint
            self._base + action,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310
            return json.loads(answer.read())

    def reset(self) -> None:
        """moto's own reset: every backend, the emulator's included."""
        url = self._base.replace("/moto-api/emulator/", "/moto-api/reset")
        request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=self._timeout):  # noqa: S310
            pass

    def state(self) -> dict[str, Any]:
        return dict(self._call("GET", "state"))

    def events(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "events"))

    def advance_clock(self, seconds: float) -> int:
        return int(self._call("POST", "clock", {"advance_seconds": seconds})["changed"])

    def set_time(self, iso_time: str) -> None:
        self._call("POST", "clock", {"set": iso_time})

    def advance_jobs(self, steps: int = 1) -> int:
        return int(self._call("POST", "advance-jobs", {"steps": steps})["changed"])

    def settle(self) -> int:
        return int(self._call("POST", "settle")["changed"])

    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        return dict(self._call("POST", "faults", knobs))

    def reset_faults(self) -> dict[str, Any]:
        return dict(self._call("DELETE", "faults"))

    def configure(self, **settings: Any) -> dict[str, Any]:
        return dict(self._call("POST", "config", settings))

    def flush_events(self) -> int:
        return int(self._call("POST", "flush-events")["delivered"])

    def seed_recovery_point(self, vault_name: str, **options: Any) -> str:
        answer = self._call("POST", "recovery-points", {"vault_name": vault_name, **options})
        return str(answer["RecoveryPointArn"])

    def register_resource(self, resource_arn: str, **options: Any) -> str:
        return str(
            self._call("POST", "resources", {"resource_arn": resource_arn, **options})[
                "ResourceArn"
            ]
        )

    def provision(
        self, template_path: str, parameters: dict[str, str] | None = None, **where: str
    ) -> dict[str, Any]:
        """``where``: account, region, stack_name, and lambda_endpoint_url (the Lambda API
        endpoint that runs the template's custom resources)."""
        body = {"template_path": template_path, "parameters": parameters or {}, **where}
        return dict(self._call("POST", "provision", body))
