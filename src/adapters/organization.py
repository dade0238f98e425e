"""The organization's member stacks, and a read-only session in each (``copyctl status --org``).

- ``member_stacks``: CloudFormation ListStackInstances of the product's stack sets, from the
  management or delegated administrator account ("CallAs": DELEGATED_ADMIN from a delegated
  administrator, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackInstances.html).
- ``reader_connection``: STS AssumeRole of the member stack's ``OrganizationReaderRole``, whose name
  follows from the Region and the stack role (``reader_role_name``; template.yaml), so no call has
  to find it (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.aws_errors import translated
from adapters.sessions import Connection, TemporaryCredentials, client_of, session_of

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_sts import STSClient

READER_ROLE_PREFIX = "backup-copy-org-reader"
SESSION_NAME = "copyctl-status-org"
# The session lasts one walk of one member; 900 s is AssumeRole's minimum DurationSeconds.
SESSION_SECONDS = 900


@dataclass(frozen=True, slots=True)
class MemberStack:
    """One stack instance of a stack set: an account and Region running the product."""

    stack_set: str
    stack_role: str  # primary | dr: the member template's StackRole
    account: str
    region: str
    stack_id: str | None  # absent until the instance's stack exists
    status: str  # CURRENT | OUTDATED | INOPERABLE
    status_reason: str = ""


def reader_role_name(region: str, stack_role: str) -> str:
    """template.yaml's OrganizationReaderRole name: unique per account, Region and stack role."""
    return f"{READER_ROLE_PREFIX}-{region}-{stack_role}"


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def reader_role_arn(member: MemberStack) -> str:
    name = reader_role_name(member.region, member.stack_role)
    return f"arn:{partition_of(member.region)}:iam::{member.account}:role/{name}"


def member_stacks(
    connection: Connection, stack_sets: Iterable[tuple[str, str]], *, call_as: str
) -> list[MemberStack]:
    """Every instance of the stack sets, given as (stack set name, stack role) pairs."""
    client: CloudFormationClient = client_of(session_of(connection), "cloudformation", connection)
    members: list[MemberStack] = []
    for name, stack_role in stack_sets:
        members += list_instances(client, name, stack_role, call_as=call_as)
    return members


def list_instances(
    client: CloudFormationClient, stack_set: str, stack_role: str, *, call_as: str
) -> list[MemberStack]:
    members: list[MemberStack] = []
    request: dict[str, Any] = {"StackSetName": stack_set, "CallAs": call_as}
    while True:
        with translated("ListStackInstances"):
            answer = client.list_stack_instances(**request)
        members += [_member(stack_set, stack_role, s) for s in answer.get("Summaries", [])]
        if not answer.get("NextToken"):
            return members
        request["NextToken"] = answer["NextToken"]


def reader_connection(connection: Connection, member: MemberStack) -> Connection:
    """The member's Region, under the reader role's temporary credentials."""
    sts: STSClient = client_of(session_of(connection), "sts", connection)
    return Connection(
        region=member.region,
        endpoint_url=connection.endpoint_url,
        credentials=assume_reader(sts, member),
    )


def assume_reader(sts: STSClient, member: MemberStack) -> TemporaryCredentials:
    with translated("AssumeRole"):
        answer = sts.assume_role(
            RoleArn=reader_role_arn(member),
            RoleSessionName=SESSION_NAME,
            DurationSeconds=SESSION_SECONDS,
        )
    credentials = answer["Credentials"]
    return TemporaryCredentials(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )


def _member(stack_set: str, stack_role: str, summary: Any) -> MemberStack:
    detail = summary.get("StackInstanceStatus", {}).get("DetailedStatus", "")
    reason = summary.get("StatusReason") or detail
    return MemberStack(
        stack_set=stack_set,
        stack_role=stack_role,
        account=summary["Account"],
        region=summary["Region"],
        stack_id=summary.get("StackId") or None,
        status=summary.get("Status", ""),
        status_reason=str(reason),
    )
