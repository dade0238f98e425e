"""Sample data shared by the unit, contract and integration tests.

One configuration (``SETTINGS_ENV``, the function environment of ``docs/contracts.md``) and the
``events/`` fixtures (``localrun.samples``, shared with the bench), with the expectations written
down in ``events/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from localrun.samples import (
    ACCOUNT,
    COPY_ROLE_ARN,
    DR_REGION,
    DR_SVC_EBS_VAULT_ARN,
    DR_SVC_RDS_VAULT_ARN,
    DR_VAULT_ARN,
    EVENTS_DIR,
    LAG_PLAN_ID,
    LAG_VAULT_ARN,
    LEDGER_TABLE,
    MANAGED_VAULT_ARN,
    PARKING_QUEUE,
    PARKING_QUEUE_URL,
    PLAIN_PLAN_ID,
    REGION,
    ROOT,
    SERVICE_KEY_ENV,
    SETTINGS_ENV,
    SOURCE_RETENTION_DAYS,
    SOURCE_VAULTS,
    SVC_EBS_VAULT_ARN,
    SVC_RDS_VAULT_ARN,
    create_tracking_ledger_table,
    event_file_names,
    read_event,
    vault_arn,
)

__all__ = [
    "ACCOUNT",
    "COPY_ROLE_ARN",
    "DR_REGION",
    "DR_SVC_EBS_VAULT_ARN",
    "DR_SVC_RDS_VAULT_ARN",
    "DR_VAULT_ARN",
    "EVENTS_DIR",
    "LAG_PLAN_ID",
    "LAG_VAULT_ARN",
    "LEDGER_TABLE",
    "MANAGED_VAULT_ARN",
    "PARKING_QUEUE",
    "PARKING_QUEUE_URL",
    "PLAIN_PLAN_ID",
    "REGION",
    "ROOT",
    "SERVICE_KEY_ENV",
    "SETTINGS_ENV",
    "SOURCE_RETENTION_DAYS",
    "SOURCE_VAULTS",
    "SVC_EBS_VAULT_ARN",
    "SVC_RDS_VAULT_ARN",
    "Expectation",
    "create_ledger_table",
    "event_file_names",
    "read_event",
    "readme_expectations",
    "vault_arn",
]


@dataclass(frozen=True)
class Expectation:
    """One row of a table in ``events/README.md``."""

    key: str  # a file name, or a messageId for the records of an SQS batch
    expected: str  # a Reason value, ``rejected:<reason>`` or ``batch``
    target: str
    why: str

    @property
    def rejected_reason(self) -> str | None:
        prefix, _, reason = self.expected.partition(":")
        return reason if prefix == "rejected" else None

    @property
    def quoted_why(self) -> str:
        """The part of ``why`` in backticks: what a rejection message must contain."""
        match = re.search(r"`([^`]+)`", self.why)
        return match.group(1) if match else ""


_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*`?([^|`]*)`?\s*\|\s*(.*?)\s*\|$")


def readme_expectations() -> dict[str, Expectation]:
    """Every table row of ``events/README.md`` whose first two cells are code spans."""
    rows: dict[str, Expectation] = {}
    for line in (EVENTS_DIR / "README.md").read_text(encoding="utf-8").splitlines():
        if match := _ROW.match(line.strip()):
            key, expected, target, why = match.groups()
            if key in rows:
                raise AssertionError(f"events/README.md lists {key} twice")
            rows[key] = Expectation(key, expected, target.strip(), why)
    return rows


def create_ledger_table(client: Any, name: str = LEDGER_TABLE) -> None:
    """The ledger table as the template defines it: keys and the stuck-copy index."""
    create_tracking_ledger_table(client, name)
