"""Least privilege, checked on the rendered template (design principle 8).

The orchestrator's roles grant exactly the calls of docs/contracts.md, on resources of this account
and Region, and can never delete a recovery point, a vault or a key.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.ledger import STATE_INDEX
from adapters.reconcile_cursor import CURSOR_KEY
from tests.infrastructure.expectations import ACCOUNT
from tests.template_loader import RenderedStack, render

CONTRACTS = (Path(__file__).resolve().parents[2] / "docs" / "contracts.md").read_text("utf-8")
REGION = "eu-central-1"  # not the default, so a hard-coded Region would show
DR_REGION = "us-west-2"

FORBIDDEN_FOR_THE_ORCHESTRATOR = (
    "backup:Delete*",
    "backup:PutBackupVaultAccessPolicy",
    "backup:*VaultLock*",
    "backup:UpdateRecoveryPointLifecycle",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:PutKeyPolicy",
)
# Actions AWS documents without resource-level permissions: "*" is their only valid Resource.
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {
    "backup:DescribeBackupJob",
    "backup:DescribeCopyJob",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _stacks() -> Iterator[RenderedStack]:
    for role in ("primary", "dr"):
        for lock in ("governance", "compliance"):
            for tracing in ("Active", "Disabled"):
                yield render(
                    parameters={
                        "StackRole": role,
                        "VaultLockMode": lock,
                        "DrRegion": DR_REGION,
                        "Tracing": tracing,
                    },
                    region=REGION,
                    account=ACCOUNT,
                )


def _label(stack: RenderedStack) -> str:
    label = f"{stack.parameters['StackRole']}-{stack.parameters['VaultLockMode']}"
    return label if stack.parameters["Tracing"] == "Active" else f"{label}-untraced"


STACKS = {_label(s): s for s in _stacks()}


def _identity_statements(stack: RenderedStack) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every identity policy in the stack, with its role's logical id."""
    for logical_id, role in stack.of_type("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in _listed(policy["PolicyDocument"]["Statement"]):
                yield logical_id, statement
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for logical_id, policy in stack.of_type(kind).items():
            for statement in _listed(policy["Properties"]["PolicyDocument"]["Statement"]):
                yield logical_id, statement


def _lambda_roles(stack: RenderedStack) -> dict[str, dict[str, Any]]:
    return {
        logical_id: role
        for logical_id, role in stack.of_type("AWS::IAM::Role").items()
        if any(
            "lambda.amazonaws.com" in _listed(s["Principal"].get("Service", []))
            for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        )
    }


def _granted(stack: RenderedStack, role: str) -> set[str]:
    return {
        action
        for logical_id, statement in _identity_statements(stack)
        if logical_id == role and statement["Effect"] == "Allow"
        for action in _listed(statement["Action"])
    }


def _contract_actions(function: str) -> set[str]:
    section = CONTRACTS.split("## AWS calls per function", 1)[1].split("\n## ", 1)[0]
    bullet = re.search(rf"^- {function}:(.*?)(?=^- |\Z)", section, flags=re.MULTILINE | re.DOTALL)
    assert bullet, f"{function} has no entry in docs/contracts.md"
    actions = set()
    for service, names in re.findall(r"`([a-z0-9-]+):([A-Za-z|]+)`", bullet.group(1)):
        actions |= {f"{service}:{name}" for name in names.split("|")}
    return actions


def _contract_actions_of(stack: RenderedStack, function: str) -> set[str]:
    """The contract's actions for this stack: the X-Ray ones only with ``Tracing=Active``."""
    actions = _contract_actions(function)
    if stack.parameters["Tracing"] == "Active":
        return actions
    return {action for action in actions if not action.startswith("xray:")}


@pytest.mark.parametrize("label", list(STACKS))
def test_no_identity_statement_grants_a_wildcard_action(label: str) -> None:
    for logical_id, statement in _identity_statements(STACKS[label]):
        for action in _listed(statement.get("Action", [])):
            assert "*" not in action, f"{logical_id}: {action}"
        assert "NotAction" not in statement, logical_id


@pytest.mark.parametrize("label", list(STACKS))
def test_functions_use_explicit_roles_without_managed_policies(label: str) -> None:
    stack = STACKS[label]
    functions = stack.of_type("AWS::Serverless::Function")
    assert functions
    for logical_id, function in functions.items():
        assert "Policies" not in function["Properties"], logical_id
        assert function["Properties"]["Role"].startswith("arn:aws:iam::"), logical_id
    for logical_id, role in _lambda_roles(stack).items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


@pytest.mark.parametrize("label", list(STACKS))
def test_pass_role_only_hands_the_copy_job_role_to_aws_backup(label: str) -> None:
    stack = STACKS[label]
    copy_role = stack.outputs["CopyJobRoleArn"]
    passing = [
        (logical_id, s)
        for logical_id, s in _identity_statements(stack)
        if "iam:PassRole" in _listed(s["Action"])
    ]
    assert passing
    for logical_id, statement in passing:
        assert _listed(statement["Action"]) == ["iam:PassRole"], logical_id
        assert statement["Resource"] == copy_role, logical_id
        assert statement["Condition"] == {
            "StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}
        }, logical_id


@pytest.mark.parametrize("label", list(STACKS))
def test_orchestrator_roles_can_never_destroy_backups_vaults_or_keys(label: str) -> None:
    stack = STACKS[label]
    roles = _lambda_roles(stack)
    assert roles
    for role in roles:
        for action in _granted(stack, role):
            for forbidden in FORBIDDEN_FOR_THE_ORCHESTRATOR:
                assert not fnmatch.fnmatchcase(action.lower(), forbidden.lower()), (role, action)


@pytest.mark.parametrize("label", list(STACKS))
def test_orchestrator_resources_are_scoped_to_this_account_and_region(label: str) -> None:
    stack = STACKS[label]
    for logical_id, statement in _identity_statements(stack):
        if logical_id not in _lambda_roles(stack):
            continue
        actions = set(_listed(statement["Action"]))
        for resource in _listed(statement["Resource"]):
            if resource == "*":
                assert actions <= WITHOUT_RESOURCE_LEVEL_PERMISSIONS, (logical_id, actions)
                continue
            _, partition, service, region, account, rest = resource.split(":", 5)
            assert partition == "aws"
            # IAM ARNs carry no Region; EC2 snapshot and AMI ARNs carry no account. The keys of
            # the DR Region, where cross-Region copies into its service-key vaults end up.
            if (service, region) == ("kms", DR_REGION) and "kms:DescribeKey" in actions:
                assert actions == {"kms:DescribeKey"}, resource
                assert (account, rest) == (ACCOUNT, "key/*"), resource
                continue
            assert region == ("" if service == "iam" else REGION), resource
            assert account == ("" if service == "ec2" else ACCOUNT), resource
            assert rest not in ("", "*"), resource


@pytest.mark.parametrize("label", list(STACKS))
def test_copy_function_role_grants_exactly_the_contract(label: str) -> None:
    # Given the calls docs/contracts.md lists for CopyFunction (code calls and Lambda plumbing)
    stack = STACKS[label]
    contract = _contract_actions_of(stack, "CopyFunction")
    # Then the copy function's role grants exactly those
    assert _granted(stack, "CopyFunctionRole") == contract


@pytest.mark.parametrize("label", list(STACKS))
def test_tracking_function_role_grants_exactly_the_contract(label: str) -> None:
    stack = STACKS[label]
    assert _granted(stack, "TrackingFunctionRole") == _contract_actions_of(
        stack, "TrackingFunction"
    )


@pytest.mark.parametrize("function", ["ReconcilerFunction", "KeyGuardFunction"])
@pytest.mark.parametrize("label", list(STACKS))
def test_reconciler_and_key_guard_roles_grant_exactly_the_contract(
    label: str, function: str
) -> None:
    stack = STACKS[label]
    assert _granted(stack, f"{function}Role") == _contract_actions_of(stack, function)


@pytest.mark.parametrize("label", list(STACKS))
def test_roles_may_write_traces_only_when_the_stack_traces(label: str) -> None:
    # Given the stack's Tracing parameter
    stack = STACKS[label]
    traced = stack.parameters["Tracing"] == "Active"
    # Then each orchestrator role grants X-Ray's two actions with tracing on, and none without
    for role in _lambda_roles(stack):
        xray = {action for action in _granted(stack, role) if action.startswith("xray:")}
        expected = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} if traced else set()
        assert xray == expected, (label, role)


