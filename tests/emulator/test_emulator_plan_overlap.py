"""Rules of one plan whose time frames overlap: only the one with the longest retention runs.

"If you have a backup plan with multiple rules and the time frames of the two rules overlap, AWS
Backup optimizes the backup and takes a backup for the rule with the longer retention time. The
optimization takes into account the full start window, not just when the daily backup is taken."
https://docs.aws.amazon.com/aws-backup/latest/devguide/plan-options-and-configuration.html
The emulator's clock starts on 2026-03-01 00:00 UTC: the 1st of a month.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

import emulator
from emulator.cloudformation.provision import from_template
from tests.emulator.emulator_testkit import NO_RETRIES, ROLE_ARN, Vaults

PROJECT_TEMPLATE = Path(__file__).parents[2] / "template.yaml"
EFS = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"
AURORA = "arn:aws:rds:us-east-1:123456789012:cluster:orders"


def _rule(name: str, vault: str, schedule: str, days: int) -> dict[str, Any]:
    return {
        "RuleName": name,
        "TargetBackupVaultName": vault,
        "ScheduleExpression": schedule,
        "StartWindowMinutes": 60,
        "Lifecycle": {"DeleteAfterDays": days},
    }


def _vault(backup: Any, name: str) -> str:
    """A plain vault (created once per test), for the rules the standard set has no vault for."""
    if name not in {v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]}:
        backup.create_backup_vault(BackupVaultName=name)
    return name


def _plan(backup: Any, *rules: dict[str, Any]) -> str:
    name = "-".join(rule["RuleName"] for rule in rules)
    plan = backup.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": list(rules)})
    backup.create_backup_selection(
        BackupPlanId=plan["BackupPlanId"],
        BackupSelection={"SelectionName": "all", "IamRoleArn": ROLE_ARN, "Resources": ["*"]},
    )
    return str(plan["BackupPlanId"])


def _jobs_by_rule(backup: Any) -> list[tuple[str, str, int]]:
    jobs = backup.list_backup_jobs()["BackupJobs"]
    return sorted(
        (job["CreatedBy"]["BackupRuleName"], job["BackupVaultName"], job["CreationDate"].day)
        for job in jobs
    )


def test_given_daily_and_monthly_at_the_same_time_on_the_1st_then_only_monthly_runs(
    backup: Any, vaults: Vaults
) -> None:
    # Given one plan whose daily (30 days) and monthly (365 days) rules start at 07:20
    _plan(
        backup,
        _rule("daily", vaults.daily, "cron(20 7 * * ? *)", 30),
        _rule("monthly", _vault(backup, "monthly"), "cron(20 7 1 * ? *)", 365),
    )
    emulator.register_resource(EFS)
    # When the 1st and the 2nd of the month pass
    emulator.advance_clock(days=2)
    # Then the 1st has the monthly backup only, the 2nd the daily one
    monthly = _vault(backup, "monthly")
    assert _jobs_by_rule(backup) == [("daily", vaults.daily, 2), ("monthly", monthly, 1)]


def test_given_an_hourly_rule_then_the_daily_rule_takes_the_hour_they_share(
    backup: Any, vaults: Vaults
) -> None:
    # Given hourly (3 days) and daily (30 days) rules of one plan, both at minute 20
    _plan(
        backup,
        _rule("hourly", _vault(backup, "hourly"), "cron(20 * * * ? *)", 3),
        _rule("daily", vaults.daily, "cron(20 7 * * ? *)", 30),
    )
    emulator.register_resource(EFS)
    # When the morning passes
    emulator.advance_clock(hours=9)
    # Then 07:20 is the daily rule's; the hourly rule runs every other hour (60-minute windows
    # that only touch do not overlap)
    hours = sorted(
        (job["CreatedBy"]["BackupRuleName"], job["CreationDate"].hour)
        for job in backup.list_backup_jobs()["BackupJobs"]
    )
    assert ("daily", 7) in hours
    assert ("hourly", 7) not in hours
    assert [hour for rule, hour in hours if rule == "hourly"] == [0, 1, 2, 3, 4, 5, 6, 8]


def test_given_rules_of_two_plans_at_the_same_time_then_both_run(
    backup: Any, vaults: Vaults
) -> None:
    # Given the same two schedules in two plans / Then nothing is optimized away: the
    # documented rule is about the rules of one plan
    _plan(backup, _rule("daily", vaults.daily, "cron(20 7 * * ? *)", 30))
    _plan(backup, _rule("monthly", _vault(backup, "monthly"), "cron(20 7 1 * ? *)", 365))
    emulator.register_resource(EFS)
    emulator.advance_clock(hours=9)
    assert [rule for rule, _, _ in _jobs_by_rule(backup)] == ["daily", "monthly"]


def test_given_the_template_estate_on_the_1st_then_monthly_points_and_dr_copies_exist(
    mocked: None, backup: Any
) -> None:
    # Given the dr stack in us-west-2 and the primary stack copying into its DR vault, as
    # deployed from template.yaml, and an EFS file system and an Aurora cluster to back up
    dr = from_template(
        PROJECT_TEMPLATE, {"StackRole": "dr", "NamePrefix": "bco"}, region="us-west-2"
    )
    primary = from_template(
        PROJECT_TEMPLATE, {"NamePrefix": "bco", "DrRegion": "us-west-2"}, stack_name="primary"
    )
    emulator.register_resource(EFS)
    emulator.register_resource(AURORA)
    # When the morning of the 1st passes (the daily and monthly rules start at 07:20)
    emulator.advance_clock(hours=9)
    emulator.settle()
    # Then each resource has a monthly recovery point and none in the daily vault that day
    monthly = backup.list_recovery_points_by_backup_vault(
        BackupVaultName=primary.ref("MonthlyVault")
    )["RecoveryPoints"]
    daily = backup.list_recovery_points_by_backup_vault(BackupVaultName=primary.ref("DailyVault"))
    assert sorted(point["ResourceArn"] for point in monthly) == [EFS, AURORA]
    assert daily["RecoveryPoints"] == []
    # And the DR vault received a copy of each, kept as long as the monthly point
    dr_backup = boto3.client("backup", region_name="us-west-2", config=NO_RETRIES)
    copies = dr_backup.list_recovery_points_by_backup_vault(BackupVaultName=dr.ref("DrVault"))
    in_dr = copies["RecoveryPoints"]
    assert sorted(point["ResourceArn"] for point in in_dr) == [EFS, AURORA]
    assert {point["Lifecycle"]["DeleteAfterDays"] for point in in_dr} == {365}
