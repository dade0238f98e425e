"""AWS Backup rules the emulator enforces, as data and small pure functions.

Every rule names the documentation page it encodes (under
https://docs.aws.amazon.com/aws-backup/latest/devguide/ unless another address is given).
Where AWS leaves an answer open, the emulator makes it configurable instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# whatisbackup.html#full-management: these types are encrypted with the vault's key and get
# recovery point ARNs in the AWS Backup namespace. DynamoDB only with advanced features.
FULLY_MANAGED_TYPES = frozenset(
    {
        "S3",
        "EFS",
        "VirtualMachine",
        "Timestream",
        "CloudFormation",
        "SAP HANA on Amazon EC2",
        "DSQL",
        "EKS",
    }
)

# recov-point-create-a-copy.html: a type without cross-Region/cross-account copy support cannot be
# copied at all, even in the same Region and account (backup-feature-availability.html).
NOT_COPYABLE_TYPES = frozenset({"Redshift Serverless", "Redshift"})

# backup-feature-availability.html#features-by-resource, "Logically air-gapped vault" column
# (docs as of autumn 2026). Absent types count as not LAG-capable.
LAG_CAPABLE_TYPES = frozenset(
    {
        "EC2",
        "EBS",
        "S3",
        "EFS",
        "DynamoDB",
        "Aurora",
        "DocumentDB",
        "Neptune",
        "Storage Gateway",
        "FSx",
        "EKS",
        "DSQL",
        "VirtualMachine",
    }
)
# logicallyairgappedvault.html: Aurora, DocumentDB and Neptune only from encrypted clusters.
LAG_ENCRYPTED_ONLY_TYPES = frozenset({"Aurora", "DocumentDB", "Neptune"})

# aws-backup-limits.html: concurrent copy jobs into logically air-gapped vaults, per type.
LAG_COPY_QUOTAS: dict[str, int] = {
    "EBS": 20,
    "EC2": 20,
    "Aurora": 20,
    "DocumentDB": 20,
    "Neptune": 20,
    "Storage Gateway": 5,
    "FSx": 5,
}
# aws-backup-limits.html: concurrent copies per account per destination Region, fully managed types.
FULLY_MANAGED_COPY_QUOTA = 100

# encryption.html#copy-encryption: "the managed key of the service that owns the underlying
# resource".
SERVICE_MANAGED_KEY_ALIASES: dict[str, str] = {
    "EBS": "alias/aws/ebs",
    "EC2": "alias/aws/ebs",
    "Storage Gateway": "alias/aws/ebs",
    "RDS": "alias/aws/rds",
    "Aurora": "alias/aws/rds",
    "DocumentDB": "alias/aws/rds",
    "Neptune": "alias/aws/rds",
    "Redshift": "alias/aws/redshift",
    "DynamoDB": "alias/aws/dynamodb",
    "FSx": "alias/aws/fsx",
}
BACKUP_MANAGED_KEY_ALIAS = "alias/aws/backup"

# lag-vault-primary-backup.html, "Troubleshooting": AWS's own wording for both job kinds.
COPY_RETENTION_OUT_OF_RANGE = (
    "Copy job failed. The retention specified in the job is not within the range specified "
    "for the target Backup Vault."
)
BACKUP_RETENTION_OUT_OF_RANGE = (
    "Backup job failed because the lifecycle is outside the valid range for backup vault."
)
# Emulator wording (AWS publishes none for these): transient-looking, as system errors read.
TRANSIENT_COPY_FAILURE = "Copy job failed because of an internal error. Please retry the job."
TRANSIENT_BACKUP_FAILURE = "Backup job failed because of an internal error. Please retry the job."

ManagedVaultPolicy = Literal["fail", "keep-source-key", "reencrypt"]
MANAGED_VAULT_POLICIES: tuple[ManagedVaultPolicy, ...] = ("fail", "keep-source-key", "reencrypt")
# Same Region, same account, not fully managed type, into a vault under the key of the service that
# owns the resource (aws/rds for RDS, aws/ebs for EBS): AWS does not say whether the copy is
# re-encrypted under the vault's key or keeps the source key (aws-backup-facts.md, [open]).
ServiceKeyVaultPolicy = Literal["reencrypt", "keep-source-key"]
SERVICE_KEY_VAULT_POLICIES: tuple[ServiceKeyVaultPolicy, ...] = ("reencrypt", "keep-source-key")
AWS_OWNED = "AWS_OWNED_KMS_KEY"
CUSTOMER_MANAGED = "CUSTOMER_MANAGED_KMS_KEY"


def is_fully_managed(resource_type: str, *, dynamodb_advanced: bool) -> bool:
    if resource_type == "DynamoDB":
        return dynamodb_advanced
    return resource_type in FULLY_MANAGED_TYPES


@dataclass(frozen=True, slots=True)
class CopySource:
    """What the rules need to know about a recovery point being copied."""

    resource_type: str
    resource_arn: str
    recovery_point_arn: str
    fully_managed: bool
    continuous: bool
    storage_class: str
    status: str
    encryption_key_arn: str | None
    key_manager: str | None  # "AWS" / "CUSTOMER" from KMS, None when unknown or unencrypted


@dataclass(frozen=True, slots=True)
class CopyTarget:
    """What the rules need to know about the destination vault."""

    vault_arn: str
    is_lag: bool
    encryption_key_arn: str
    key_manager: str | None
    key_alias: str | None
    min_retention_days: int | None
    max_retention_days: int | None


@dataclass(frozen=True, slots=True)
class KeyOutcome:
    """The key a finished copy ends under, or why the copy fails."""

    key_arn: str | None
    key_type: str | None
    failure: str | None = None


def copy_request_rejection(source: CopySource) -> str | None:
    """Why StartCopyJob refuses outright (InvalidRequestException), or None."""
    if source.continuous:
        # API_StartCopyJob.html: "Does not support continuous backups."
        return "Copy jobs do not support continuous backups. Recovery point " + (
            f"{source.recovery_point_arn} is a continuous backup."
        )
    if source.storage_class != "WARM":
        # recov-point-create-a-copy.html: recovery points in cold storage cannot be copied.
        return (
            f"Recovery point {source.recovery_point_arn} is in cold storage and cannot be copied."
        )
    if source.status not in {"COMPLETED", "AVAILABLE"}:
        return f"Recovery point {source.recovery_point_arn} is not in a copyable state."
    return not_copyable_reason(source)


def not_copyable_reason(source: CopySource) -> str | None:
    # recov-point-create-a-copy.html: no cross-Region/cross-account copy means no copy at all.
    if source.resource_type in NOT_COPYABLE_TYPES:
        return f"Copy is not supported for resource type {source.resource_type}."
    if source.resource_type == "DynamoDB" and not source.fully_managed:
        return "Copy is not supported for DynamoDB backups without advanced features."
    if source.resource_type == "RDS" and ":cluster:" in source.resource_arn:
        return "Copy is not supported for Amazon RDS Multi-AZ DB cluster snapshots."
    return None


def retention_failure(
    delete_after_days: int | None, minimum: int | None, maximum: int | None
) -> bool:
    """vault-lock.html / lag-vault-primary-backup.html: a job's retention must fit [min, max].

    A job without DeleteAfterDays keeps its recovery point forever, which breaks any maximum.
    """
    if delete_after_days is None:
        return maximum is not None
    if minimum is not None and delete_after_days < minimum:
        return True
    return maximum is not None and delete_after_days > maximum


def lag_failure(source: CopySource, lag_types: frozenset[str]) -> str | None:
    """logicallyairgappedvault.html: what a logically air-gapped vault refuses to take."""
    if source.resource_type not in lag_types:
        return (
            f"Copy job failed. Resource type {source.resource_type} is not supported "
            "by logically air-gapped backup vaults."
        )
    if source.key_manager == "AWS":
        # lag-vault-primary-backup.html: sources under aws/ebs, aws/rds... cannot be copied in.
        return (
            "Copy job failed. Recovery points encrypted with an AWS managed key cannot be "
            "copied to a logically air-gapped backup vault. Use a customer managed key."
        )
    if source.resource_type in LAG_ENCRYPTED_ONLY_TYPES and source.encryption_key_arn is None:
        return (
            f"Copy job failed. Only encrypted {source.resource_type} snapshots can be copied "
            "to a logically air-gapped backup vault."
        )
    return None


def destination_key(
    source: CopySource,
    target: CopyTarget,
    *,
    aws_owned_key_arn: str,
    policy: ManagedVaultPolicy,
    service_key_policy: ServiceKeyVaultPolicy = "reencrypt",
    cross_region: bool = False,
) -> KeyOutcome:
    """encryption.html#copy-encryption: the key a finished copy ends under."""
    if target.is_lag and target.key_manager is None:
        # logicallyairgappedvault.html: LAG vaults use an AWS owned key unless given a CMK.
        return KeyOutcome(aws_owned_key_arn, AWS_OWNED)
    # A key KMS does not know (a fake ARN in a test) counts as a customer managed key.
    if source.fully_managed or target.is_lag or target.key_manager != "AWS":
        return KeyOutcome(target.encryption_key_arn, CUSTOMER_MANAGED)
    if target.key_alias == SERVICE_MANAGED_KEY_ALIASES.get(source.resource_type):
        return _into_service_key(source, target, service_key_policy, cross_region=cross_region)
    return _into_foreign_managed_key(source, target, policy)