def test_contract_parsing_sees_every_copy_call() -> None:
    assert {
        "backup:DescribeRecoveryPoint",
        "backup:DescribeBackupJob",
        "backup:StartCopyJob",
        "backup:GetBackupPlan",
        "backup:ListTags",
        "iam:PassRole",
        "dynamodb:UpdateItem",
    } <= _contract_actions("CopyFunction")


def test_contract_parsing_sees_every_tracking_call() -> None:
    assert {
        "backup:DescribeCopyJob",
        "backup:DescribeRecoveryPoint",
        "backup:DescribeBackupVault",
        "backup:StartCopyJob",
        "iam:PassRole",
        "kms:DescribeKey",
        "sns:Publish",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "sqs:SendMessage",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    } <= _contract_actions("TrackingFunction")


def test_contract_parsing_sees_every_reconciler_and_key_guard_call() -> None:
    shared = {
        "backup:ListRecoveryPointsByBackupVault",
        "backup:DescribeRecoveryPoint",
        "backup:StartCopyJob",
        "backup:DescribeCopyJob",
        "backup:DescribeBackupVault",
        "backup:GetBackupPlan",
        "backup:ListTags",
        "iam:PassRole",
        "kms:DescribeKey",
        "sns:Publish",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    }
    assert shared | {"dynamodb:PutItem"} <= _contract_actions("ReconcilerFunction")
    assert shared <= _contract_actions("KeyGuardFunction")
    # A listed recovery point has its ARN: neither looks a backup job up; only the
    # scheduled reconciler saves its cursor
    assert "backup:DescribeBackupJob" not in _contract_actions("ReconcilerFunction")
    assert not {"backup:DescribeBackupJob", "dynamodb:PutItem"} & _contract_actions(
        "KeyGuardFunction"
    )
    # The guard watches keys, it never touches them
    kms = {a for a in _contract_actions("KeyGuardFunction") if a.startswith("kms:")}
    assert kms == {"kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}


def _resources_of(stack: RenderedStack, role: str, action: str) -> set[str]:
    return {
        resource
        for logical_id, statement in _identity_statements(stack)
        if logical_id == role and action in _listed(statement["Action"])
        for resource in _listed(statement["Resource"])
    }


def _statement_granting(stack: RenderedStack, role: str, action: str) -> dict[str, Any]:
    (statement,) = [
        s
        for logical_id, s in _identity_statements(stack)
        if logical_id == role and action in _listed(s["Action"])
    ]
    return statement


@pytest.mark.parametrize("role", ["CopyFunctionRole", "TrackingFunctionRole"])
def test_roles_reach_recovery_points_of_every_copyable_shape(role: str) -> None:
    # The tracking role restarts copies (retries, fallback) of the same recovery points.
    stack = STACKS["primary-governance"]
    statement = _statement_granting(stack, role, "backup:StartCopyJob")
    assert "backup:DescribeRecoveryPoint" in _listed(statement["Action"])
    resources = _listed(statement["Resource"])
    samples = [
        f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45",
        f"arn:aws:ec2:{REGION}::snapshot/snap-0a1b2c3d4e5f60718",
        f"arn:aws:ec2:{REGION}::image/ami-0a1b2c3d4e5f60718",
        f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:awsbackup:job-1a2b3c4d",
        f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:awsbackup:job-1a2b3c4d",
        f"arn:aws:fsx:{REGION}:{ACCOUNT}:backup/backup-0a1b2c3d4e5f60718",
    ]
    for sample in samples:
        assert any(fnmatch.fnmatchcase(sample, pattern) for pattern in resources), sample
    foreign = f"arn:aws:backup:us-east-1:{ACCOUNT}:recovery-point:1EB3B5E7"
    assert not any(fnmatch.fnmatchcase(foreign, pattern) for pattern in resources)


@pytest.mark.parametrize("label", list(STACKS))
def test_key_policy_never_grants_everything(label: str) -> None:
    for statement in STACKS[label].properties("BackupVaultKey")["KeyPolicy"]["Statement"]:
        assert not {"*", "kms:*"} & set(_listed(statement["Action"]))
        assert statement["Principal"] != "*"


# --- the tracking role's resources -----------------------------------------------------------


def test_tracking_role_reads_only_the_destination_vaults() -> None:
    stack = STACKS["primary-governance"]
    statement = _statement_granting(stack, "TrackingFunctionRole", "backup:DescribeBackupVault")
    assert sorted(_listed(statement["Resource"])) == sorted(_destination_vault_arns(stack))


def _destination_vault_arns(stack: RenderedStack) -> set[str]:
    """This Region's destinations: LAG, managed-key and the service-key vaults it has."""
    names = ["LagVaultArn", "ManagedKeyVaultArn", "ServiceKeyVaultRdsArn", "ServiceKeyVaultEbsArn"]
    return {stack.outputs[name] for name in names if name in stack.outputs}


def test_tracking_role_reads_the_override_vaults_it_tracks() -> None:
    override = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:fsx-copies"
    stack = render(
        parameters={
            "DestinationOverrides": json.dumps({"FSx": {"vault_arn": override}}),
            "DestinationOverrideVaultArns": override,
        },
        region=REGION,
        account=ACCOUNT,
    )
    statement = _statement_granting(stack, "TrackingFunctionRole", "backup:DescribeBackupVault")
    assert override in _listed(statement["Resource"])
    assert len(_listed(statement["Resource"])) == 5  # LAG, managed-key, svc-rds, svc-ebs, it


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("kms:GenerateDataKey", "arn:aws:kms:{region}:{account}:key/AlertTopicKey"),
        ("kms:Decrypt", "arn:aws:kms:{region}:{account}:key/AlertTopicKey"),
        ("dynamodb:GetItem", "arn:aws:dynamodb:{region}:{account}:table/{stack}-LedgerTable"),
        ("dynamodb:UpdateItem", "arn:aws:dynamodb:{region}:{account}:table/{stack}-LedgerTable"),
        ("sqs:SendMessage", "arn:aws:sqs:{region}:{account}:TrackingDeadLetterQueue"),
        ("sqs:ReceiveMessage", "arn:aws:sqs:{region}:{account}:TrackingQueue"),
        ("iam:PassRole", "arn:aws:iam::{account}:role/CopyJobRole"),
    ],
)
def test_tracking_role_scopes_each_action_to_its_one_resource(action: str, resource: str) -> None:
    stack = STACKS["primary-governance"]
    statement = _statement_granting(stack, "TrackingFunctionRole", action)
    expected = resource.format(region=REGION, account=ACCOUNT, stack=stack.stack_name)
    assert statement["Resource"] == expected


