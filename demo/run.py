"""One demo run: the emulator started, the estate registered, the day run, the report built.

``run_demo`` works in the current moto mock (``demo_session`` makes one), so tests can look at
AWS and the ledger afterwards, tamper, and check the promises again (``check_again``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import boto3
from moto import mock_aws

import emulator
from core.kernel.config import Settings, load_settings
from demo.day import DayRun, run_day
from demo.defaults import (
    DEFAULT_RESOURCES,
    DEFAULT_SEED,
    DEFAULT_START,
    DEMO_DR_REGION,
    FAULT_PROFILES,
    ROOT,
)
from demo.estate import EstateResource, estate_keys, plan_estate, register_estate
from demo.report import (
    Observed,
    PromiseCheck,
    Report,
    build_report,
    check_promises,
    observe,
)
from demo.stack import DemoStack, provision_stack
from emulator import plans
from emulator.backend import backend_for
from localrun.runtime import LambdaRuntime

__all__ = [
    "DEFAULT_RESOURCES",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "FAULT_PROFILES",
    "ROOT",
    "DemoOptions",
    "DemoResult",
    "check_again",
    "copy_settings",
    "demo_session",
    "run_demo",
    "selected_by",
]

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
}


@dataclass(frozen=True, slots=True)
class DemoOptions:
    template: Path = ROOT / "template.yaml"
    parameters: dict[str, str] = field(default_factory=dict)
    stack_name: str = "backup-copy-demo"
    region: str = emulator.DEFAULT_REGION
    seed: int = DEFAULT_SEED
    resources: int = DEFAULT_RESOURCES
    faults: str = "none"
    start: datetime = DEFAULT_START
    hours: float = 24
    step_minutes: float = 60
    run_scheduled: bool = False
    managed_vault_policy: str = "fail"
    # Whether a same-Region copy into a service-key vault is re-encrypted (AWS: open).
    # keep-source-key: the copies fall back to the DR Region, so the dr stack is provisioned there.
    service_key_vault_policy: str = "reencrypt"
    dr_region: str = DEMO_DR_REGION
    dynamodb_advanced: bool = False
    json_path: Path | None = None
    html_path: Path | None = None
    log_path: Path | None = None


@dataclass(slots=True)
class DemoResult:
    """What a run leaves behind, for the report and for tests that look further."""

    stack: DemoStack
    settings: Settings
    estate: list[EstateResource]
    day: DayRun
    report: Report


def run_demo(options: DemoOptions, *, log: TextIO | None = None) -> DemoResult:
    """Run the demo in the current moto mock (see ``demo_session``)."""
    began = time.perf_counter()
    stack = _start(options)
    settings = copy_settings(stack)  # a template the handlers cannot run with fails here, at once
    estate = _register_estate(options, stack.account)
    emulator.set_faults(**FAULT_PROFILES[options.faults])
    with LambdaRuntime(stack, log=log) as runtime:
        day = run_day(
            runtime,
            hours=options.hours,
            step_minutes=options.step_minutes,
            run_scheduled=options.run_scheduled,
        )
    emulator.reset_faults()  # the report observes; it is not under test
    observed = _observe(stack, settings, estate)
    report = build_report(observed, settings)
    report.run = _run_summary(
        options,
        stack,
        estate=estate,
        day=day,
        runtime=runtime,
        seconds=time.perf_counter() - began,
    )
    return DemoResult(stack, settings, estate, day, report)


def _start(options: DemoOptions) -> DemoStack:
    """The emulator at the start of the day, seeded, with the template provisioned (and, when the
    same-Region service-key copies keep their key, the dr stack the fallback copies into)."""
    emulator.install()
    emulator.set_time(options.start)
    emulator.configure(
        seed=options.seed,
        managed_vault_policy=options.managed_vault_policy,
        service_key_vault_policy=options.service_key_vault_policy,
        dynamodb_advanced_features=options.dynamodb_advanced,
    )
    parameters = {"StackRole": "primary", **options.parameters}
    if needs_dr_stack(options):
        # One Name for both stacks: the primary derives the dr stack's vaults from it.
        parameters |= {"NamePrefix": options.stack_name, "DrRegion": options.dr_region}
        provision_stack(
            options.template,
            {**options.parameters, "StackRole": "dr", "NamePrefix": options.stack_name},
            stack_name=f"{options.stack_name}-dr",
            region=options.dr_region,
            account=emulator.api.default_account(),
        )
    return provision_stack(
        options.template,
        parameters,
        stack_name=options.stack_name,
        region=options.region,
        account=emulator.api.default_account(),
    )


def needs_dr_stack(options: DemoOptions) -> bool:
    """The fallback after a key-dependent same-Region copy, and dr-region placement, copy into
    the dr stack's service-key vaults."""
    placement = options.parameters.get("ServiceKeyPlacement", "same-region")
    return options.service_key_vault_policy == "keep-source-key" or placement == "dr-region"


