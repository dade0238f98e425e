"""An organization on the emulator, deployed as an administrator would deploy it (README:
"Deploy across an organization"): Organizations with the member accounts in an OU, the packaged
member template published to one artifact bucket per Region (``org.publish``), then the DR and
the primary stack sets of org/template.yaml (``org.stack_sets``) created through the
CloudFormation API and deployed to the OU. The emulator turns every stack instance into a stack
in its account and Region; this module reads each back as a ``DemoStack``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from demo.org_stack import in_account, instance_stack
from demo.stack import DemoStack
from emulator.cloudformation import stacksets
from localrun.custom_resources import LocalInvoker
from org.package import PackagedTemplate, package
from org.publish import bucket_name, publish
from org.stack_sets import StackSetRequest, stack_set_requests

HOME_REGION = "us-east-1"  # where org/template.yaml's stack sets live
DR_REGION = "us-west-2"
# Primary Regions in the order --org A:R takes them.
PRIMARY_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-east-2")
ARTIFACT_BUCKET_PREFIX = "demo-backup-artifacts"
NAME_PREFIX = "acme-backup"
WORKLOADS_OU = "workloads"
_NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass(frozen=True, slots=True)
class Instance:
    """One deployed stack instance: which stack set (role), where, and its stack."""

    role: str  # "dr" or "primary" (the member template's StackRole)
    account: str
    region: str
    stack: DemoStack

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.role}"


@dataclass(slots=True)
class Organization:
    management_account: str
    ou_id: str
    accounts: list[str]
    stack_sets: list[StackSetRequest]
    instances: list[Instance]
    packaged: PackagedTemplate
    package_seconds: float  # make org-package, once for the organization


def primary_regions(count: int) -> list[str]:
    if not 1 <= count <= len(PRIMARY_REGIONS):
        raise ValueError(f"between 1 and {len(PRIMARY_REGIONS)} primary Regions")
    return list(PRIMARY_REGIONS[:count])


def deploy_organization(
    accounts: int, regions: list[str], *, build_dir: Path, log: Any = None
) -> Organization:
    """In the current moto mock: the organization, the artifacts, both stack sets, every
    instance. Raises if a stack instance failed (its reason in the message)."""
    management = boto3.client("sts", region_name=HOME_REGION).get_caller_identity()["Account"]
    ou_id, members = _create_organization(accounts)
    started = time.perf_counter()
    packaged = package(output=build_dir)
    package_seconds = time.perf_counter() - started
    template_url = _publish(sorted({*regions, DR_REGION, HOME_REGION}), build_dir)
    requests = stack_set_requests(
        {
            "ArtifactBucketPrefix": ARTIFACT_BUCKET_PREFIX,
            "OrganizationId": _organization_id(),
            "DeployStackSets": "dr-and-primary",
            "MemberTemplateKey": template_url.rsplit("/", 1)[-1],
            "TargetOrganizationalUnitIds": ou_id,
            "PrimaryRegions": ",".join(regions),
            "DrRegions": DR_REGION,
            "NamePrefix": NAME_PREFIX,
            # The management account plays the monitoring account: every member stack gets the
            # reader role that copyctl status --org assumes (the demo's organization view).
            "MonitoringAccountId": management,
        },
        account=management,
        region=HOME_REGION,
    )
    stacksets.set_custom_resource_invoker(
        lambda _account, _region, stack_name: LocalInvoker(stack_name, log=log)
    )
    try:
        instances = [
            instance
            for request in requests
            for instance in _deploy_stack_set(request, template_url, management)
        ]
    finally:
        stacksets.set_custom_resource_invoker(None)
    return Organization(management, ou_id, members, requests, instances, packaged, package_seconds)


def _create_organization(accounts: int) -> tuple[str, list[str]]:
    organizations = boto3.client("organizations", region_name=HOME_REGION, config=_NO_RETRIES)
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    ou = organizations.create_organizational_unit(ParentId=root, Name=WORKLOADS_OU)
    ou_id = ou["OrganizationalUnit"]["Id"]
    members = []
    for number in range(1, accounts + 1):
        created = organizations.create_account(
            AccountName=f"workload-{number:03d}", Email=f"workload-{number:03d}@example.com"
        )
        account = created["CreateAccountStatus"]["AccountId"]
        organizations.move_account(
            AccountId=account, SourceParentId=root, DestinationParentId=ou_id
        )
        members.append(account)
    return ou_id, members


def _organization_id() -> str:
    organizations = boto3.client("organizations", region_name=HOME_REGION, config=_NO_RETRIES)
    return str(organizations.describe_organization()["Organization"]["Id"])


def _publish(regions: list[str], build_dir: Path) -> str:
    """make org-publish into the management account's buckets (org/template.yaml creates them
    with ArtifactBuckets=create); the member template's URL in the home Region."""
    for region in regions:
        s3: Any = boto3.client("s3", region_name=region, config=_NO_RETRIES)
        location = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(
            Bucket=bucket_name(ARTIFACT_BUCKET_PREFIX, region),
            **({"CreateBucketConfiguration": location} if location else {}),
        )
    report = publish(
        ARTIFACT_BUCKET_PREFIX,
        regions,
        lambda region: boto3.client("s3", region_name=region, config=_NO_RETRIES),
        build_dir,
    )
    return report.template_urls[HOME_REGION]


def _deploy_stack_set(
    request: StackSetRequest, template_url: str, management: str
) -> list[Instance]:
    cloudformation = boto3.client("cloudformation", region_name=HOME_REGION, config=_NO_RETRIES)
    cloudformation.create_stack_set(**request.create_stack_set_arguments(template_url))
    cloudformation.create_stack_instances(
        StackSetName=request.name,
        DeploymentTargets={"OrganizationalUnitIds": request.organizational_unit_ids},
        Regions=request.regions,
    )
    deployed = stacksets.deployed_instances(request.name, account=management, region=HOME_REGION)
    failed = [f"{d.account}/{d.region}: {d.reason}" for d in deployed if d.status != "SUCCEEDED"]
    if failed:
        raise RuntimeError(f"stack set {request.name}: instances failed: {'; '.join(failed)}")
    role = request.parameters["StackRole"]
    instances = []
    for item in deployed:
        with in_account(item.account, item.region):
            stack = instance_stack(
                item.provisioned,
                stack_name=item.stack_name,
                account=item.account,
                region=item.region,
            )
        instances.append(Instance(role, item.account, item.region, stack))
    return instances