def test_copy_role_writes_the_ledger_only() -> None:
    stack = STACKS["primary-governance"]
    statement = _statement_granting(stack, "CopyFunctionRole", "dynamodb:UpdateItem")
    assert _listed(statement["Action"]) == ["dynamodb:UpdateItem"]
    ledger = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack.stack_name}-LedgerTable"
    assert statement["Resource"] == ledger


# --- the reconciler's and the key guard's resources --------------------------------------------

RECONCILE_ROLES = ("ReconcilerFunctionRole", "KeyGuardFunctionRole")


def _source_vault_arns(stack: RenderedStack) -> set[str]:
    names = str(stack.function_environment("ReconcilerFunction")["SOURCE_VAULT_NAMES"])
    return {f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{name}" for name in names.split(",")}


@pytest.mark.parametrize("role", RECONCILE_ROLES)
@pytest.mark.parametrize("label", list(STACKS))
def test_reconcile_roles_list_recovery_points_of_the_source_vaults_only(
    label: str, role: str
) -> None:
    stack = STACKS[label]
    listed = _resources_of(stack, role, "backup:ListRecoveryPointsByBackupVault")
    assert listed == _source_vault_arns(stack)
    assert len(listed) == (3 if stack.parameters["StackRole"] == "primary" else 1)


@pytest.mark.parametrize("label", list(STACKS))
def test_key_guard_reads_the_source_vaults_keys_and_the_destinations_retention(
    label: str,
) -> None:
    stack = STACKS[label]
    destinations = _destination_vault_arns(stack)
    described = _resources_of(stack, "KeyGuardFunctionRole", "backup:DescribeBackupVault")
    assert described == _source_vault_arns(stack) | destinations
    # The reconciler needs only the destinations (tracking); it never reads a vault's key
    reconciler = _resources_of(stack, "ReconcilerFunctionRole", "backup:DescribeBackupVault")
    assert reconciler == destinations


def test_only_the_reconciler_puts_and_only_the_cursor_item() -> None:
    # Given the one PutItem of the code: the scheduled reconciler's cursor, under its reserved
    # partition key (the key guard never saves a pass)
    stack = STACKS["primary-governance"]
    assert "dynamodb:PutItem" not in _granted(stack, "KeyGuardFunctionRole")
    statement = _statement_granting(stack, "ReconcilerFunctionRole", "dynamodb:PutItem")
    # Then PutItem is granted alone, on the ledger, for that partition key only
    assert _listed(statement["Action"]) == ["dynamodb:PutItem"]
    ledger = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack.stack_name}-LedgerTable"
    assert statement["Resource"] == ledger
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [CURSOR_KEY["RecoveryPointArn"]["S"]]}
    }