def _into_service_key(
    source: CopySource,
    target: CopyTarget,
    policy: ServiceKeyVaultPolicy,
    *,
    cross_region: bool,
) -> KeyOutcome:
    # encryption.html#copy-encryption: for a type that is not fully managed the destination key
    # "must be a CMK or the managed key of the service that owns the underlying resource", and a
    # cross-Region copy is re-encrypted with the destination vault's key (cross-region-backup.html).
    if cross_region or policy == "reencrypt":
        # The API's EncryptionKeyType has no AWS-managed value: a key in the account reads
        # CUSTOMER_MANAGED_KMS_KEY; KMS DescribeKey's KeyManager tells AWS from CUSTOMER.
        return KeyOutcome(target.encryption_key_arn, CUSTOMER_MANAGED)
    # Same Region, same account: [open] whether AWS re-encrypts; "keep-source-key": the other answer
    key_type = CUSTOMER_MANAGED if source.encryption_key_arn else None
    return KeyOutcome(source.encryption_key_arn, key_type)


def _into_foreign_managed_key(
    source: CopySource, target: CopyTarget, policy: ManagedVaultPolicy
) -> KeyOutcome:
    # encryption.html#copy-encryption: for types that are not fully managed, aws/backup "cannot be
    # used". Whether a same-Region, same-account copy fails or keeps its key is open: configurable.
    if policy == "keep-source-key":
        key_type = CUSTOMER_MANAGED if source.encryption_key_arn else None
        return KeyOutcome(source.encryption_key_arn, key_type)
    if policy == "reencrypt":
        return KeyOutcome(target.encryption_key_arn, CUSTOMER_MANAGED)
    # AWS documents the rule, not the error text: the message quotes the rule (encryption.html).
    return KeyOutcome(
        None,
        None,
        failure=(
            f"Copy job failed. The destination backup vault's key {target.encryption_key_arn} "
            f"cannot encrypt {source.resource_type} backups: for resource types that are not fully "
            "managed by AWS Backup, the key must be a CMK or the managed key of the service that "
            "owns the underlying resource."
        ),
    )


