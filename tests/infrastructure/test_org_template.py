"""org/template.yaml: the artifact bucket of a Region and the DR and primary stack sets.

Contract tests on the parsed template, and against the member template that make org-package
expands from template.yaml: what the stack sets pass, the member template must declare.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from org.package import Artifact, expand, load_template
from tests.template_loader import TEMPLATE_PATH

ORG_TEMPLATE = TEMPLATE_PATH.parent / "org" / "template.yaml"
STACK_SETS = ("DrStackSet", "PrimaryStackSet")
NAMED_IAM = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}


@pytest.fixture(scope="module")
def org() -> dict[str, Any]:
    return load_template(ORG_TEMPLATE)


@pytest.fixture(scope="module")
def member() -> dict[str, Any]:
    source = load_template(TEMPLATE_PATH)
    artifacts = {}
    for logical_id, resource in source["Resources"].items():
        if resource["Type"].startswith("AWS::Serverless::"):
            digest = hashlib.sha256(logical_id.encode()).hexdigest()
            artifacts[logical_id] = Artifact(Path(f"/nowhere/{digest}.zip"), digest, 1)
    return expand(source, artifacts)


def _properties(org: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = org["Resources"][name]["Properties"]
    return properties


def _passed(org: dict[str, Any], name: str) -> dict[str, Any]:
    return {p["ParameterKey"]: p["ParameterValue"] for p in _properties(org, name)["Parameters"]}


@pytest.mark.parametrize("name", STACK_SETS)
def test_each_stack_set_is_service_managed_and_follows_the_ous(
    org: dict[str, Any], name: str
) -> None:
    properties = _properties(org, name)
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["CallAs"] == {"Ref": "CallAs"}
    assert org["Parameters"]["CallAs"]["AllowedValues"] == ["SELF", "DELEGATED_ADMIN"]
    # Accounts that join a target OU get their stacks; leaving it keeps them (said explicitly)
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": True}
    assert properties["ManagedExecution"] == {"Active": True}
    (group,) = properties["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {
        "OrganizationalUnitIds": {"Ref": "TargetOrganizationalUnitIds"}
    }


def test_the_dr_and_primary_stack_sets_deploy_to_their_own_regions(org: dict[str, Any]) -> None:
    assert _properties(org, "DrStackSet")["StackInstancesGroup"][0]["Regions"] == {
        "Ref": "DrRegions"
    }
    assert _properties(org, "PrimaryStackSet")["StackInstancesGroup"][0]["Regions"] == {
        "Ref": "PrimaryRegions"
    }


@pytest.mark.parametrize("name", STACK_SETS)
def test_operation_preferences_bound_failures_and_concurrency(
    org: dict[str, Any], name: str
) -> None:
    preferences = _properties(org, name)["OperationPreferences"]
    assert preferences == {
        "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
        "FailureTolerancePercentage": {"Ref": "FailureTolerancePercentage"},
        "MaxConcurrentPercentage": {"Ref": "MaxConcurrentPercentage"},
        "RegionConcurrencyType": {"Ref": "RegionConcurrencyType"},
    }


def test_the_dr_stack_set_comes_first(org: dict[str, Any]) -> None:
    # The primary stacks copy into the DR vaults: CloudFormation creates the DR instances first,
    # and DeployStackSets=dr deploys them alone.
    assert org["Resources"]["PrimaryStackSet"]["DependsOn"] == "DrStackSet"
    assert org["Conditions"]["DeploysPrimary"] == {
        "Fn::Equals": [{"Ref": "DeployStackSets"}, "dr-and-primary"]
    }


@pytest.mark.parametrize("name", STACK_SETS)
def test_the_member_template_comes_from_the_regions_artifact_bucket(
    org: dict[str, Any], name: str
) -> None:
    url = _properties(org, name)["TemplateURL"]["Fn::Sub"]
    assert url == (
        "https://${ArtifactBucketPrefix}-${AWS::Region}.s3.${AWS::Region}.${AWS::URLSuffix}"
        "/${MemberTemplateKey}"
    )


@pytest.mark.parametrize(("name", "role"), [("DrStackSet", "dr"), ("PrimaryStackSet", "primary")])
def test_each_stack_set_gives_its_role_and_the_shared_settings(
    org: dict[str, Any], name: str, role: str
) -> None:
    passed = _passed(org, name)
    assert passed["StackRole"] == role
    # Stack instance names are generated (StackSet-<name>-<id>): NamePrefix names everything
    assert passed["NamePrefix"] == {"Ref": "NamePrefix"}
    assert passed["ArtifactBucketPrefix"] == {"Ref": "ArtifactBucketPrefix"}


@pytest.mark.parametrize("name", STACK_SETS)
def test_every_parameter_passed_is_declared_by_the_member_template(
    org: dict[str, Any], member: dict[str, Any], name: str
) -> None:
    # A stack instance with an undeclared parameter fails to create
    assert set(_passed(org, name)) <= set(member["Parameters"])


def test_the_name_prefix_fits_the_member_templates_constraint(
    org: dict[str, Any], member: dict[str, Any]
) -> None:
    # Required here (no default: the generated stack names are too long for vault names), and
    # no longer than the member template accepts
    declared = org["Parameters"]["NamePrefix"]
    assert "Default" not in declared
    assert declared["AllowedPattern"] == "^[A-Za-z][A-Za-z0-9-]{0,37}$"
    assert member["Parameters"]["NamePrefix"]["MaxLength"] == 38


@pytest.mark.parametrize("name", STACK_SETS)
def test_the_capabilities_cover_the_member_templates_iam(
    org: dict[str, Any], member: dict[str, Any], name: str
) -> None:
    # Given the IAM resources of the member template / Then the stack set acknowledges them
    resources = member["Resources"].values()
    iam = [r for r in resources if r["Type"].startswith("AWS::IAM::")]
    named = [r for r in iam if NAMED_IAM.get(r["Type"]) in r.get("Properties", {})]
    capabilities = set(_properties(org, name)["Capabilities"])
    assert iam
    assert "CAPABILITY_IAM" in capabilities
    assert bool(named) == ("CAPABILITY_NAMED_IAM" in capabilities)


def test_the_organization_may_only_read_the_artifacts(org: dict[str, Any]) -> None:
    statements = _properties(org, "ArtifactBucketPolicy")["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "OrganizationReadsArtifacts",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:s3:::${ArtifactBucketPrefix}-${AWS::Region}/*"
            },
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}},
        }
    ]


def test_the_artifact_bucket_refuses_plain_http(org: dict[str, Any]) -> None:
    statements = _properties(org, "ArtifactBucketPolicy")["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "s3:*"


def test_the_bucket_is_named_as_the_member_template_and_org_publish_expect(
    org: dict[str, Any],
) -> None:
    from org.publish import bucket_name  # noqa: PLC0415

    assert _properties(org, "ArtifactBucket")["BucketName"] == {
        "Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"
    }
    assert bucket_name("p", "eu-west-1") == "p-eu-west-1"


def test_the_bucket_outlives_the_stack(org: dict[str, Any]) -> None:
    # The member stacks keep referring to their code for updates and rollbacks
    bucket = org["Resources"]["ArtifactBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"


def test_the_member_template_fits_a_stack_sets_template_url(member: dict[str, Any]) -> None:
    # TemplateURL: "max size: 460,800 bytes" (AWS::CloudFormation::StackSet resource schema)
    assert len(json.dumps(member, indent=1)) < 460_800


def test_the_stack_sets_need_a_published_member_template(org: dict[str, Any]) -> None:
    rule = org["Rules"]["StackSetsNeedTheMemberTemplate"]
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "MemberTemplateKey"}, ""]}]
    }


# Resources whose names are global in an account (not per Region), and their name property.
# "All dashboards in your account are global, not region-specific."
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html)
GLOBAL_NAMES = {"AWS::CloudWatch::Dashboard": "DashboardName", **NAMED_IAM}


def test_no_globally_named_resource_collides_between_the_regions_of_an_account(
    member: dict[str, Any],
) -> None:
    # Given one NamePrefix for every instance of an account (primary Regions and the DR Region)
    # Then every account-global name differs by Region
    for logical_id, resource in member["Resources"].items():
        name = resource.get("Properties", {}).get(GLOBAL_NAMES.get(resource["Type"], ""))
        if name is not None:
            assert "AWS::Region" in json.dumps(name), logical_id
