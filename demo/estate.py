"""The demo's estate: resources of many types, registered in the emulator for the plans to pick.

The catalogue covers what the orchestrator must get right: LAG-capable types, types LAG does not
take (to the managed-key vault), types that cannot be copied at all, a volume under the AWS
managed key aws/ebs (a LAG vault refuses it: lag-vault-primary-backup.html), EC2 instances for
the EC2 plan, and S3 buckets, which the main selection excludes.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Literal

import emulator

KeyChoice = Literal["workload-cmk", "aws/ebs", "none"]

_WORDS = ("orders", "billing", "catalog", "payments", "search", "users", "events", "reports")


@dataclass(frozen=True, slots=True)
class ResourceKind:
    label: str
    resource_type: str  # AWS Backup's resource type string
    arn_template: str  # {region} {account} {word} {n} {hex8} {hex17} {uuid}
    key: KeyChoice = "none"


# In the order the demo adds them: the first 8 kinds cover every path of the copy decision
# (small test estates), the first 13 span 11 resource types.
CATALOGUE: tuple[ResourceKind, ...] = (
    ResourceKind(
        "EBS volume", "EBS", "arn:aws:ec2:{region}:{account}:volume/vol-{hex17}", "workload-cmk"
    ),
    ResourceKind(
        "EC2 instance", "EC2", "arn:aws:ec2:{region}:{account}:instance/i-{hex17}", "workload-cmk"
    ),
    ResourceKind(
        "RDS instance", "RDS", "arn:aws:rds:{region}:{account}:db:{word}-db-{n}", "workload-cmk"
    ),
    ResourceKind(
        "DynamoDB table", "DynamoDB", "arn:aws:dynamodb:{region}:{account}:table/{word}-{n}"
    ),
    ResourceKind(
        "EBS volume under aws/ebs",
        "EBS",
        "arn:aws:ec2:{region}:{account}:volume/vol-{hex17}",
        "aws/ebs",
    ),
    ResourceKind(
        "EFS file system",
        "EFS",
        "arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{hex8}",
    ),
    ResourceKind(
        "Aurora cluster",
        "Aurora",
        "arn:aws:rds:{region}:{account}:cluster:{word}-aurora-{n}",
        "workload-cmk",
    ),
    ResourceKind("S3 bucket", "S3", "arn:aws:s3:::{word}-bucket-{n}-{hex8}"),
    ResourceKind(
        "RDS Multi-AZ DB cluster",
        "RDS",
        "arn:aws:rds:{region}:{account}:cluster:{word}-multi-az-{n}",
        "workload-cmk",
    ),
    ResourceKind(
        "FSx file system",
        "FSx",
        "arn:aws:fsx:{region}:{account}:file-system/fs-{hex17}",
        "workload-cmk",
    ),
    ResourceKind(
        "Timestream table",
        "Timestream",
        "arn:aws:timestream:{region}:{account}:database/{word}/table/metrics-{n}",
    ),
    ResourceKind(
        "Redshift cluster",
        "Redshift",
        "arn:aws:redshift:{region}:{account}:cluster:{word}-dw-{n}",
        "workload-cmk",
    ),
    ResourceKind(
        "CloudFormation stack",
        "CloudFormation",
        "arn:aws:cloudformation:{region}:{account}:stack/{word}-stack-{n}/{uuid}",
    ),
    ResourceKind(
        "Storage Gateway volume",
        "Storage Gateway",
        "arn:aws:storagegateway:{region}:{account}:gateway/sgw-{hex8}/volume/vol-{hex17}",
        "workload-cmk",
    ),
    ResourceKind(
        "DocumentDB cluster",
        "DocumentDB",
        "arn:aws:rds:{region}:{account}:cluster:{word}-docdb-{n}",
        "workload-cmk",
    ),
    ResourceKind(
        "Neptune cluster",
        "Neptune",
        "arn:aws:rds:{region}:{account}:cluster:{word}-graph-{n}",
        "workload-cmk",
    ),
    ResourceKind(
        "VMware virtual machine",
        "VirtualMachine",
        "arn:aws:backup-gateway:{region}:{account}:vm/vm-{hex17}",
    ),
    ResourceKind(
        "SAP HANA database",
        "SAP HANA on Amazon EC2",
        "arn:aws:ssm-sap:{region}:{account}:HANA/{word}-hana/DB/db{n}",
    ),
    ResourceKind("EKS cluster", "EKS", "arn:aws:eks:{region}:{account}:cluster/{word}-eks-{n}"),
    ResourceKind(
        "Redshift Serverless namespace",
        "Redshift Serverless",
        "arn:aws:redshift-serverless:{region}:{account}:namespace/{uuid}",
    ),
    ResourceKind("Aurora DSQL cluster", "DSQL", "arn:aws:dsql:{region}:{account}:cluster/{hex17}"),
)


@dataclass(frozen=True, slots=True)
class EstateResource:
    arn: str
    resource_type: str
    label: str
    key_arn: str | None


def plan_estate(
    count: int, *, seed: int, region: str, account: str, keys: dict[KeyChoice, str | None]
) -> list[EstateResource]:
    """``count`` resources, the catalogue's kinds in turn; names are seeded, so runs repeat."""
    rng = random.Random(seed)
    estate = []
    for index in range(count):
        kind = CATALOGUE[index % len(CATALOGUE)]
        arn = kind.arn_template.format(
            region=region,
            account=account,
            word=_WORDS[index % len(_WORDS)],
            n=f"{index + 1:02d}",
            hex8=f"{rng.getrandbits(32):08x}",
            hex17=f"{rng.getrandbits(68):017x}",
            uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        estate.append(EstateResource(arn, kind.resource_type, kind.label, keys[kind.key]))
    return estate


def register_estate(estate: list[EstateResource], *, region: str, account: str) -> None:
    for resource in estate:
        emulator.register_resource(
            resource.arn,
            account=account,
            region=region,
            resource_type=resource.resource_type,
            encryption_key_arn=resource.key_arn,
        )


def estate_keys(workload_key_arn: str, *, region: str, account: str) -> dict[KeyChoice, str | None]:
    """The keys the catalogue's kinds are encrypted with (``none``: the vault's key applies)."""
    return {
        "workload-cmk": workload_key_arn,
        "aws/ebs": emulator.aws_managed_key_arn("alias/aws/ebs", account=account, region=region),
        "none": None,
    }
