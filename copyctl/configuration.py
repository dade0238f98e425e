"""Where ``copyctl status`` and ``copyctl reconcile`` find the orchestrator's configuration.

- ``--env FILE``: the function environment as a JSON object (as for ``copyctl plan``).
- ``--stack NAME``: the stack's outputs, one per variable, named in PascalCase
  (``SOURCE_VAULT_NAMES`` → ``SourceVaultNames``). Reading outputs takes one read-only call,
  ``cloudformation:DescribeStacks`` on that stack: less than reading the function's configuration
  (which also needs the function's name and ``lambda:GetFunctionConfiguration``, and shows its
  whole environment and role). See docs/contracts.md.
- neither: the current environment, when it defines ``SOURCE_VAULT_NAMES``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapters.sessions import Connection, stack_outputs
from core.kernel.errors import ConfigError, InvalidEventError

# Every variable the reconciler reads (core.kernel.config, core.reconcile.settings,
# core.tracking.stuck_copies).
VARIABLES = (
    "SOURCE_VAULT_NAMES",
    "LAG_VAULT_ARN",
    "LAG_VAULT_MIN_RETENTION_DAYS",
    "LAG_VAULT_MAX_RETENTION_DAYS",
    "MANAGED_VAULT_ARN",
    "MANAGED_VAULT_MIN_RETENTION_DAYS",
    "MANAGED_VAULT_MAX_RETENTION_DAYS",
    "COPY_ROLE_ARN",
    "LAG_PLAN_IDS",
    "LAG_PLAN_NAMES",
    "LAG_PLAN_TAG",
    "LAG_SOURCE_VAULT_NAMES",
    "DESTINATION_OVERRIDES",
    "SUPPORT_MATRIX_OVERRIDES",
    "SERVICE_KEY_VAULTS",
    "SERVICE_KEY_PLACEMENT",
    "DR_VAULT_ARN",
    "LEDGER_TABLE_NAME",
    "MAX_COPY_ATTEMPTS",
    "ALERT_TOPIC_ARN",
    "STUCK_AFTER_MINUTES",
    "RECONCILE_LOOK_BACK_DAYS",
    "RECONCILE_PAGE_SIZE",
)
REQUIRED = ("SOURCE_VAULT_NAMES", "LAG_VAULT_ARN", "MANAGED_VAULT_ARN", "COPY_ROLE_ARN")
# Outputs the stack already had under another name.
ALIASES = {"MANAGED_VAULT_ARN": "ManagedKeyVaultArn", "COPY_ROLE_ARN": "CopyJobRoleArn"}


def output_key(variable: str) -> str:
    return "".join(part.capitalize() for part in variable.split("_"))


def read_env_file(env_file: str) -> dict[str, str]:
    """The function environment in an ``--env`` file: a JSON object of variables."""
    try:
        document = json.loads(Path(env_file).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError([f"{env_file} is not JSON: {error.msg}"]) from error
    if not isinstance(document, dict):
        raise ConfigError([f"{env_file} must hold a JSON object of variables"])
    return {str(key): str(value) for key, value in document.items()}


def read_event_file(path: Path) -> Any:
    """An event file's JSON document (an EventBridge event or an SQS batch)."""
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidEventError(f"{path} is not JSON: {error}") from error


def environment(
    connection: Connection, *, stack: str | None, env_file: str | None
) -> dict[str, str]:
    if env_file:
        return read_env_file(env_file)
    if stack:
        return environment_from_outputs(stack, stack_outputs(connection, stack))
    if os.environ.get("SOURCE_VAULT_NAMES"):
        return dict(os.environ)
    raise ConfigError(["give --stack NAME or --env FILE to find the orchestrator's configuration"])


def environment_from_outputs(stack: str, outputs: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for variable in VARIABLES:
        for key in (output_key(variable), ALIASES.get(variable)):
            if key and key in outputs:
                found[variable] = outputs[key]
                break
    if missing := [output_key(v) for v in (*REQUIRED, "LEDGER_TABLE_NAME") if v not in found]:
        raise ConfigError([f"stack {stack} has no output {', '.join(missing)}"])
    return found
