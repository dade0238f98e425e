"""Process-wide emulator state: configuration, simulated clock, fault knobs, random streams.

It lives in a moto ``BackendDict`` so that ``mock_aws()`` and ``/moto-api/reset`` reset it together
with every other backend.
"""

from __future__ import annotations

import json
import os
import random
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.models import DEFAULT_ACCOUNT_ID

from emulator import rules
from emulator.active import ActiveJobs
from emulator.clock import SimulatedClock
from emulator.faults import Faults

CONFIG_ENV = "EMULATOR_CONFIG"
_GLOBAL = "aws"

# One lock for all emulator state: server mode serves requests on several threads.
STATE_LOCK = threading.RLock()
# Where a cross-Region copy job's events may be raised (EmulatorConfig.cross_region_copy_events).
COPY_EVENT_REGIONS = ("source", "destination", "both")


@dataclass(slots=True)
class EmulatorConfig:
    seed: int = 20261122
    """Seeds every random choice (ids, durations, fault rolls): same inputs, same run."""
    managed_vault_policy: rules.ManagedVaultPolicy = "fail"
    """Not-fully-managed type copied into an aws/backup vault: fail|keep-source-key|reencrypt."""
    service_key_vault_policy: rules.ServiceKeyVaultPolicy = "reencrypt"
    """Not-fully-managed type copied in the same Region into a vault under its service's AWS-managed
    key (aws/rds, aws/ebs...): reencrypt|keep-source-key. AWS does not say which; cross-Region
    copies are always re-encrypted with the destination vault's key (documented)."""
    dynamodb_advanced_features: bool = True
    """DynamoDB advanced backup features opted in (fully managed, copyable)."""
    backup_job_seconds: tuple[int, int] = (300, 1800)
    copy_job_seconds: tuple[int, int] = (300, 3600)
    fully_managed_copy_quota: int = rules.FULLY_MANAGED_COPY_QUOTA
    lag_copy_quotas: dict[str, int] = field(default_factory=lambda: dict(rules.LAG_COPY_QUOTAS))
    lag_capable_types: list[str] = field(default_factory=lambda: sorted(rules.LAG_CAPABLE_TYPES))
    idempotency_window_seconds: int = 24 * 3600
    """AWS does not publish the IdempotencyToken window; the emulator assumes one day."""
    aws_owned_key_in_kms: bool = False
    """True: KMS DescribeKey answers the LAG AWS-owned key (KeyManager AWS). False: NotFound, as
    for a key in another account."""
    run_backup_plans: bool = True
    """Start scheduled backup jobs for registered resources when the clock passes a plan's cron."""
    apply_lifecycle: bool = True
    """Move recovery points to COLD and expire them when the clock passes their lifecycle dates."""
    cross_region_copy_events: str = "source"
    """Which Region's default bus gets a cross-Region copy job's events: source|destination|both.
    AWS does not document it (eventbridge.html); a working public template (sqlxpert's
    backup-events-aws) catches them in the source Region, hence the default."""

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> EmulatorConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        config = cls(**values)
        _require_choice(
            "managed_vault_policy", config.managed_vault_policy, rules.MANAGED_VAULT_POLICIES
        )
        _require_choice(
            "service_key_vault_policy",
            config.service_key_vault_policy,
            rules.SERVICE_KEY_VAULT_POLICIES,
        )
        if config.cross_region_copy_events not in COPY_EVENT_REGIONS:
            raise ValueError(
                f"cross_region_copy_events must be one of {COPY_EVENT_REGIONS}, "
                f"got {config.cross_region_copy_events!r}"
            )
        config.backup_job_seconds = tuple(config.backup_job_seconds)  # type: ignore[assignment]
        config.copy_job_seconds = tuple(config.copy_job_seconds)  # type: ignore[assignment]
        return config

    @classmethod
    def from_environment(cls) -> EmulatorConfig:
        raw = os.environ.get(CONFIG_ENV)
        return cls.from_mapping(json.loads(raw)) if raw else cls()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _require_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


class ControlBackend(BaseBackend):
    """One instance per process (per moto reset)."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.config = EmulatorConfig.from_environment()
        self.faults = Faults.from_environment()
        self.clock = SimulatedClock()
        self.reseed(self.config.seed)
        self.held_events: list[tuple[str, str, dict[str, Any]]] = []
        self.event_log: list[dict[str, Any]] = []
        # Jobs still CREATED or RUNNING (the scheduler looks at nothing else).
        self.active_jobs = ActiveJobs()
        # The earliest cold-storage or deletion date of any recovery point (None: nothing due).
        self.lifecycle_due: datetime | None = None

    def note_lifecycle(self, dates: list[datetime]) -> None:
        for date in dates:
            if self.lifecycle_due is None or date < self.lifecycle_due:
                self.lifecycle_due = date

    def reseed(self, seed: int) -> None:
        self.ids = random.Random(seed)
        self.durations = random.Random(seed + 1)
        self.fault_rolls = random.Random(seed + 2)


control_backends = BackendDict(
    ControlBackend, "backup", use_boto3_regions=False, additional_regions=[_GLOBAL]
)


def control() -> ControlBackend:
    return control_backends[DEFAULT_ACCOUNT_ID][_GLOBAL]