def check_again(result: DemoResult) -> list[PromiseCheck]:
    """Observe AWS and the ledger afresh and check the promises (after a test tampered)."""
    return check_promises(_observe(result.stack, result.settings, result.estate))


def _observe(stack: DemoStack, settings: Settings, estate: list[EstateResource]) -> Observed:
    resources = {resource.arn: resource.resource_type for resource in estate}
    selections = selected_by(stack.account, stack.region)
    return observe(settings, settings.ledger_table_name, resources, selections)


def copy_settings(stack: DemoStack) -> Settings:
    """The settings of the function that protects the source vaults (the copy function)."""
    for spec in stack.queue_functions:
        if spec.environment.get("SOURCE_VAULT_NAMES"):
            return load_settings(spec.environment)
    raise ValueError("no function of the template has SOURCE_VAULT_NAMES in its environment")


def selected_by(account: str, region: str) -> dict[str, list[str]]:
    """For each registered resource, the plans whose selections pick it (the emulator's rule)."""
    backend = backend_for(account, region)
    found: dict[str, list[str]] = {}
    for plan_id, plan in backend.moto.plans.items():
        name = plan.backup_plan["BackupPlanName"]
        for selection in backend.plan_selections(plan_id):
            for resource in backend.resources.values():
                if plans.selects(selection, resource) and name not in found.get(resource.arn, []):
                    found.setdefault(resource.arn, []).append(name)
    return found


def _register_estate(options: DemoOptions, account: str) -> list[EstateResource]:
    kms = boto3.client("kms", region_name=options.region)
    workload_key = kms.create_key(Description="workload data key of the demo estate")
    keys = estate_keys(workload_key["KeyMetadata"]["Arn"], region=options.region, account=account)
    estate = plan_estate(
        options.resources, seed=options.seed, region=options.region, account=account, keys=keys
    )
    register_estate(estate, region=options.region, account=account)
    return estate


def _run_summary(
    options: DemoOptions,
    stack: DemoStack,
    *,
    estate: list[EstateResource],
    day: DayRun,
    runtime: LambdaRuntime[DemoStack],
    seconds: float,
) -> dict[str, Any]:
    notes = list(stack.notes)
    if not day.quiescent:
        notes.append("the run stopped before the emulator was quiescent: some work is unfinished")
    not_run = [spec.logical_id for spec in stack.scheduled_functions]
    if not_run and not options.run_scheduled:
        notes.append(f"scheduled functions not run: {', '.join(not_run)} (--no-run-scheduled)")
    return {
        **day.as_dict(),
        "seed": options.seed,
        "faults": options.faults,
        "fault_knobs": FAULT_PROFILES[options.faults],
        "resources": len(estate),
        "resource_types": len({resource.resource_type for resource in estate}),
        "functions": sorted(stack.functions),
        "invocations": runtime.stats.as_dict(),
        "managed_vault_policy": options.managed_vault_policy,
        "service_key_vault_policy": options.service_key_vault_policy,
        "dr_region": options.dr_region if needs_dr_stack(options) else None,
        "dynamodb_advanced_features": options.dynamodb_advanced,
        "wall_seconds": round(seconds, 1),
        "notes": notes,
    }


@contextmanager
def demo_session(region: str = emulator.DEFAULT_REGION) -> Iterator[None]:
    """Fake credentials and moto in-process: nothing can reach a real AWS account."""
    saved = dict(os.environ)
    os.environ.update(_FAKE_CREDENTIALS)
    os.environ.update({"AWS_DEFAULT_REGION": region, "AWS_REGION": region})
    os.environ.pop("AWS_PROFILE", None)
    try:
        emulator.install()
        with mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
