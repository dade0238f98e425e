"""Local AWS Backup emulator on top of moto (not deployed): see emulator/README.md."""

from emulator.api import (
    DEFAULT_REGION,
    advance_clock,
    advance_jobs,
    aws_managed_key_arn,
    aws_owned_key_arn,
    config,
    configure,
    current_faults,
    emitted_events,
    flush_events,
    now,
    register_resource,
    reset_faults,
    seed_recovery_point,
    set_faults,
    set_time,
    settle,
    state_summary,
)
from emulator.cloudformation.provision import Provisioned, from_template
from emulator.control import EmulatorConfig
from emulator.faults import Faults
from emulator.remote import EmulatorClient
from emulator.routing import install

__all__ = [
    "DEFAULT_REGION",
    "EmulatorClient",
    "EmulatorConfig",
    "Faults",
    "Provisioned",
    "advance_clock",
    "advance_jobs",
    "aws_managed_key_arn",
    "aws_owned_key_arn",
    "config",
    "configure",
    "current_faults",
    "emitted_events",
    "flush_events",
    "from_template",
    "install",
    "now",
    "register_resource",
    "reset_faults",
    "seed_recovery_point",
    "set_faults",
    "set_time",
    "settle",
    "state_summary",
]
