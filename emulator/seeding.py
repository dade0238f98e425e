"""Recovery points and resources put straight into the emulator, without any backup job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulator import arns, rules
from emulator.backend import EmulatorBackend
from emulator.clock import as_utc
from emulator.control import control
from emulator.models import LAG_VAULT, RecoveryPoint, ResourceInfo

# A plausible resource ARN per type, for seeds that do not name one.
_RESOURCE_TEMPLATES = {
    "EBS": "arn:aws:ec2:{region}:{account}:volume/vol-{hex}",
    "EC2": "arn:aws:ec2:{region}:{account}:instance/i-{hex}",
    "RDS": "arn:aws:rds:{region}:{account}:db:db-{hex}",
    "Aurora": "arn:aws:rds:{region}:{account}:cluster:aurora-{hex}",
    "DocumentDB": "arn:aws:rds:{region}:{account}:cluster:docdb-{hex}",
    "Neptune": "arn:aws:rds:{region}:{account}:cluster:neptune-{hex}",
    "S3": "arn:aws:s3:::bucket-{hex}",
    "EFS": "arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{hex}",
    "DynamoDB": "arn:aws:dynamodb:{region}:{account}:table/table-{hex}",
    "FSx": "arn:aws:fsx:{region}:{account}:file-system/fs-{hex}",
    "Storage Gateway": (
        "arn:aws:storagegateway:{region}:{account}:gateway/sgw-{hex}/volume/vol-{hex}"
    ),
    "Redshift": "arn:aws:redshift:{region}:{account}:cluster:redshift-{hex}",
    "Redshift Serverless": "arn:aws:redshift-serverless:{region}:{account}:namespace/{hex}",
    "EKS": "arn:aws:eks:{region}:{account}:cluster/eks-{hex}",
    "Timestream": "arn:aws:timestream:{region}:{account}:database/db-{hex}/table/t-{hex}",
    "CloudFormation": "arn:aws:cloudformation:{region}:{account}:stack/stack-{hex}/{hex}",
    "VirtualMachine": "arn:aws:backup-gateway:{region}:{account}:vm/vm-{hex}",
    "DSQL": "arn:aws:dsql:{region}:{account}:cluster/{hex}",
    "SAP HANA on Amazon EC2": "arn:aws:ssm-sap:{region}:{account}:HANA/hana-{hex}/DB/db-{hex}",
}


def example_resource_arn(resource_type: str, region: str, account: str) -> str:
    hex_id = f"{control().ids.getrandbits(68):017x}"
    return _RESOURCE_TEMPLATES[resource_type].format(region=region, account=account, hex=hex_id)


def seed_recovery_point(
    backend: EmulatorBackend,
    vault_name: str,
    *,
    resource_type: str = "EBS",
    resource_arn: str | None = None,
    creation_date: datetime | None = None,
    lifecycle: dict[str, Any] | None = None,
    storage_class: str = "WARM",
    encryption_key_arn: str | None = "vault",
    parent_recovery_point_arn: str | None = None,
    delete_after_event: str | None = None,
    continuous: bool = False,
    dynamodb_advanced: bool | None = None,
    created_by: dict[str, str] | None = None,
    status: str = "COMPLETED",
    size_in_bytes: int = 10 * 2**30,
    recovery_point_arn: str | None = None,
) -> RecoveryPoint:
    """A completed recovery point; ``encryption_key_arn="vault"`` takes the vault's key."""
    state = control()
    region, account = backend.region_name, backend.account_id
    resource_arn = resource_arn or example_resource_arn(resource_type, region, account)
    advanced = (
        state.config.dynamodb_advanced_features if dynamodb_advanced is None else dynamodb_advanced
    )
    fully_managed = rules.is_fully_managed(resource_type, dynamodb_advanced=advanced)
    arn = recovery_point_arn or _seed_arn(
        backend,
        vault_name,
        resource_type,
        resource_arn,
        continuous=continuous,
        dynamodb_advanced=advanced,
    )
    key = backend.vault_key(vault_name) if encryption_key_arn == "vault" else encryption_key_arn
    created = as_utc(creation_date) if creation_date else state.clock.now()
    lifecycle = dict(lifecycle or {})
    if delete_after_event:
        lifecycle["DeleteAfterEvent"] = delete_after_event
    point = RecoveryPoint(
        arn=arn,
        vault_name=vault_name,
        vault_arn=arns.vault_arn(region, account, vault_name),
        vault_type=backend.extras(vault_name).vault_type,
        resource_arn=resource_arn,
        resource_type=resource_type,
        creation_date=created,
        completion_date=created + timedelta(minutes=10),
        encryption_key_arn=key,
        encryption_key_type=_key_type(backend, vault_name, key),
        lifecycle=lifecycle,
        storage_class=storage_class,
        status=status,
        iam_role_arn=f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole",
        created_by=created_by,
        parent_recovery_point_arn=parent_recovery_point_arn,
        size_in_bytes=size_in_bytes,
        fully_managed=fully_managed,
    )
    return backend.add_recovery_point(point)


def _seed_arn(
    backend: EmulatorBackend,
    vault_name: str,
    resource_type: str,
    resource_arn: str,
    *,
    continuous: bool,
    dynamodb_advanced: bool,
) -> str:
    region, account, ids = backend.region_name, backend.account_id, control().ids
    if continuous:
        return arns.continuous_recovery_point_arn(region, account, ids)
    if backend.extras(vault_name).vault_type == LAG_VAULT:
        return arns.backup_recovery_point_arn(region, account, ids)
    return arns.recovery_point_arn(
        resource_type,
        resource_arn,
        region=region,
        account=account,
        rng=ids,
        dynamodb_advanced=dynamodb_advanced,
    )


def _key_type(backend: EmulatorBackend, vault_name: str, key: str | None) -> str | None:
    if key is None:
        return None
    if key == backend.vault_key(vault_name):
        return backend.vault_key_type(vault_name)
    return rules.CUSTOMER_MANAGED


def register_resource(
    backend: EmulatorBackend,
    resource_arn: str,
    *,
    resource_type: str | None = None,
    encryption_key_arn: str | None = None,
    tags: dict[str, str] | None = None,
    size_in_bytes: int = 10 * 2**30,
) -> ResourceInfo:
    info = ResourceInfo(
        arn=resource_arn,
        resource_type=resource_type or arns.resource_type_of(resource_arn),
        encryption_key_arn=encryption_key_arn,
        tags=dict(tags or {}),
        size_in_bytes=size_in_bytes,
    )
    return backend.register_resource(info)
