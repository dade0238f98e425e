"""An organization on moto: stack sets whose instances run in several accounts and Regions.

Shared by ``tests/copyctl/test_copyctl_status_org.py`` and the bench's ``org-status``.

moto keeps one backend per account and Region; an assumed role's credentials select its account.
Each member stack (a small stand-in of template.yaml: the ledger table, the reader role named by
``adapters.organization.reader_role_name``, the outputs ``copyctl status --stack`` reads) gets
recovery points in its source vault, some of them protected in its ledger.

Two gaps of moto 5.2.5 are closed while ``moto_organization_gaps`` is active:
- ListStackInstances invents a new random StackId on every call; AWS returns the instance's stack
  (``StackId``, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceSummary.html).
- AssumeRole succeeds for a role that does not exist; AWS refuses it with AccessDenied
  (``emulator.moto_patches.sts``, which the ``--org`` demo uses as well).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
from moto.cloudformation.models import StackInstance
from moto.core.models import DEFAULT_ACCOUNT_ID

import emulator
from emulator.moto_patches.sts import any_role, roles_must_exist
from localrun.samples import create_tracking_ledger_table

ADMIN_ACCOUNT = DEFAULT_ACCOUNT_ID
HOME_REGION = "us-east-1"
PREFIX = "backup"

MEMBER_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  StackRole: {Type: String}
  WithReader: {Type: String, Default: "true"}
Conditions:
  HasReader: !Equals [!Ref WithReader, "true"]
Resources:
  LedgerTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub backup-ledger-${StackRole}
      BillingMode: PAY_PER_REQUEST
      KeySchema:
        - {AttributeName: RecoveryPointArn, KeyType: HASH}
        - {AttributeName: DestinationVaultArn, KeyType: RANGE}
      AttributeDefinitions:
        - {AttributeName: RecoveryPointArn, AttributeType: S}
        - {AttributeName: DestinationVaultArn, AttributeType: S}
  OrganizationReaderRole:
    Type: AWS::IAM::Role
    Condition: HasReader
    Properties:
      RoleName: !Sub backup-copy-org-reader-${AWS::Region}-${StackRole}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::123456789012:root"}
            Action: sts:AssumeRole
Outputs:
  SourceVaultNames:
    Value: !Sub backup-${StackRole}-daily
  LagVaultArn:
    Value: !Sub arn:aws:backup:${AWS::Region}:${AWS::AccountId}:backup-vault:backup-lag
  ManagedKeyVaultArn:
    Value: !Sub arn:aws:backup:${AWS::Region}:${AWS::AccountId}:backup-vault:backup-managed
  CopyJobRoleArn:
    Value: !Sub arn:aws:iam::${AWS::AccountId}:role/backup-copy-role
  LedgerTableName:
    Value: !Ref LedgerTable
  ReconcileLookBackDays:
    Value: "0"
"""


@dataclass(frozen=True)
class Member:
    account: str
    region: str
    stack_role: str
    protected: int
    unprotected: int
    reader: bool = True

    @property
    def vault(self) -> str:
        return f"{PREFIX}-{self.stack_role}-daily"


def _instance_stack_id(self: StackInstance) -> dict[str, Any]:
    return {**_original_to_dict(self), "StackId": self.stack.stack_id}


_original_to_dict = StackInstance.to_dict


@contextmanager
def moto_organization_gaps() -> Iterator[None]:
    with mock.patch.object(StackInstance, "to_dict", _instance_stack_id), roles_must_exist():
        yield


def deploy(members: list[Member]) -> None:
    """The two stack sets (self-managed on moto: it deploys only those), their instances, data."""
    cloudformation = boto3.client("cloudformation", region_name=HOME_REGION)
    for stack_role in ("primary", "dr"):
        name = f"{PREFIX}-{stack_role}"
        cloudformation.create_stack_set(
            StackSetName=name,
            TemplateBody=MEMBER_TEMPLATE,
            Parameters=[{"ParameterKey": "StackRole", "ParameterValue": stack_role}],
        )
        for member in (m for m in members if m.stack_role == stack_role):
            overrides: list[Any] = [
                {"ParameterKey": "StackRole", "ParameterValue": stack_role},
                {"ParameterKey": "WithReader", "ParameterValue": str(member.reader).lower()},
            ]
            cloudformation.create_stack_instances(
                StackSetName=name,
                Accounts=[member.account],
                Regions=[member.region],
                ParameterOverrides=overrides,
            )
    for member in members:
        _create_ledger_table(member)
        _fill(member)


def _create_ledger_table(member: Member) -> None:
    """The member stack's ledger table: the emulator's provisioner only names tables
    (emulator/cloudformation/provision.py); it creates the reader role itself."""
    credentials: dict[str, Any] = dict(credentials_in(member.account, member.region))
    dynamodb: Any = boto3.client("dynamodb", region_name=member.region, **credentials)
    create_tracking_ledger_table(dynamodb, f"backup-ledger-{member.stack_role}")


def _fill(member: Member) -> None:
    """Recovery points in the member's vault; the first ``protected`` of them copied."""
    credentials: dict[str, Any] = dict(credentials_in(member.account, member.region))
    table: Any = boto3.client("dynamodb", region_name=member.region, **credentials)
    backup: Any = boto3.client("backup", region_name=member.region, **credentials)
    backup.create_backup_vault(BackupVaultName=member.vault)
    for index in range(member.protected + member.unprotected):
        arn = emulator.seed_recovery_point(
            member.vault,
            account=member.account,
            region=member.region,
            resource_type="S3",
            creation_date=datetime.now(UTC) - timedelta(hours=index + 1),
        )
        if index < member.protected:
            table.put_item(
                TableName=f"backup-ledger-{member.stack_role}",
                Item={
                    "RecoveryPointArn": {"S": arn},
                    "DestinationVaultArn": {
                        "S": f"arn:aws:backup:{member.region}:{member.account}:"
                        "backup-vault:backup-managed"
                    },
                    "State": {"S": "protected"},
                    "Reason": {"S": "copy-to-managed"},
                    "SourceVaultName": {"S": member.vault},
                    "ResourceType": {"S": "S3"},
                },
            )


def credentials_in(account: str, region: str) -> dict[str, str]:
    """Credentials of an assumed role in the account (moto picks the account by them)."""
    sts = boto3.client("sts", region_name=region)
    role = f"arn:aws:iam::{account}:role/setup"
    answer = _original_assume_role_via_api(sts, role)
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


def _original_assume_role_via_api(sts: Any, role_arn: str) -> dict[str, str]:
    """Set-up roles need not exist: moto's own AssumeRole, whatever is patched."""
    with any_role():
        credentials: dict[str, str] = sts.assume_role(RoleArn=role_arn, RoleSessionName="setup")[
            "Credentials"
        ]
        return credentials
