"""Issue 3 check: no deploy can create rules whose jobs AWS Backup would fail on retention.

A backup or copy whose retention lies outside its target vault's lock range fails ("The retention
specified in the job is not within the range specified for the target Backup Vault").
https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.infrastructure.expectations import ACCOUNT, DR_REGION
from tests.infrastructure.sam_environments import load_sam_environments
from tests.template_loader import RenderedStack, render

LAG_MINIMUM_DAYS = 7  # AWS: a logically air-gapped vault keeps recovery points at least 7 days


def _primary_stacks() -> Iterator[tuple[str, RenderedStack]]:
    yield "template defaults", render(parameters={"DrRegion": DR_REGION}, account=ACCOUNT)
    for environment in load_sam_environments().values():
        if environment.parameters.get("StackRole", "primary") == "primary":
            yield f"samconfig {environment.name}", environment.render(DrRegion=DR_REGION)


def _all_stacks() -> Iterator[tuple[str, RenderedStack]]:
    yield from _primary_stacks()
    for environment in load_sam_environments().values():
        if environment.parameters.get("StackRole") == "dr":
            yield f"samconfig {environment.name}", environment.render()


PRIMARY = dict(_primary_stacks())
EVERY = dict(_all_stacks())


def _vault_limits(stack: RenderedStack) -> dict[str, tuple[int, int | None]]:
    """Vault name -> (min, max) retention days the vault accepts."""
    limits: dict[str, tuple[int, int | None]] = {}
    for properties in (r.get("Properties", {}) for r in stack.resources.values()):
        if "LockConfiguration" in properties:
            lock = properties["LockConfiguration"]
            limits[properties["BackupVaultName"]] = (
                lock["MinRetentionDays"],
                lock.get("MaxRetentionDays"),
            )
        elif "MinRetentionDays" in properties:  # a logically air-gapped vault
            limits[properties["BackupVaultName"]] = (
                properties["MinRetentionDays"],
                properties["MaxRetentionDays"],
            )
    return limits


def _plan_rules(stack: RenderedStack) -> Iterator[dict[str, Any]]:
    for plan in stack.of_type("AWS::Backup::BackupPlan").values():
        yield from plan["Properties"]["BackupPlan"]["BackupPlanRule"]


def _fits(days: int, limits: tuple[int, int | None]) -> bool:
    low, high = limits
    return low <= days and (high is None or days <= high)


@pytest.mark.parametrize("label", list(PRIMARY))
def test_every_backup_rule_retention_fits_its_vault_lock(label: str) -> None:
    # Given a primary stack as deployed / When each rule writes into its target vault
    stack = PRIMARY[label]
    limits = _vault_limits(stack)
    rules = list(_plan_rules(stack))
    assert rules
    for rule in rules:
        # Then the vault accepts the rule's retention
        vault = rule["TargetBackupVault"]
        days = rule["Lifecycle"]["DeleteAfterDays"]
        assert _fits(days, limits[vault]), f"{label}: {rule['RuleName']} {days}d vs {vault}"


@pytest.mark.parametrize("environment", ["default", "prod"])
def test_dr_copy_retention_fits_the_dr_vault_lock(environment: str) -> None:
    # Given the dr stack of samconfig and a primary environment copying into it
    environments = load_sam_environments()
    dr_stack = environments["dr"].render()
    dr_limits = _vault_limits(dr_stack)
    primary = environments[environment].render(
        DrRegion=dr_stack.region, NamePrefix=dr_stack.parameters["NamePrefix"]
    )
    copies = [a for rule in _plan_rules(primary) for a in rule.get("CopyActions", [])]
    assert copies
    for action in copies:
        # Then every copy lands in the DR vault with a retention its lock accepts
        vault_name = action["DestinationBackupVaultArn"].rsplit(":", 1)[1]
        days = action["Lifecycle"]["DeleteAfterDays"]
        assert _fits(days, dr_limits[vault_name]), f"{environment}: {days}d vs {vault_name}"


@pytest.mark.parametrize("label", list(EVERY))
def test_lag_vault_range_is_valid(label: str) -> None:
    lag = EVERY[label].properties("LagVault")
    assert lag["MinRetentionDays"] >= LAG_MINIMUM_DAYS
    assert lag["MinRetentionDays"] <= lag["MaxRetentionDays"]


@pytest.mark.parametrize("label", list(PRIMARY))
def test_lag_copies_never_need_shortening(label: str) -> None:
    # Given the orchestrator clamps a copy's retention into [LAG min, LAG max]
    # (hourly: 3 days -> 7) / Then no rule keeps its backups longer than the LAG vault allows,
    # so the clamp only ever lengthens a copy.
    stack = PRIMARY[label]
    low, high = _vault_limits(stack)[stack.properties("LagVault")["BackupVaultName"]]
    for rule in _plan_rules(stack):
        days = rule["Lifecycle"]["DeleteAfterDays"]
        clamped = min(max(days, low), high)
        assert clamped >= days, f"{label}: {rule['RuleName']} {days}d would be cut to {high}d"


@pytest.mark.parametrize("label", list(EVERY))
def test_managed_vault_range_is_valid(label: str) -> None:
    low, high = _vault_limits(EVERY[label])[
        EVERY[label].properties("ManagedKeyVault")["BackupVaultName"]
    ]
    assert low >= 1
    assert high is None or low <= high


def test_a_retention_outside_the_lag_range_is_caught() -> None:
    # Given a monthly retention beyond the LAG maximum / Then the check above would flag it.
    stack = render(parameters={"MonthlyRetentionDays": 500}, account=ACCOUNT)
    low, high = _vault_limits(stack)[stack.properties("LagVault")["BackupVaultName"]]
    monthly = next(r for r in _plan_rules(stack) if r["RuleName"] == "monthly")
    assert min(max(monthly["Lifecycle"]["DeleteAfterDays"], low), high) < 500
