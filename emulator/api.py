"""The emulator's own controls, for tests and the demo running in the same process as moto."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID

from emulator import kms, rules, scheduler, seeding
from emulator.backend import all_backends, backend_for
from emulator.control import STATE_LOCK, EmulatorConfig, control
from emulator.events import flush_held_events
from emulator.faults import Faults
from emulator.models import ResourceInfo

DEFAULT_REGION = "us-east-1"


def default_account() -> str:
    return os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)


# ---- clock --------------------------------------------------------------------------------------


def now() -> datetime:
    return control().clock.now()


def set_time(moment: datetime) -> None:
    """Put the clock anywhere (also backwards): for seeding history before a scenario runs."""
    with STATE_LOCK:
        control().clock.reset_to(moment)


def advance_clock(
    *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
) -> int:
    """Let simulated time pass; returns how many jobs and recovery points changed."""
    delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return scheduler.advance_clock(delta)


def advance_jobs(steps: int = 1) -> int:
    return scheduler.advance_jobs(steps)


def settle(max_steps: int = 100) -> int:
    return scheduler.settle(max_steps)


# ---- knobs --------------------------------------------------------------------------------------


def current_faults() -> Faults:
    return control().faults


def set_faults(**knobs: Any) -> Faults:
    """Replace every fault knob: the ones not named go back to "no fault"."""
    with STATE_LOCK:
        control().faults = Faults.from_mapping(knobs)
        return control().faults


def reset_faults() -> Faults:
    return set_faults()


def config() -> EmulatorConfig:
    return control().config


def configure(**settings: Any) -> EmulatorConfig:
    """Change some settings, keep the others; a new seed restarts every random stream."""
    with STATE_LOCK:
        state = control()
        merged = state.config.as_dict() | settings
        state.config = EmulatorConfig.from_mapping(merged)
        if "seed" in settings:
            state.reseed(state.config.seed)
        return state.config


def flush_events() -> int:
    """Deliver events held by the ``reorder_events`` knob, shuffled."""
    with STATE_LOCK:
        return flush_held_events()


def emitted_events() -> list[dict[str, Any]]:
    """Every event the emulator produced, with its fate: delivered, held, or dropped."""
    return list(control().event_log)


# ---- seeding ------------------------------------------------------------------------------------

_SEED_OPTIONS = {
    "resource_type",
    "resource_arn",
    "creation_date",
    "lifecycle",
    "storage_class",
    "encryption_key_arn",
    "parent_recovery_point_arn",
    "delete_after_event",
    "continuous",
    "dynamodb_advanced",
    "created_by",
    "status",
    "size_in_bytes",
    "recovery_point_arn",
}


def seed_recovery_point(
    vault_name: str, *, account: str | None = None, region: str = DEFAULT_REGION, **options: Any
) -> str:
    """Put a completed recovery point in a vault, without a backup job; return its ARN.

    Options: resource_type ("EBS"), resource_arn, creation_date, lifecycle, storage_class ("WARM"),
    encryption_key_arn ("vault" = the vault's key; None = unencrypted), parent_recovery_point_arn,
    delete_after_event, continuous, dynamodb_advanced, created_by, status, size_in_bytes,
    recovery_point_arn.
    """
    unknown = set(options) - _SEED_OPTIONS
    if unknown:
        raise TypeError(f"unknown seed options: {sorted(unknown)}")
    with STATE_LOCK:
        backend = backend_for(account or default_account(), region)
        backend.vault(vault_name)
        return seeding.seed_recovery_point(backend, vault_name, **options).arn


def register_resource(
    resource_arn: str,
    *,
    account: str | None = None,
    region: str = DEFAULT_REGION,
    resource_type: str | None = None,
    encryption_key_arn: str | None = None,
    tags: dict[str, str] | None = None,
    size_in_bytes: int = 10 * 2**30,
) -> ResourceInfo:
    """Make a resource known: backup jobs use its type and key, plan selections can pick it."""
    with STATE_LOCK:
        backend = backend_for(account or default_account(), region)
        return seeding.register_resource(
            backend,
            resource_arn,
            resource_type=resource_type,
            encryption_key_arn=encryption_key_arn,
            tags=tags,
            size_in_bytes=size_in_bytes,
        )


# ---- keys ---------------------------------------------------------------------------------------


def aws_managed_key_arn(
    alias: str = rules.BACKUP_MANAGED_KEY_ALIAS,
    *,
    account: str | None = None,
    region: str = DEFAULT_REGION,
) -> str:
    """The account's AWS-managed key (KMS DescribeKey says KeyManager AWS), made on first use."""
    with STATE_LOCK:
        return kms.aws_managed_key_arn(account or default_account(), region, alias)


def aws_owned_key_arn(region: str = DEFAULT_REGION) -> str:
    """The AWS-owned key LAG copies end under (it lives in an AWS service account)."""
    return kms.aws_owned_key_arn(region)


def state_summary() -> dict[str, Any]:
    """Clock, knobs and counts, for the control endpoint and for debugging."""
    backends = list(all_backends())
    return {
        "now": now().isoformat(),
        "config": config().as_dict(),
        "faults": current_faults().as_dict(),
        "held_events": len(control().held_events),
        "backup_jobs": sum(len(b.backup_jobs) for b in backends),
        "copy_jobs": sum(len(b.copy_jobs) for b in backends),
        "recovery_points": sum(len(list(b.all_recovery_points())) for b in backends),
    }
