"""ARNs the emulator hands out and reads: vaults, keys, recovery points, resource types.

Recovery point ARN shapes: https://docs.aws.amazon.com/aws-backup/latest/devguide/whatisbackup.html#full-management
(fully managed types live in the AWS Backup namespace, the others keep their service's native ARN).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from emulator import rules

_ARN_PARTS = 6


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse(value: str) -> Arn:
    parts = value.split(":", 5)
    if len(parts) != _ARN_PARTS or parts[0] != "arn":
        raise ValueError(f"not an ARN: {value!r}")
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def vault_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:backup:{region}:{account}:backup-vault:{name}"


def vault_name(arn: str) -> str:
    return parse(arn).resource.split(":", 1)[1]


def plan_arn(region: str, account: str, plan_id: str) -> str:
    return f"arn:aws:backup:{region}:{account}:backup-plan:{plan_id}"


def kms_key_arn(region: str, account: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _hex(rng: random.Random, length: int) -> str:
    return f"{rng.getrandbits(4 * length):0{length}x}"


def backup_recovery_point_arn(region: str, account: str, rng: random.Random) -> str:
    return f"arn:aws:backup:{region}:{account}:recovery-point:{new_uuid(rng)}"


def continuous_recovery_point_arn(region: str, account: str, rng: random.Random) -> str:
    return (
        f"arn:aws:backup:{region}:{account}:recovery-point:continuous:{_hex(rng, 8)}-{_hex(rng, 8)}"
    )


# Native recovery point ARNs of the types that are not fully managed (whatisbackup.html).
_NATIVE_TEMPLATES = {
    "EBS": "arn:aws:ec2:{region}::snapshot/snap-{hex17}",
    "Storage Gateway": "arn:aws:ec2:{region}::snapshot/snap-{hex17}",
    "EC2": "arn:aws:ec2:{region}::image/ami-{hex17}",
    "RDS": "arn:aws:rds:{region}:{account}:snapshot:awsbackup:job-{uuid}",
    "RDS cluster": "arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{uuid}",
    "Aurora": "arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{uuid}",
    "DocumentDB": "arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{uuid}",
    "Neptune": "arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{uuid}",
    "DynamoDB": "arn:aws:dynamodb:{region}:{account}:table/{table}/backup/{ddb}",
    "FSx": "arn:aws:fsx:{region}:{account}:backup/backup-{hex17}",
    "Redshift": "arn:aws:redshift:{region}:{account}:snapshot:cluster/awsbackup:job-{uuid}",
    "Redshift Serverless": "arn:aws:redshift-serverless:{region}:{account}:snapshot/{uuid}",
}


def recovery_point_arn(
    resource_type: str,
    resource_arn: str,
    *,
    region: str,
    account: str,
    rng: random.Random,
    dynamodb_advanced: bool,
) -> str:
    """The ARN AWS gives a new recovery point of this type, created in region/account."""
    template = _NATIVE_TEMPLATES.get(resource_type)
    if template is None or rules.is_fully_managed(
        resource_type, dynamodb_advanced=dynamodb_advanced
    ):
        return backup_recovery_point_arn(region, account, rng)
    if resource_type == "RDS" and ":cluster:" in resource_arn:
        template = _NATIVE_TEMPLATES["RDS cluster"]
    return template.format(
        region=region,
        account=account,
        hex17=_hex(rng, 17),
        uuid=new_uuid(rng),
        table=parse(resource_arn).resource.split("/", 1)[-1],
        ddb=_backup_suffix(rng),
    )


def _backup_suffix(rng: random.Random) -> str:
    return f"{rng.randrange(10**12, 10**13)}-{_hex(rng, 8)}"


def is_continuous(recovery_point: str) -> bool:
    return ":recovery-point:continuous:" in recovery_point


def is_dynamodb_native_backup(recovery_point: str) -> bool:
    return recovery_point.startswith("arn:aws:dynamodb:") and "/backup/" in recovery_point


# service, first segment of the resource → AWS Backup resource type string
_RESOURCE_TYPES: dict[tuple[str, str], str] = {
    ("ec2", "volume"): "EBS",
    ("ec2", "instance"): "EC2",
    ("rds", "db"): "RDS",
    ("rds", "cluster"): "Aurora",
    ("elasticfilesystem", "file-system"): "EFS",
    ("dynamodb", "table"): "DynamoDB",
    ("fsx", "file-system"): "FSx",
    ("storagegateway", "gateway"): "Storage Gateway",
    ("redshift", "cluster"): "Redshift",
    ("redshift-serverless", "namespace"): "Redshift Serverless",
    ("eks", "cluster"): "EKS",
    ("timestream", "database"): "Timestream",
    ("cloudformation", "stack"): "CloudFormation",
    ("backup-gateway", "vm"): "VirtualMachine",
    ("dsql", "cluster"): "DSQL",
}


def resource_type_of(resource_arn: str) -> str:
    """AWS Backup's resource type for a resource ARN; ambiguous ARNs take the common answer."""
    arn = parse(resource_arn)
    if arn.service == "s3":
        return "S3"
    first = arn.resource.replace("/", ":").split(":", 1)[0]
    try:
        return _RESOURCE_TYPES[(arn.service, first)]
    except KeyError:
        raise ValueError(f"no AWS Backup resource type for {resource_arn!r}") from None


def resource_name_of(resource_arn: str) -> str:
    """The last part of a resource ARN (``vol-0abc`` of ``...:volume/vol-0abc``): ResourceName."""
    return resource_arn.replace(":", "/").split("/")[-1]
