"""Issue 3: the backup estate of the seed - key, service role, vaults, locks, plans, selections."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.expectations import ACCOUNT, DR_REGION, dr_vault_arn
from tests.template_loader import RenderedStack, render

SOURCE_VAULTS = ("HourlyVault", "DailyVault", "MonthlyVault")
# With the defaults ServiceKeyVaults=rds,ebs and ServiceKeyPlacement=same-region, both roles have
# the two service-key vaults (test_template_service_keys.py covers the other settings).
SERVICE_KEY_VAULTS = ("ServiceKeyVaultRds", "ServiceKeyVaultEbs")
ALL_VAULTS_PRIMARY = (*SOURCE_VAULTS, "LagVault", "ManagedKeyVault", *SERVICE_KEY_VAULTS)
ALL_VAULTS_DR = ("DrVault", "LagVault", "ManagedKeyVault", *SERVICE_KEY_VAULTS)
DENIED_DELETE_ACTIONS = {
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
}


def _rules(stack: RenderedStack, plan: str) -> dict[str, dict[str, Any]]:
    body = stack.properties(plan)["BackupPlan"]
    return {rule["RuleName"]: rule for rule in body["BackupPlanRule"]}


def _vault_name(stack: RenderedStack, logical_id: str) -> str:
    return stack.properties(logical_id)["BackupVaultName"]


# --- key and service role --------------------------------------------------------------------


def test_vault_key_rotates_and_outlives_the_stack(primary_stack: RenderedStack) -> None:
    # Given the rendered primary stack / When we read its KMS key / Then rotation is on and
    # neither a stack deletion nor a replacement schedules the key's deletion.
    key = primary_stack.resources["BackupVaultKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    alias = primary_stack.properties("BackupVaultKeyAlias")
    assert alias["AliasName"].startswith("alias/")
    assert alias["TargetKeyId"] == "BackupVaultKey"


def test_key_policy_keeps_administration_with_the_account(primary_stack: RenderedStack) -> None:
    statements = primary_stack.properties("BackupVaultKey")["KeyPolicy"]["Statement"]
    root = f"arn:aws:iam::{ACCOUNT}:root"
    roles = [primary_stack.outputs["BackupServiceRoleArn"], primary_stack.outputs["CopyJobRoleArn"]]
    # Then every statement allows, to the account's root principal or the stack's two AWS
    # Backup service roles
    assert all(s["Effect"] == "Allow" for s in statements)
    assert all(s["Principal"] in ({"AWS": root}, {"AWS": roles}) for s in statements)
    admin = next(s for s in statements if s["Sid"] == "AccountAdministersTheKey")
    assert {"kms:Put*", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"} <= set(admin["Action"])
    assert "Condition" not in admin
    # And no statement grants everything
    for statement in statements:
        assert not {"*", "kms:*"} & set(statement["Action"])


def test_key_policy_lets_aws_backup_use_the_key_only_through_grants_and_services(
    primary_stack: RenderedStack,
) -> None:
    statements = {
        s["Sid"]: s for s in primary_stack.properties("BackupVaultKey")["KeyPolicy"]["Statement"]
    }
    grants = statements["AwsServicesMayCreateGrantsForBackups"]
    assert "kms:CreateGrant" in grants["Action"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}

    use = statements["AccountPrincipalsMayUseTheKeyOnlyThroughBackupServices"]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(use["Action"])
    condition = use["Condition"]["StringEquals"]
    assert condition["kms:CallerAccount"] == ACCOUNT
    assert "backup.us-east-1.amazonaws.com" in condition["kms:ViaService"]
    # Data-plane actions appear nowhere without a kms:ViaService condition
    data_plane = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}
    for statement in statements.values():
        if data_plane & set(statement["Action"]):
            assert "kms:ViaService" in statement["Condition"]["StringEquals"]


@pytest.mark.parametrize("logical_id", ["BackupServiceRole", "CopyJobRole"])
def test_backup_and_copy_roles_have_the_managed_backup_policy_only(
    any_role_stack: RenderedStack, logical_id: str
) -> None:
    # Issue 12, item 11: one role for the plans, one for the orchestrator's copy jobs; neither
    # restores, and neither carries the S3 policies (no selection picks S3).
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html
    role = any_role_stack.properties(logical_id)
    trusted = role["AssumeRolePolicyDocument"]["Statement"]
    assert trusted == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "backup.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
    ]


def test_selections_use_the_backup_role_and_copies_the_copy_role(
    primary_stack: RenderedStack,
) -> None:
    selections = primary_stack.of_type("AWS::Backup::BackupSelection").values()
    roles = {s["Properties"]["BackupSelection"]["IamRoleArn"] for s in selections}
    assert roles == {primary_stack.outputs["BackupServiceRoleArn"]}
    assert primary_stack.outputs["CopyJobRoleArn"] != primary_stack.outputs["BackupServiceRoleArn"]


def test_no_selection_picks_s3(primary_stack: RenderedStack) -> None:
    # Why the roles need no S3 backup policy: every selection either lists S3 in NotResources
    # or names resources that are not S3 buckets.
    for logical_id, selection in primary_stack.of_type("AWS::Backup::BackupSelection").items():
        body = selection["Properties"]["BackupSelection"]
        if "*" in body["Resources"]:
            assert "arn:aws:s3:::*" in body["NotResources"], logical_id
        else:
            assert not any(r.startswith("arn:aws:s3:") for r in body["Resources"]), logical_id
        assert "ListOfTags" not in body, logical_id


def test_key_policy_names_the_backup_and_copy_roles_for_use_through_aws_backup(
    any_role_stack: RenderedStack,
) -> None:
    # encryption.html: "Your IAM role must have access to the KMS key being used to back up
    # and restore the object ... The permissions in IAM policy and KMS key policy must be
    # consistent." The roles' managed policy has no kms:GenerateDataKey through AWS Backup.
    statements = {
        s["Sid"]: s for s in any_role_stack.properties("BackupVaultKey")["KeyPolicy"]["Statement"]
    }
    named = statements["BackupAndCopyRolesMayUseTheKeyThroughAwsBackup"]
    outputs = any_role_stack.outputs
    assert named["Principal"] == {
        "AWS": [outputs["BackupServiceRoleArn"], outputs["CopyJobRoleArn"]]
    }
    assert {"kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant"} <= set(named["Action"])
    assert named["Condition"]["StringEquals"]["kms:ViaService"] == (
        f"backup.{any_role_stack.region}.amazonaws.com"
    )


# --- vaults, access policies and locks -------------------------------------------------------


def test_each_role_creates_exactly_its_vaults(
    primary_stack: RenderedStack, dr_stack: RenderedStack
) -> None:
    vault_types = ("AWS::Backup::BackupVault", "AWS::Backup::LogicallyAirGappedBackupVault")
    primary = {k for k, v in primary_stack.resources.items() if v["Type"] in vault_types}
    dr = {k for k, v in dr_stack.resources.items() if v["Type"] in vault_types}
    assert primary == set(ALL_VAULTS_PRIMARY)
    assert dr == set(ALL_VAULTS_DR)
    # And the DR role has no plans or selections of its own
    assert not dr_stack.of_type("AWS::Backup::BackupPlan")
    assert not dr_stack.of_type("AWS::Backup::BackupSelection")


@pytest.mark.parametrize("vault", [*SOURCE_VAULTS, "DrVault"])
def test_source_vaults_are_encrypted_with_the_stack_cmk(vault: str) -> None:
    role = "dr" if vault == "DrVault" else "primary"
    stack = render(parameters={"StackRole": role})
    assert stack.properties(vault)["EncryptionKeyArn"] == stack.outputs["BackupVaultKeyArn"]


def test_managed_key_vault_uses_the_aws_managed_key(any_role_stack: RenderedStack) -> None:
    # No EncryptionKeyArn: AWS Backup uses aws/backup, which nobody in the account can delete.
    assert "EncryptionKeyArn" not in any_role_stack.properties("ManagedKeyVault")
    assert "EncryptionKeyArn" not in any_role_stack.properties("LagVault")


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_every_vault_denies_deleting_its_recovery_points(role: str) -> None:
    stack = render(parameters={"StackRole": role})
    vaults = ALL_VAULTS_PRIMARY if role == "primary" else ALL_VAULTS_DR
    for vault in vaults:
        policy = stack.properties(vault)["AccessPolicy"]
        document = json.loads(policy) if isinstance(policy, str) else policy
        (statement,) = document["Statement"]
        assert statement["Effect"] == "Deny", vault
        assert statement["Principal"] == "*", vault
        assert statement["Resource"] == "*", vault
        assert set(statement["Action"]) == DENIED_DELETE_ACTIONS, vault


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_every_vault_survives_stack_deletion(role: str) -> None:
    stack = render(parameters={"StackRole": role})
    for vault in ALL_VAULTS_PRIMARY if role == "primary" else ALL_VAULTS_DR:
        resource = stack.resources[vault]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (
            "RetainExceptOnCreate",
            "Retain",
        )


@pytest.mark.parametrize(
    ("role", "vault"),
    [(r, v) for r in ("primary",) for v in (*SOURCE_VAULTS, "ManagedKeyVault")]
    + [("dr", "DrVault"), ("dr", "ManagedKeyVault")],
)
def test_governance_mode_lock_is_reversible(role: str, vault: str) -> None:
    # Given the default (dev) lock mode / Then the lock has no ChangeableForDays: a governance
    # lock that a privileged user can remove.
    stack = render(parameters={"StackRole": role, "VaultLockMode": "governance"})
    lock = stack.properties(vault)["LockConfiguration"]
    assert "ChangeableForDays" not in lock
    assert lock["MinRetentionDays"] >= 1


@pytest.mark.parametrize(
    ("role", "vault"),
    [(r, v) for r in ("primary",) for v in (*SOURCE_VAULTS, "ManagedKeyVault")]
    + [("dr", "DrVault"), ("dr", "ManagedKeyVault")],
)
def test_compliance_mode_lock_has_three_cooling_off_days(role: str, vault: str) -> None:
    stack = render(
        parameters={"StackRole": role, "VaultLockMode": "compliance", "DrRegion": DR_REGION}
    )
    assert stack.properties(vault)["LockConfiguration"]["ChangeableForDays"] == 3


def test_source_vault_locks_match_the_retention_of_their_rules(
    primary_stack: RenderedStack, dr_stack: RenderedStack
) -> None:
    minimum = {
        v: primary_stack.properties(v)["LockConfiguration"]["MinRetentionDays"]
        for v in SOURCE_VAULTS
    }
    assert minimum == {"HourlyVault": 3, "DailyVault": 30, "MonthlyVault": 365}
    assert dr_stack.properties("DrVault")["LockConfiguration"]["MinRetentionDays"] == 30


def test_lag_vault_retention_range_comes_from_parameters(template: dict[str, Any]) -> None:
    stack = render(parameters={"LagVaultMinRetentionDays": 14, "LagVaultMaxRetentionDays": 800})
    lag = stack.properties("LagVault")
    assert (lag["MinRetentionDays"], lag["MaxRetentionDays"]) == (14, 800)
    defaults = template["Parameters"]
    assert defaults["LagVaultMinRetentionDays"]["Default"] == 7
    assert defaults["LagVaultMinRetentionDays"]["MinValue"] == 7
    assert defaults["LagVaultMaxRetentionDays"]["Default"] == 400


def test_managed_vault_max_retention_is_optional() -> None:
    unlimited = render().properties("ManagedKeyVault")["LockConfiguration"]
    limited = render(parameters={"ManagedVaultMaxRetentionDays": 3650})
    assert "MaxRetentionDays" not in unlimited
    assert limited.properties("ManagedKeyVault")["LockConfiguration"]["MaxRetentionDays"] == 3650


# --- plans -----------------------------------------------------------------------------------


def test_main_plan_has_the_seed_schedules_retentions_and_vaults(
    primary_stack: RenderedStack,
) -> None:
    rules = _rules(primary_stack, "MainBackupPlan")
    expected = {
        "hourly": ("cron(20 * * * ? *)", 3, "HourlyVault"),
        "daily": ("cron(20 7 * * ? *)", 30, "DailyVault"),
        "monthly": ("cron(20 7 1 * ? *)", 365, "MonthlyVault"),
    }
    assert set(rules) == set(expected)
    for name, (schedule, days, vault) in expected.items():
        rule = rules[name]
        assert rule["ScheduleExpression"] == schedule, name
        assert rule["Lifecycle"] == {"DeleteAfterDays": days}, name
        assert rule["TargetBackupVault"] == _vault_name(primary_stack, vault), name
        assert rule["EnableContinuousBackup"] is False, name


def test_ec2_plan_backs_up_daily_with_windows_vss(primary_stack: RenderedStack) -> None:
    plan = primary_stack.properties("Ec2BackupPlan")["BackupPlan"]
    (rule,) = plan["BackupPlanRule"]
    assert rule["ScheduleExpression"] == "cron(20 9 * * ? *)"
    assert rule["Lifecycle"] == {"DeleteAfterDays": 30}
    assert rule["TargetBackupVault"] == _vault_name(primary_stack, "DailyVault")
    assert rule["EnableContinuousBackup"] is False
    assert plan["AdvancedBackupSettings"] == [
        {"ResourceType": "EC2", "BackupOptions": {"WindowsVSS": "enabled"}}
    ]


PLANS = ("MainBackupPlan", "RdsBackupPlan", "Ec2BackupPlan")


def test_daily_and_monthly_rules_copy_to_the_dr_vault(primary_stack: RenderedStack) -> None:
    # Given the primary stack with a DR vault / Then the daily rules copy for DrCopyRetentionDays
    # (30) and the monthly rules for MonthlyRetentionDays (365): on the 1st only the monthly
    # rule runs (item 4), and the DR Region keeps the monthly points as long as the primary.
    copying = {
        ("MainBackupPlan", "daily"): 30,
        ("MainBackupPlan", "monthly"): 365,
        ("RdsBackupPlan", "daily"): 30,
        ("RdsBackupPlan", "monthly"): 365,
        ("Ec2BackupPlan", "ec2-daily"): 30,
    }
    for plan in PLANS:
        for name, rule in _rules(primary_stack, plan).items():
            if (plan, name) in copying:
                assert rule["CopyActions"] == [
                    {
                        "DestinationBackupVaultArn": dr_vault_arn(primary_stack.stack_name),
                        "Lifecycle": {"DeleteAfterDays": copying[plan, name]},
                    }
                ]
            else:
                assert "CopyActions" not in rule, (plan, name)


def _starts(rule: dict[str, Any]) -> tuple[str, str]:
    minute, hour = rule["ScheduleExpression"].removeprefix("cron(").split()[:2]
    return minute, hour


def test_every_rule_that_can_shadow_a_dr_copying_rule_copies_to_dr_too(
    primary_stack: RenderedStack,
) -> None:
    # "If you have a backup plan with multiple rules and the time frames of the two rules
    # overlap, AWS Backup ... takes a backup for the rule with the longer retention time."
    # https://docs.aws.amazon.com/aws-backup/latest/devguide/plan-options-and-configuration.html
    # Given each plan / When two of its rules start at the same minute of the same hour
    for plan in PLANS:
        rules = list(_rules(primary_stack, plan).values())
        for rule in rules:
            if "CopyActions" not in rule:
                continue
            for other in rules:
                if other is rule or _starts(other) != _starts(rule):
                    continue
                longer = (
                    other["Lifecycle"]["DeleteAfterDays"] > rule["Lifecycle"]["DeleteAfterDays"]
                )
                # Then the rule that wins the overlap copies to the DR vault as well
                if longer:
                    assert "CopyActions" in other, (plan, other["RuleName"], rule["RuleName"])


def test_the_rds_family_is_never_backed_up_hourly(primary_stack: RenderedStack) -> None:
    # RDS allows 100 manual DB instance and 100 manual DB cluster snapshots per Region by
    # default: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html
    # Given the main plan (the one with the hourly rule) / Then its selection leaves out every
    # RDS, Aurora, DocumentDB and Neptune database (arn:aws:rds:...:db:* and :cluster:*)
    main = primary_stack.properties("MainBackupSelection")["BackupSelection"]
    assert {"arn:aws:rds:*:*:db:*", "arn:aws:rds:*:*:cluster:*"} <= set(main["NotResources"])
    # And the RDS family has its own plan with the daily and monthly rules only
    rds = primary_stack.properties("RdsBackupSelection")
    assert rds["BackupPlanId"] == primary_stack.outputs["RdsBackupPlanId"]
    assert rds["BackupSelection"]["Resources"] == [
        "arn:aws:rds:*:*:db:*",
        "arn:aws:rds:*:*:cluster:*",
    ]
    rules = _rules(primary_stack, "RdsBackupPlan")
    assert set(rules) == {"daily", "monthly"}
    main_rules = _rules(primary_stack, "MainBackupPlan")
    for name, rule in rules.items():
        assert rule == main_rules[name], name


def test_without_a_dr_vault_no_rule_copies() -> None:
    stack = render(parameters={"DrRegion": ""})
    for plan in PLANS:
        assert all("CopyActions" not in rule for rule in _rules(stack, plan).values())


def test_windows_and_retentions_are_parameters_with_seed_defaults(
    template: dict[str, Any],
) -> None:
    # Given other windows and retentions / When rendered / Then every rule carries them.
    stack = render(
        parameters={
            "BackupStartWindowMinutes": 120,
            "BackupCompletionWindowMinutes": 600,
            "HourlyRetentionDays": 5,
            "DailyRetentionDays": 35,
            "MonthlyRetentionDays": 400,
            "DrCopyRetentionDays": 60,
            "DrRegion": DR_REGION,
        }
    )
    rules = {**_rules(stack, "MainBackupPlan"), **_rules(stack, "Ec2BackupPlan")}
    for rule in rules.values():
        assert (rule["StartWindowMinutes"], rule["CompletionWindowMinutes"]) == (120, 600)
    assert {name: rule["Lifecycle"]["DeleteAfterDays"] for name, rule in rules.items()} == {
        "hourly": 5,
        "daily": 35,
        "monthly": 400,
        "ec2-daily": 35,
    }
    assert rules["daily"]["CopyActions"][0]["Lifecycle"] == {"DeleteAfterDays": 60}
    # And the defaults are the seed's
    seed = {
        "BackupStartWindowMinutes": 60,
        "BackupCompletionWindowMinutes": 1440,
        "HourlyRetentionDays": 3,
        "DailyRetentionDays": 30,
        "MonthlyRetentionDays": 365,
        "DrCopyRetentionDays": 30,
    }
    assert {name: template["Parameters"][name]["Default"] for name in seed} == seed


# --- selections ------------------------------------------------------------------------------


def test_main_selection_takes_everything_except_ec2_instances_s3_and_the_rds_family(
    primary_stack: RenderedStack,
) -> None:
    selection = primary_stack.properties("MainBackupSelection")
    assert selection["BackupPlanId"] == primary_stack.outputs["MainBackupPlanId"]
    body = selection["BackupSelection"]
    assert body["IamRoleArn"] == primary_stack.outputs["BackupServiceRoleArn"]
    assert body["Resources"] == ["*"]
    assert sorted(body["NotResources"]) == [
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:rds:*:*:cluster:*",
        "arn:aws:rds:*:*:db:*",
        "arn:aws:s3:::*",
    ]
    assert "Conditions" not in body


def test_ec2_selection_takes_ec2_instances_only(primary_stack: RenderedStack) -> None:
    selection = primary_stack.properties("Ec2BackupSelection")
    assert selection["BackupPlanId"] == primary_stack.outputs["Ec2BackupPlanId"]
    body = selection["BackupSelection"]
    assert body["IamRoleArn"] == primary_stack.outputs["BackupServiceRoleArn"]
    assert body["Resources"] == ["arn:aws:ec2:*:*:instance/*"]
    assert "NotResources" not in body
    assert "Conditions" not in body


def test_optional_tag_condition_narrows_both_selections() -> None:
    stack = render(parameters={"SelectionTagKey": "backup", "SelectionTagValue": "yes"})
    for selection in ("MainBackupSelection", "RdsBackupSelection", "Ec2BackupSelection"):
        body = stack.properties(selection)["BackupSelection"]
        assert body["Conditions"] == {
            "StringEquals": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "yes"}]
        }


# --- lock parameters apart from plan parameters (issue 12, item 6) ---------------------------

LOCK_PARAMETERS = {
    "HourlyVaultLockMinDays",
    "DailyVaultLockMinDays",
    "MonthlyVaultLockMinDays",
    "DrVaultLockMinDays",
    "ManagedVaultMinRetentionDays",
    "ManagedVaultMaxRetentionDays",
    "VaultLockChangeableForDays",
    "LagVaultMinRetentionDays",
    "LagVaultMaxRetentionDays",
}


def _refs(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    if isinstance(node, dict):
        found = {node["Ref"]} if "Ref" in node and isinstance(node["Ref"], str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    return set()


def test_vault_locks_and_plan_retentions_read_different_parameters(
    template: dict[str, Any],
) -> None:
    # A compliance lock freezes what feeds it once ChangeableForDays has passed: an update of a
    # lock parameter then fails. https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    # Given the raw template
    resources = template["Resources"]
    parameters = set(template["Parameters"])
    lock_inputs: set[str] = set()
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Backup::BackupVault":
            lock_inputs |= _refs(properties["LockConfiguration"]) & parameters
        if resource["Type"] == "AWS::Backup::LogicallyAirGappedBackupVault":
            lock_inputs |= _refs([properties["MinRetentionDays"], properties["MaxRetentionDays"]])
    plan_inputs: set[str] = set()
    for resource in resources.values():
        if resource["Type"] == "AWS::Backup::BackupPlan":
            plan_inputs |= _refs(resource["Properties"]["BackupPlan"]) & parameters
    # Then the locks read only lock parameters, and the plans none of them: retentions stay
    # changeable under a compliance lock
    assert lock_inputs <= LOCK_PARAMETERS
    assert {"HourlyVaultLockMinDays", "DrVaultLockMinDays"} <= lock_inputs
    assert not plan_inputs & LOCK_PARAMETERS
    assert {"HourlyRetentionDays", "DrCopyRetentionDays"} <= plan_inputs
