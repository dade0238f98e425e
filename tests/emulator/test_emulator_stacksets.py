"""CloudFormation StackSets on the emulator: moto's API, the emulator's provisioner, AWS's rules."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from emulator.cloudformation.stacksets import deployed_instances
from tests.emulator.emulator_testkit import NO_RETRIES

HOME = "us-east-1"
MANAGEMENT = "123456789012"  # moto's default account creates the organization
TEMPLATE = {
    "Parameters": {
        "NamePrefix": {"Type": "String"},
        "StackRole": {"Type": "String", "Default": "primary"},
        "DrRegion": {"Type": "String", "Default": ""},
    },
    "Resources": {
        "Vault": {
            "Type": "AWS::Backup::BackupVault",
            "Properties": {"BackupVaultName": {"Fn::Sub": "${NamePrefix}-${StackRole}"}},
        },
        "Queue": {"Type": "AWS::SQS::Queue"},
    },
    "Outputs": {
        "VaultArn": {"Value": {"Fn::GetAtt": ["Vault", "BackupVaultArn"]}},
        "QueueName": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}},
        "DrVaultArn": {
            "Value": {
                "Fn::Sub": "arn:${AWS::Partition}:backup:${DrRegion}:${AWS::AccountId}"
                ":backup-vault:${NamePrefix}-dr"
            }
        },
    },
}


def _client(service: str, region: str = HOME, account: str | None = None) -> Any:
    if account is None:
        return boto3.client(service, region_name=region, config=NO_RETRIES)
    # STS AssumeRole into the account: moto answers the calls made with these keys there.
    sts = boto3.client("sts", region_name=region, config=NO_RETRIES)
    keys = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/probe", RoleSessionName="probe")
    credentials = keys["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        config=NO_RETRIES,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


@pytest.fixture
def organization(mocked: None) -> dict[str, Any]:
    """Root > workloads (one account) > nested (one account), and one account left in the root."""
    org = _client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    workloads = org.create_organizational_unit(ParentId=root, Name="workloads")
    workloads_id = workloads["OrganizationalUnit"]["Id"]
    nested = org.create_organizational_unit(ParentId=workloads_id, Name="nested")
    nested_id = nested["OrganizationalUnit"]["Id"]

    def account(name: str, parent: str) -> str:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        account_id = str(status["CreateAccountStatus"]["AccountId"])
        if parent != root:
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        return account_id

    return {
        "root": root,
        "workloads": workloads_id,
        "in_workloads": account("one", workloads_id),
        "in_nested": account("two", nested_id),
        "in_root": account("three", root),
    }


def _stack_set(name: str = "acme-primary", **parameters: str) -> Any:
    cloudformation = _client("cloudformation")
    s3 = _client("s3")
    s3.create_bucket(Bucket="acme-artifacts-us-east-1")
    s3.put_object(Bucket="acme-artifacts-us-east-1", Key="member.json", Body=json.dumps(TEMPLATE))
    cloudformation.create_stack_set(
        StackSetName=name,
        TemplateURL="https://acme-artifacts-us-east-1.s3.us-east-1.amazonaws.com/member.json",
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": True},
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    return cloudformation


def test_given_ou_targets_when_instances_are_created_then_every_account_below_gets_one_per_region(
    organization: dict[str, Any],
) -> None:
    # Given
    cloudformation = _stack_set(NamePrefix="acme")
    # When
    cloudformation.create_stack_instances(
        StackSetName="acme-primary",
        DeploymentTargets={"OrganizationalUnitIds": [organization["workloads"]]},
        Regions=["us-east-1", "eu-west-1"],
    )
    # Then
    summaries = cloudformation.list_stack_instances(StackSetName="acme-primary")["Summaries"]
    assert sorted((s["Account"], s["Region"]) for s in summaries) == sorted(
        (account, region)
        for account in (organization["in_workloads"], organization["in_nested"])
        for region in ("us-east-1", "eu-west-1")
    )
    assert {s["StackInstanceStatus"]["DetailedStatus"] for s in summaries} == {"SUCCEEDED"}
    assert {s["OrganizationalUnitId"] for s in summaries} == {organization["workloads"]}


def test_given_the_root_as_target_when_instances_are_created_then_the_management_account_gets_none(
    organization: dict[str, Any],
) -> None:
    # Given
    cloudformation = _stack_set(NamePrefix="acme")
    # When
    cloudformation.create_stack_instances(
        StackSetName="acme-primary",
        DeploymentTargets={"OrganizationalUnitIds": [organization["root"]]},
        Regions=["us-east-1"],
    )
    # Then
    summaries = cloudformation.list_stack_instances(StackSetName="acme-primary")["Summaries"]
    accounts = {s["Account"] for s in summaries}
    assert MANAGEMENT not in accounts
    assert accounts == {
        organization["in_workloads"],
        organization["in_nested"],
        organization["in_root"],
    }


def test_given_an_instance_when_the_member_account_describes_its_stacks_then_it_sees_the_outputs(
    organization: dict[str, Any],
) -> None:
    # Given
    cloudformation = _stack_set(NamePrefix="acme", DrRegion="us-west-2")
    cloudformation.create_stack_instances(
        StackSetName="acme-primary",
        DeploymentTargets={"OrganizationalUnitIds": [organization["workloads"]]},
        Regions=["eu-west-1"],
    )
    member = organization["in_workloads"]
    summary = next(
        s
        for s in cloudformation.list_stack_instances(StackSetName="acme-primary")["Summaries"]
        if s["Account"] == member
    )
    # When
    stacks = _client("cloudformation", "eu-west-1", member).describe_stacks()["Stacks"]
    # Then
    assert [stack["StackId"] for stack in stacks] == [summary["StackId"]]
    stack = stacks[0]
    assert stack["StackName"].startswith("StackSet-acme-primary-")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["VaultArn"] == f"arn:aws:backup:eu-west-1:{member}:backup-vault:acme-primary"
    assert outputs["DrVaultArn"] == f"arn:aws:backup:us-west-2:{member}:backup-vault:acme-dr"
    assert len(outputs["QueueName"]) <= 80  # a generated name, shortened as CloudFormation does
    vaults = _client("backup", "eu-west-1", member).list_backup_vaults()["BackupVaultList"]
    assert [vault["BackupVaultName"] for vault in vaults] == ["acme-primary"]


def test_given_parameter_overrides_when_instances_are_created_then_they_override_only_those(
    organization: dict[str, Any],
) -> None:
    # Given
    cloudformation = _stack_set(NamePrefix="acme", DrRegion="us-west-2")
    # When
    cloudformation.create_stack_instances(
        StackSetName="acme-primary",
        DeploymentTargets={"OrganizationalUnitIds": [organization["workloads"]]},
        Regions=["eu-west-1"],
        ParameterOverrides=[{"ParameterKey": "DrRegion", "ParameterValue": "eu-central-1"}],
    )
    # Then
    instances = deployed_instances("acme-primary", account=MANAGEMENT, region=HOME)
    assert {i.parameters["DrRegion"] for i in instances} == {"eu-central-1"}
    assert {i.parameters["NamePrefix"] for i in instances} == {"acme"}
    described = cloudformation.describe_stack_instance(
        StackSetName="acme-primary",
        StackInstanceAccount=organization["in_nested"],
        StackInstanceRegion="eu-west-1",
    )["StackInstance"]
    assert described["ParameterOverrides"] == [
        {"ParameterKey": "DrRegion", "ParameterValue": "eu-central-1"}
    ]


def test_given_a_stack_that_cannot_be_created_when_instances_are_created_then_the_operation_fails(
    organization: dict[str, Any],
) -> None:
    # Given: NamePrefix has no default and the stack set does not pass it
    cloudformation = _stack_set()
    # When
    operation = cloudformation.create_stack_instances(
        StackSetName="acme-primary",
        DeploymentTargets={"OrganizationalUnitIds": [organization["workloads"]]},
        Regions=["us-east-1"],
    )
    # Then
    described = cloudformation.describe_stack_set_operation(
        StackSetName="acme-primary", OperationId=operation["OperationId"]
    )
    assert described["StackSetOperation"]["Status"] == "FAILED"
    summaries = cloudformation.list_stack_instances(StackSetName="acme-primary")["Summaries"]
    assert {s["StackInstanceStatus"]["DetailedStatus"] for s in summaries} == {"FAILED"}
    assert all("NamePrefix" in s["StatusReason"] for s in summaries)


def test_given_an_existing_instance_when_created_again_then_nothing_new_is_deployed(
    organization: dict[str, Any],
) -> None:
    # Given
    cloudformation = _stack_set(NamePrefix="acme")
    targets = {"OrganizationalUnitIds": [organization["workloads"]]}
    cloudformation.create_stack_instances(
        StackSetName="acme-primary", DeploymentTargets=targets, Regions=["us-east-1"]
    )
    first = cloudformation.list_stack_instances(StackSetName="acme-primary")["Summaries"]
    # When
    cloudformation.create_stack_instances(
        StackSetName="acme-primary", DeploymentTargets=targets, Regions=["us-east-1"]
    )
    # Then
    again = cloudformation.list_stack_instances(StackSetName="acme-primary")["Summaries"]
    assert sorted(s["StackId"] for s in again) == sorted(s["StackId"] for s in first)


def test_given_the_emulator_server_when_a_stack_set_is_deployed_then_members_describe_it() -> None:
    from tests.local_server import emulator_server  # noqa: PLC0415 - a server for this test only

    with emulator_server() as endpoint:

        def client(service: str, **keys: str) -> Any:
            return boto3.client(
                service, region_name=HOME, endpoint_url=endpoint, config=NO_RETRIES, **keys
            )

        # Given: an organization, one member account in an OU, the stack set deployed to it
        org = client("organizations")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        ou = org.create_organizational_unit(ParentId=root, Name="w")["OrganizationalUnit"]["Id"]
        member = org.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"][
            "AccountId"
        ]
        org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
        cloudformation = client("cloudformation")
        cloudformation.create_stack_set(
            StackSetName="acme-primary",
            TemplateBody=json.dumps(TEMPLATE),
            PermissionModel="SERVICE_MANAGED",
            Parameters=[{"ParameterKey": "NamePrefix", "ParameterValue": "acme"}],
        )
        cloudformation.create_stack_instances(
            StackSetName="acme-primary",
            DeploymentTargets={"OrganizationalUnitIds": [ou]},
            Regions=[HOME],
        )
        summaries = cloudformation.list_stack_instances(StackSetName="acme-primary")["Summaries"]
        # When: the member account describes its stacks
        credentials = client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{member}:role/probe", RoleSessionName="probe"
        )["Credentials"]
        stacks = client(
            "cloudformation",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        ).describe_stacks()["Stacks"]
    # Then
    assert [(s["Account"], s["StackId"]) for s in summaries] == [(member, stacks[0]["StackId"])]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0]["Outputs"]}
    assert outputs["VaultArn"] == f"arn:aws:backup:{HOME}:{member}:backup-vault:acme-primary"
