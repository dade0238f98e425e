"""``python -m demo --org ACCOUNTS:REGIONS``: the simulated day across an organization.

1. ``demo.org_deploy``: Organizations (the management account and ACCOUNTS member accounts in an
   OU), the packaged member template published per Region, the DR stack set (one DR Region) and
   the primary stack set (REGIONS primary Regions) of org/template.yaml deployed to the OU;
2. a small estate registered in every primary instance (its own account and Region);
3. one simulated day of every instance's plans, every event delivered to the real handlers of
   the instance whose account and Region received it (``demo.day.run_day`` over all of them);
4. per instance, the copy-status report and the promises of ``demo.report`` (observed in that
   account and Region), plus one the organization adds: every copy job stays in its account;
5. the organization view (``demo.org_view``): ``copyctl status --org`` from the management
   account, which must add up to the instances' reports (promise ``org-view-adds-up``).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, cast

import boto3
from botocore.config import Config

import emulator
from core.kernel.arns import parse_arn
from demo.day import DayRun, run_day
from demo.defaults import DEFAULT_SEED, DEFAULT_START, FAULT_PROFILES
from demo.estate import EstateResource, estate_keys, plan_estate, register_estate
from demo.org_deploy import Instance, Organization, deploy_organization, primary_regions
from demo.org_stack import in_account
from demo.org_view import OrgView, organization_view
from demo.report import PromiseCheck, Report, build_report, observe
from demo.run import copy_settings, selected_by
from demo.stack import DemoStack
from localrun.runtime import FunctionSpec, LambdaRuntime

DEFAULT_RESOURCES_PER_INSTANCE = 3
_NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass(frozen=True, slots=True)
class OrgOptions:
    accounts: int
    regions: int
    seed: int = DEFAULT_SEED
    resources: int = DEFAULT_RESOURCES_PER_INSTANCE  # per primary instance
    faults: str = "none"
    start: datetime = DEFAULT_START
    hours: float = 24
    step_minutes: float = 60
    run_scheduled: bool = True
    managed_vault_policy: str = "fail"
    build_dir: Path | None = None  # where the member template is packaged (a temporary dir)
    org_view: bool = True  # after the day, copyctl status --org from the management account


@dataclass(slots=True)
class InstanceResult:
    instance: Instance
    estate: list[EstateResource]
    report: Report
    promises: list[PromiseCheck]

    @property
    def promises_kept(self) -> bool:
        return all(check.kept for check in self.promises)


@dataclass(slots=True)
class OrgResult:
    organization: Organization
    day: DayRun
    instances: list[InstanceResult]
    run: dict[str, Any] = field(default_factory=dict)
    view: OrgView | None = None

    @property
    def promises_kept(self) -> bool:
        view_kept = self.view is None or self.view.check.kept
        return view_kept and all(result.promises_kept for result in self.instances)


def parse_org(text: str) -> tuple[int, int]:
    """``ACCOUNTS:REGIONS`` -> (member accounts, primary Regions)."""
    accounts, separator, regions = text.partition(":")
    if not separator or not accounts.isdigit() or not regions.isdigit() or int(accounts) < 1:
        raise ValueError(f"--org needs ACCOUNTS:REGIONS such as 6:2, got {text!r}")
    primary_regions(int(regions))  # checks the range
    return int(accounts), int(regions)


def run_org(options: OrgOptions, *, log: TextIO | None = None) -> OrgResult:
    """Run the organization's day in the current moto mock (``demo.run.demo_session``)."""
    began = time.perf_counter()
    emulator.install()
    emulator.set_time(options.start)
    emulator.configure(seed=options.seed, managed_vault_policy=options.managed_vault_policy)
    with ExitStack() as cleanup:
        build_dir = options.build_dir or Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(prefix="demo-org-"))
        )
        organization = deploy_organization(
            options.accounts, primary_regions(options.regions), build_dir=build_dir, log=log
        )
    deployed = time.perf_counter()
    estates = {
        instance.key: _register_estate(instance, options)
        for instance in organization.instances
        if instance.role == "primary"
    }
    emulator.set_faults(**FAULT_PROFILES[options.faults])
    with OrgRuntime(organization.instances, log=log) as runtime:
        # run_day drives anything with release_failed, pump_all, stack.scheduled_functions
        # and invoke_scheduled: here, every instance's runtime in its own account and Region.
        day = run_day(
            cast("LambdaRuntime[DemoStack]", runtime),
            hours=options.hours,
            step_minutes=options.step_minutes,
            run_scheduled=options.run_scheduled,
        )
    emulator.reset_faults()
    results = [
        _check_instance(instance, estates.get(instance.key, []))
        for instance in organization.instances
    ]
    view = organization_view(organization.management_account, results) if options.org_view else None
    result = OrgResult(organization, day, results, view=view)
    result.run = {
        **day.as_dict(),
        "seed": options.seed,
        "faults": options.faults,
        "accounts": len(organization.accounts),
        "management_account": organization.management_account,
        "regions": {request.name: request.regions for request in organization.stack_sets},
        "stack_set_parameters": {
            request.name: request.parameters for request in organization.stack_sets
        },
        "instances": len(organization.instances),
        "resources_per_primary_instance": options.resources,
        "package_seconds": round(organization.package_seconds, 1),
        "deploy_seconds": round(deployed - began, 1),
        "org_view_seconds": round(view.seconds, 1) if view else None,
        "wall_seconds": round(time.perf_counter() - began, 1),
    }
    return result