def test_only_the_reconciler_queries_the_stuck_copy_index() -> None:
    stack = STACKS["primary-governance"]
    ledger = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack.stack_name}-LedgerTable"
    assert _resources_of(stack, "ReconcilerFunctionRole", "dynamodb:Query") == {
        ledger,
        f"{ledger}/index/{STATE_INDEX}",
    }
    assert _resources_of(stack, "KeyGuardFunctionRole", "dynamodb:Query") == {ledger}


@pytest.mark.parametrize("role", RECONCILE_ROLES)
@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("kms:GenerateDataKey", "arn:aws:kms:{region}:{account}:key/AlertTopicKey"),
        ("kms:Decrypt", "arn:aws:kms:{region}:{account}:key/AlertTopicKey"),
        ("iam:PassRole", "arn:aws:iam::{account}:role/CopyJobRole"),
        ("kms:DescribeKey", "arn:aws:kms:{region}:{account}:key/*"),
    ],
)
def test_reconcile_roles_scope_each_action_to_its_one_resource(
    role: str, action: str, resource: str
) -> None:
    stack = STACKS["primary-governance"]
    statement = _statement_granting(stack, role, action)
    expected = [resource.format(region=REGION, account=ACCOUNT)]
    if (role, action) == ("ReconcilerFunctionRole", "kms:DescribeKey"):
        # it also settles cross-Region copies into the DR Region's service-key vaults
        expected.append(resource.format(region=DR_REGION, account=ACCOUNT))
    assert _listed(statement["Resource"]) == expected


def test_only_the_key_guard_may_publish_to_the_fallback_topic() -> None:
    # Given the alert topic, and the fallback topic under aws/sns for a risk to its key
    stack = STACKS["primary-governance"]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:AlertTopic"
    fallback = f"arn:aws:sns:{REGION}:{ACCOUNT}:AlertFallbackTopic"
    # Then the reconciler publishes to the alert topic, the key guard to both
    assert _resources_of(stack, "ReconcilerFunctionRole", "sns:Publish") == {topic}
    assert _resources_of(stack, "KeyGuardFunctionRole", "sns:Publish") == {topic, fallback}
    # And no role gets a kms: permission for aws/sns (its key policy allows use through SNS)
    assert not [
        s
        for _, s in _identity_statements(stack)
        if any("alias/aws" in str(r) for r in _listed(s.get("Resource", [])))
    ]
