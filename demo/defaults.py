"""The demo's defaults, in a module light enough for ``copyctl`` to build its parser with."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The first of the current month (UTC): the monthly rule fires as well as the hourly and daily
# ones, and the product's own look-back windows, which count from the wall clock (the
# reconciler's 35 days), contain the simulated day.
DEFAULT_START = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
DEFAULT_SEED = 20261101
DEFAULT_RESOURCES = 50

# Fault profiles (emulator/faults.py). "lossy" drops events: only a reconciler run
# (on by default; --no-run-scheduled turns it off) can keep the "no lost recovery point" promise.
FAULT_PROFILES: dict[str, dict[str, Any]] = {
    "none": {},
    "flaky": {
        "throttle_rate": 0.02,
        "server_error_rate": 0.01,
        "operations": ["StartCopyJob", "DescribeRecoveryPoint", "DescribeCopyJob"],
        "copy_failure_rate": 0.05,
        "duplicate_event_rate": 0.05,
        "reorder_events": True,
    },
    "lossy": {"drop_event_rate": 0.03, "duplicate_event_rate": 0.05, "reorder_events": True},
}
MANAGED_VAULT_POLICIES = ("fail", "keep-source-key", "reencrypt")
# emulator.rules.SERVICE_KEY_VAULT_POLICIES (the demo's CLI imports no emulator code up front).
SERVICE_KEY_VAULT_POLICIES = ("reencrypt", "keep-source-key")
# Where the demo puts the dr stack when it needs one (the service-key fallback, dr-region).
DEMO_DR_REGION = "us-west-2"
