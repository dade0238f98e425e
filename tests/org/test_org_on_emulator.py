"""The packaged member template deployed by org/template.yaml's two stack sets on the emulator,
into two member accounts x two primary Regions (and the DR Region), then a few hours of backups
and copies in every instance (the daily rule with its DR copy, and the EC2 rule, fire)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config

from demo.cli import main as demo_main
from demo.org import OrgOptions, OrgResult, foreign_copies, run_org
from demo.org_deploy import DR_REGION, NAME_PREFIX
from demo.org_render import org_report_dict, render_org_text
from demo.org_stack import in_account
from demo.run import demo_session
from org.stack_sets import stack_set_requests

NO_RETRIES = Config(retries={"total_max_attempts": 1})
# Backup vault names: "2 to 50 alphanumeric, hyphen or underscore characters"
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html).
VAULT_NAME = re.compile(r"^[a-zA-Z0-9\-_]{2,50}$")
LONGEST_VAULT_SUFFIX = "-managed-key"
PRIMARY_REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture(scope="module")
def org() -> Iterator[OrgResult]:
    options = OrgOptions(
        accounts=2,
        regions=2,
        resources=4,
        start=datetime(2026, 11, 1, 7, 0, tzinfo=UTC),
        hours=3,
    )
    with demo_session():
        yield run_org(options)


def _client(service: str, account: str, region: str) -> Any:
    return boto3.client(service, region_name=region, config=NO_RETRIES)


def _instances(org: OrgResult, role: str) -> list[Any]:
    return [r.instance for r in org.instances if r.instance.role == role]


def test_given_the_two_stack_sets_when_deployed_then_every_member_account_and_region_has_one(
    org: OrgResult,
) -> None:
    # Given / When
    cloudformation = boto3.client("cloudformation", region_name="us-east-1", config=NO_RETRIES)
    members = set(org.organization.accounts)
    # Then
    for request, regions in (
        (f"{NAME_PREFIX}-dr", [DR_REGION]),
        (f"{NAME_PREFIX}-primary", PRIMARY_REGIONS),
    ):
        summaries = cloudformation.list_stack_instances(StackSetName=request)["Summaries"]
        assert sorted((s["Account"], s["Region"]) for s in summaries) == sorted(
            (account, region) for account in members for region in regions
        )
        assert {s["StackInstanceStatus"]["DetailedStatus"] for s in summaries} == {"SUCCEEDED"}
    assert org.organization.management_account not in members


def test_given_a_primary_instance_when_deployed_then_its_dr_copies_go_to_its_accounts_dr_vault(
    org: OrgResult,
) -> None:
    for instance in _instances(org, "primary"):
        # Given: the naming rule, NamePrefix and the DrRegion every primary instance gets
        expected = f"arn:aws:backup:{DR_REGION}:{instance.account}:backup-vault:{NAME_PREFIX}-dr"
        with in_account(instance.account, instance.region):
            backup = _client("backup", instance.account, instance.region)
            # When
            destinations = {
                action["DestinationBackupVaultArn"]
                for plan in backup.list_backup_plans()["BackupPlansList"]
                for rule in backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"][
                    "Rules"
                ]
                for action in rule.get("CopyActions", [])
            }
        # Then
        assert destinations == {expected}
        with in_account(instance.account, DR_REGION):
            vault = _client("backup", instance.account, DR_REGION).describe_backup_vault(
                BackupVaultName=f"{NAME_PREFIX}-dr"
            )
        assert vault["BackupVaultArn"] == expected


def test_given_a_dr_instance_when_deployed_then_its_service_key_vaults_follow_the_naming_rule(
    org: OrgResult,
) -> None:
    for instance in _instances(org, "dr"):
        # When
        outputs = instance.stack.provisioned.outputs
        # Then
        prefix = f"arn:aws:backup:{DR_REGION}:{instance.account}:backup-vault:{NAME_PREFIX}"
        assert outputs["ServiceKeyVaultRdsArn"] == f"{prefix}-svc-rds"
        assert outputs["ServiceKeyVaultEbsArn"] == f"{prefix}-svc-ebs"
        assert outputs["DrBackupVaultArn"] == f"{prefix}-dr"


def test_given_a_day_of_backups_when_every_instance_is_checked_then_each_keeps_its_promises(
    org: OrgResult,
) -> None:
    # Then
    broken = {
        result.instance.key: [check.name for check in result.promises if not check.kept]
        for result in org.instances
    }
    assert broken == {result.instance.key: [] for result in org.instances}
    for result in org.instances:
        assert "copies-stay-in-account" in {check.name for check in result.promises}
        protected = sum(row.protected for row in result.report.by_type)
        assert protected > 0, f"{result.instance.key} protected nothing"


def test_given_a_day_of_backups_when_the_dr_vaults_are_read_then_each_holds_its_own_accounts_copies(
    org: OrgResult,
) -> None:
    for instance in _instances(org, "dr"):
        # When
        with in_account(instance.account, DR_REGION):
            points = _client("backup", instance.account, DR_REGION)
            listed = points.list_recovery_points_by_backup_vault(
                BackupVaultName=f"{NAME_PREFIX}-dr"
            )["RecoveryPoints"]
        # Then: copies arrived, each from a vault of this same account
        assert listed, f"no DR copy in {instance.account}"
        sources = {point["SourceBackupVaultArn"].split(":")[4] for point in listed}
        assert sources == {instance.account}


def test_given_generated_stack_names_when_deployed_then_name_prefix_keeps_every_vault_name_valid(
    org: OrgResult,
) -> None:
    for result in org.instances:
        instance = result.instance
        # Given: without NamePrefix the vaults would be named after the generated stack name
        assert instance.stack.stack_name.startswith(f"StackSet-{NAME_PREFIX}-")
        assert not VAULT_NAME.match(instance.stack.stack_name + LONGEST_VAULT_SUFFIX)
        # When
        with in_account(instance.account, instance.region):
            vaults = _client("backup", instance.account, instance.region).list_backup_vaults()
        names = [vault["BackupVaultName"] for vault in vaults["BackupVaultList"]]
        # Then
        assert names
        assert all(VAULT_NAME.match(name) and name.startswith(NAME_PREFIX) for name in names)


def test_given_org_template_when_read_then_only_the_primary_passes_the_first_dr_region() -> None:
    # When
    requests = stack_set_requests(
        {
            "ArtifactBucketPrefix": "acme-artifacts",
            "OrganizationId": "o-abcdefghij",
            "DeployStackSets": "dr-and-primary",
            "TargetOrganizationalUnitIds": "ou-abcd-abcdefgh",
            "PrimaryRegions": "us-east-1,eu-west-1",
            "DrRegions": "us-west-2,eu-central-1",
            "NamePrefix": "acme",
        },
        account="123456789012",
        region="us-east-1",
    )
    # Then
    by_name = {request.name: request for request in requests}
    assert [request.name for request in requests] == ["acme-dr", "acme-primary"]
    assert by_name["acme-primary"].parameters["DrRegion"] == "us-west-2"
    assert "DrRegion" not in by_name["acme-dr"].parameters
    assert by_name["acme-dr"].regions == ["us-west-2", "eu-central-1"]
    assert {r.permission_model for r in requests} == {"SERVICE_MANAGED"}
    assert all(r.auto_deployment["Enabled"] for r in requests)


def test_given_the_day_when_reported_then_there_is_a_row_per_instance_and_per_region(
    org: OrgResult,
) -> None:
    # When
    report = org_report_dict(org)
    text = render_org_text(org)
    # Then
    rows = {(row["account"], row["region"], row["role"]) for row in report["instances"]}
    assert rows == {(r.instance.account, r.instance.region, r.instance.role) for r in org.instances}
    assert {(row["region"], row["role"]) for row in report["by_region"]} == {
        (DR_REGION, "dr"),
        *((region, "primary") for region in PRIMARY_REGIONS),
    }
    assert report["promises_kept"] is True
    json.dumps(report, default=str)  # --json writes it
    for account in org.organization.accounts:
        assert text.count(account) == 3  # its DR row and its two primary rows
    assert "copies-stay-in-account: kept in every instance" in text


@pytest.mark.parametrize("text", ["6", "0:2", "6:0", "6:9", "a:b"])
def test_given_a_malformed_org_option_when_the_demo_starts_then_it_is_a_usage_error(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # When
    code = demo_main(["--org", text])
    # Then
    assert code == 2
    assert "invalid-org" in capsys.readouterr().err


def test_given_copy_jobs_when_one_crosses_accounts_then_it_is_reported() -> None:
    # Given
    own = "arn:aws:backup:us-east-1:111111111111:backup-vault:a"
    other = "arn:aws:backup:us-west-2:222222222222:backup-vault:b"
    jobs = [
        {"CopyJobId": "1", "SourceBackupVaultArn": own, "DestinationBackupVaultArn": own},
        {"CopyJobId": "2", "SourceBackupVaultArn": own, "DestinationBackupVaultArn": other},
    ]
    # When
    broken = foreign_copies(jobs, "111111111111")
    # Then
    assert broken == [f"2: {own} -> {other}"]
