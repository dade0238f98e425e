"""samconfig.toml: a dev default, prod, and a DR stack in another Region - governance first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.expectations import DR_REGION, DR_VAULT_ARN
from tests.infrastructure.sam_environments import SamEnvironment

COMPLIANCE_CONFIRMATION = "compliance-lock-is-permanent"
README = Path(__file__).resolve().parents[2] / "README.md"


def test_there_are_dev_prod_and_dr_environments(
    sam_environments: dict[str, SamEnvironment],
) -> None:
    assert set(sam_environments) == {"default", "prod", "dr"}
    assert sam_environments["default"].stack_name == "backup-copy-orchestrator-dev"
    assert len({e.stack_name for e in sam_environments.values()}) == 3


@pytest.mark.parametrize("name", ["default", "prod", "dr"])
def test_every_environment_deploys_the_same_way(
    sam_environments: dict[str, SamEnvironment], name: str
) -> None:
    deploy = sam_environments[name].deploy
    assert deploy["capabilities"] == "CAPABILITY_IAM CAPABILITY_NAMED_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True


@pytest.mark.parametrize(
    ("name", "role"), [("default", "primary"), ("prod", "primary"), ("dr", "dr")]
)
def test_every_environment_starts_in_governance_mode(
    sam_environments: dict[str, SamEnvironment], name: str, role: str
) -> None:
    # Issue 12, item 7: the README says "deploy governance first"; samconfig does so everywhere,
    # and the irreversible switch is an explicit, confirmed parameter change.
    parameters = sam_environments[name].parameters
    assert (parameters["StackRole"], parameters["VaultLockMode"]) == (role, "governance")
    assert "ConfirmComplianceLock" not in parameters


@pytest.mark.parametrize("name", ["default", "prod", "dr"])
def test_compliance_mode_needs_the_confirmation_phrase(
    sam_environments: dict[str, SamEnvironment], name: str
) -> None:
    # Given an environment switched to compliance mode (a primary one with its DR vault)
    environment = sam_environments[name]
    extra = {"DrRegion": DR_REGION} if name != "dr" else {}
    # When the confirmation is missing or wrong / Then CloudFormation's rule refuses the deploy
    for confirmation in ("", "yes", "Compliance-Lock-Is-Permanent"):
        stack = environment.render(
            VaultLockMode="compliance", ConfirmComplianceLock=confirmation, **extra
        )
        (violation,) = stack.rule_violations
        assert "ConfirmComplianceLock=compliance-lock-is-permanent" in violation
    # When it is the exact phrase / Then it deploys with the cooling-off period as a parameter
    confirmed = environment.render(
        VaultLockMode="compliance",
        ConfirmComplianceLock=COMPLIANCE_CONFIRMATION,
        VaultLockChangeableForDays="7",
        **extra,
    )
    assert confirmed.rule_violations == []
    locks = [
        resource["Properties"]["LockConfiguration"]
        for resource in confirmed.of_type("AWS::Backup::BackupVault").values()
    ]
    assert locks
    assert {lock["ChangeableForDays"] for lock in locks} == {7}


def test_cooling_off_period_is_bounded_as_aws_bounds_it(template: dict[str, Any]) -> None:
    # vault-lock.html: ChangeableForDays is at least 3 (72-hour cooling-off) and at most 36500.
    spec = template["Parameters"]["VaultLockChangeableForDays"]
    assert (spec["Default"], spec["MinValue"], spec["MaxValue"]) == (3, 3, 36500)


def test_dr_stack_lives_in_another_region(sam_environments: dict[str, SamEnvironment]) -> None:
    # Issue 12, item 6: a cross-stack pair no template rule can see.
    assert sam_environments["dr"].region != sam_environments["prod"].region
    dr_output = sam_environments["dr"].render().outputs["DrBackupVaultArn"]
    assert dr_output.split(":")[3] == sam_environments["dr"].region


def _effective(environment: SamEnvironment, template: dict[str, Any]) -> dict[str, int]:
    """The Number parameters an environment deploys with: its overrides over the defaults."""
    return {
        name: int(environment.parameters.get(name, spec.get("Default", 0)))
        for name, spec in template["Parameters"].items()
        if spec["Type"] == "Number"
    }


def test_prod_keeps_its_dr_copies_at_least_as_long_as_the_dr_vault_lock_demands(
    sam_environments: dict[str, SamEnvironment], template: dict[str, Any]
) -> None:
    # Issue 12, item 6: the DR vault's lock minimum (dr stack) and the copy retentions that
    # write into it (prod stack) are parameters of two stacks; a copy below the minimum fails.
    # https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    prod = _effective(sam_environments["prod"], template)
    dr = _effective(sam_environments["dr"], template)
    assert prod["DrCopyRetentionDays"] >= dr["DrVaultLockMinDays"]
    assert prod["MonthlyRetentionDays"] >= dr["DrVaultLockMinDays"]


@pytest.mark.parametrize("name", ["default", "prod", "dr"])
def test_every_lock_range_is_ordered_and_below_what_the_rules_keep(
    sam_environments: dict[str, SamEnvironment], template: dict[str, Any], name: str
) -> None:
    # CloudFormation rules cannot compare numbers, so the ordering is checked here.
    values = _effective(sam_environments[name], template)
    assert values["LagVaultMinRetentionDays"] <= values["LagVaultMaxRetentionDays"]
    managed_max = values["ManagedVaultMaxRetentionDays"]
    assert managed_max == 0 or values["ManagedVaultMinRetentionDays"] <= managed_max
    for retention, lock in [
        ("HourlyRetentionDays", "HourlyVaultLockMinDays"),
        ("DailyRetentionDays", "DailyVaultLockMinDays"),
        ("MonthlyRetentionDays", "MonthlyVaultLockMinDays"),
    ]:
        assert values[retention] >= values[lock], (retention, lock)


def test_dev_deploys_as_configured(sam_environments: dict[str, SamEnvironment]) -> None:
    # Given the default environment / When CloudFormation evaluates the template's rules
    stack = sam_environments["default"].render()
    # Then nothing blocks the deploy, and dev has no DR copies until a DrRegion is given
    assert stack.rule_violations == []
    assert stack.conditions["CopiesToDr"] is False


def test_prod_refuses_compliance_mode_without_the_dr_vault(
    sam_environments: dict[str, SamEnvironment],
) -> None:
    # Given prod switched to compliance mode without its DR Region
    prod = sam_environments["prod"]
    switched = {"VaultLockMode": "compliance", "ConfirmComplianceLock": COMPLIANCE_CONFIRMATION}
    # Then CloudFormation's rule rejects it with the deploy order in the message
    (violation,) = prod.render(DrRegion="", **switched).rule_violations
    assert "deploy the dr stack" in violation
    # And with samconfig's DrRegion it deploys and copies to DR
    ready = prod.render(**switched)
    assert ready.rule_violations == []
    assert ready.conditions["CopiesToDr"] is True


def test_prod_computes_the_arn_of_the_dr_stack_s_vault(
    sam_environments: dict[str, SamEnvironment],
) -> None:
    # Given samconfig's dr and prod environments (one NamePrefix, prod's DrRegion = dr's Region)
    dr = sam_environments["dr"].render()
    prod = sam_environments["prod"].render()
    # Then the naming rule gives prod the vault the dr stack creates, in every copy action
    assert dr.outputs["DrBackupVaultArn"] == DR_VAULT_ARN
    destinations = {
        action["DestinationBackupVaultArn"]
        for plan in prod.resources.values()
        if plan["Type"] == "AWS::Backup::BackupPlan"
        for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]
        for action in rule.get("CopyActions", [])
    }
    assert destinations == {DR_VAULT_ARN}


def test_dr_environment_deploys_as_configured(sam_environments: dict[str, SamEnvironment]) -> None:
    assert sam_environments["dr"].render().rule_violations == []


def test_the_readme_names_every_parameter_a_compliance_lock_freezes(
    template: dict[str, Any],
) -> None:
    # Issue 12, item 6: a user must know what cannot change once a compliance lock cooled off.
    # Given every parameter that feeds a vault lock or the LAG vault's create-only properties
    fed = set()
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Backup::BackupVault":
            fed |= set(re.findall(r"'Ref': '([A-Za-z]+)'", str(properties["LockConfiguration"])))
        if resource["Type"] == "AWS::Backup::LogicallyAirGappedBackupVault":
            fed |= {properties["MinRetentionDays"]["Ref"], properties["MaxRetentionDays"]["Ref"]}
    fed &= set(template["Parameters"])
    assert "HourlyVaultLockMinDays" in fed
    # Then the README's Deploy section names each of them
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("**Parameters frozen once a compliance lock") :]
    section = section[: section.index("\n\n")]
    for name in fed:
        assert f"`{name}`" in section, name