def lifecycle_error(lifecycle: dict[str, object] | None) -> str | None:
    """API_Lifecycle.html: DeleteAfterDays must be at least MoveToColdStorageAfterDays + 90."""
    if not lifecycle:
        return None
    delete = lifecycle.get("DeleteAfterDays")
    cold = lifecycle.get("MoveToColdStorageAfterDays")
    if isinstance(delete, int) and isinstance(cold, int) and delete < cold + 90:
        return (
            "DeleteAfterDays must be greater than MoveToColdStorageAfterDays by at least 90 days "
            f"(got DeleteAfterDays={delete}, MoveToColdStorageAfterDays={cold})."
        )
    return None


# plan-options-and-configuration.html: "If you have a backup plan with multiple rules and the time
# frames of the two rules overlap, AWS Backup optimizes the backup and takes a backup for the rule
# with the longer retention time. The optimization takes into account the full start window, not
# just when the daily backup is taken." A time frame here is [scheduled time, + start window).
# Open, so the emulator chooses: a rule without DeleteAfterDays keeps forever (the longest); of two
# equal retentions the rule listed first in the plan wins; a rule without StartWindowMinutes gets
# 480 minutes (the console's default; the template always sets it).
DEFAULT_START_WINDOW_MINUTES = 480


def start_window_minutes(rule: dict[str, object]) -> int:
    window = rule.get("StartWindowMinutes")
    return window if isinstance(window, int) else DEFAULT_START_WINDOW_MINUTES


def outranks(rule: dict[str, object], other: dict[str, object], *, listed_first: bool) -> bool:
    """Whether ``rule`` wins over ``other`` when their time frames overlap in one plan."""

    def retention(candidate: dict[str, object]) -> float:
        lifecycle = candidate.get("Lifecycle")
        days = lifecycle.get("DeleteAfterDays") if isinstance(lifecycle, dict) else None
        return float(days) if isinstance(days, int) else float("inf")

    mine, theirs = retention(rule), retention(other)
    return mine > theirs or (mine == theirs and listed_first)