def _register_estate(instance: Instance, options: OrgOptions) -> list[EstateResource]:
    with in_account(instance.account, instance.region):
        kms = boto3.client("kms", region_name=instance.region, config=_NO_RETRIES)
        key = kms.create_key(Description="workload data key of the demo estate")
    keys = estate_keys(key["KeyMetadata"]["Arn"], region=instance.region, account=instance.account)
    estate = plan_estate(
        options.resources,
        seed=options.seed + int(instance.account) % 1000,
        region=instance.region,
        account=instance.account,
        keys=keys,
    )
    register_estate(estate, region=instance.region, account=instance.account)
    return estate


def _check_instance(instance: Instance, estate: list[EstateResource]) -> InstanceResult:
    stack = instance.stack
    settings = copy_settings(stack)
    with in_account(instance.account, instance.region):
        observed = observe(
            settings,
            settings.ledger_table_name,
            {resource.arn: resource.resource_type for resource in estate},
            selected_by(instance.account, instance.region),
        )
    report = build_report(observed, settings)
    report.run = {"account": instance.account, "region": instance.region, "role": instance.role}
    own = PromiseCheck(
        "copies-stay-in-account",
        "every copy job of the instance copies its own account's recovery point into its own "
        "account's vault",
        foreign_copies(observed.copy_jobs, instance.account),
    )
    return InstanceResult(instance, estate, report, [*report.promises, own])


def foreign_copies(copy_jobs: list[dict[str, Any]], account: str) -> list[str]:
    """Copy jobs of another account, or from or into another account's vault (recovery point
    ARNs of EBS or EC2 carry no account: the source vault's ARN says whose point it is)."""
    return [
        f"{job['CopyJobId']}: {job['SourceBackupVaultArn']} -> {job['DestinationBackupVaultArn']}"
        for job in copy_jobs
        if {
            job.get("AccountId", account),
            _account(job["SourceBackupVaultArn"]),
            _account(job["DestinationBackupVaultArn"]),
        }
        != {account}
    ]


def _account(arn: str) -> str:
    return parse_arn(arn, field="vault ARN").account


class _Functions:
    """What ``run_day`` reads of ``runtime.stack``: the scheduled functions of every instance."""

    def __init__(self, instances: list[Instance]) -> None:
        self._instances = instances

    @property
    def scheduled_functions(self) -> list[FunctionSpec]:
        return [spec for instance in self._instances for spec in instance.stack.scheduled_functions]


class OrgRuntime:
    """One local Lambda runtime per instance, each driven in its own account and Region."""

    def __init__(self, instances: list[Instance], *, log: TextIO | None = None) -> None:
        self._instances = instances
        self._log = log
        self._exit = ExitStack()
        self._by_function: dict[str, tuple[Instance, LambdaRuntime[DemoStack]]] = {}
        self.stack = _Functions(instances)
        self._environment: dict[str, str] = {}

    def __enter__(self) -> OrgRuntime:
        # Each runtime restores the environment it found; the first found another account's.
        self._environment = dict(os.environ)
        for instance in self._instances:
            with in_account(instance.account, instance.region):
                runtime = self._exit.enter_context(LambdaRuntime(instance.stack, log=self._log))
            for spec in instance.stack.functions.values():
                self._by_function[spec.arn] = (instance, runtime)
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()
        os.environ.clear()
        os.environ.update(self._environment)

    def _each(self) -> Iterator[tuple[Instance, LambdaRuntime[DemoStack]]]:
        seen: set[int] = set()
        for instance, runtime in self._by_function.values():
            if id(runtime) not in seen:
                seen.add(id(runtime))
                runtime.forget_active_function()
                with in_account(instance.account, instance.region):
                    yield instance, runtime

    def release_failed(self) -> int:
        return sum(runtime.release_failed() for _, runtime in self._each())

    def pump_all(self) -> int:
        return sum(runtime.pump_all() for _, runtime in self._each())

    def invoke_scheduled(self, spec: FunctionSpec, now: datetime) -> None:
        instance, runtime = self._by_function[spec.arn]
        runtime.forget_active_function()
        with in_account(instance.account, instance.region):
            runtime.invoke_scheduled(spec, now)

    @property
    def invocations(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for _, runtime in {id(r): (i, r) for i, r in self._by_function.values()}.values():
            for name, count in runtime.stats.invocations.items():
                totals[name] = totals.get(name, 0) + count
        return totals
