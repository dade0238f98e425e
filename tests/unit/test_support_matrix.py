"""The support matrix is data (with its source and date), and an operator can override it."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest

from core.kernel.errors import ConfigError
from core.kernel.support_matrix import load_default_matrix, parse_matrix

ACCOUNT, REGION = "111122223333", "us-east-1"
BACKUP_RECOVERY_POINT = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:0a1b2c3d-4e5f"
DYNAMODB_TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"
DYNAMODB_NATIVE_BACKUP = f"{DYNAMODB_TABLE}/backup/01759648811482-a1b2c3d4"
RDS_INSTANCE = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db"
RDS_MULTI_AZ_CLUSTER = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:orders-multi-az"
RDS_SNAPSHOT = f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:awsbackup:job-1"

# The resource type strings AWS Backup uses (API_GetSupportedResourceTypes.html; note the spaces).
DOCUMENTED_TYPES = {
    "Aurora", "CloudFormation", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "EKS", "FSx",
    "Neptune", "RDS", "Redshift", "S3", "SAP HANA on Amazon EC2", "Storage Gateway",
    "Timestream", "VirtualMachine", "DSQL", "Redshift Serverless",
}  # fmt: skip


def raw_document() -> dict[str, object]:
    text = (
        resources.files("core.kernel").joinpath("support_matrix.json").read_text(encoding="utf-8")
    )
    document: dict[str, object] = json.loads(text)
    return document


def test_given_the_data_file_when_read_then_it_names_its_source_and_date() -> None:
    # Given the shipped matrix / When loaded
    matrix = load_default_matrix()
    # Then it cites the AWS page it was copied from, and the day it was checked
    assert matrix.source.startswith("https://docs.aws.amazon.com/aws-backup/")
    assert date.fromisoformat(matrix.as_of) >= date(2026, 1, 1)


def test_given_the_data_file_when_read_then_every_documented_resource_type_is_listed() -> None:
    assert set(load_default_matrix().types) >= DOCUMENTED_TYPES


@pytest.mark.parametrize(
    ("resource_type", "lag"),
    [
        ("EBS", True),
        ("EC2", True),
        ("S3", True),
        ("EFS", True),
        ("Aurora", True),
        ("DocumentDB", True),
        ("Neptune", True),
        ("Storage Gateway", True),
        ("FSx", True),
        ("EKS", True),
        ("RDS", False),
        ("SAP HANA on Amazon EC2", False),
    ],
)
def test_given_a_type_from_the_facts_table_when_asked_then_its_lag_support_matches(
    resource_type: str, lag: bool
) -> None:
    # Given the LAG column of aws-backup-facts.md section 4 / Then the data file agrees
    assert load_default_matrix().is_lag_capable(resource_type) is lag


def test_given_dynamodb_with_advanced_features_when_screened_then_it_can_be_copied() -> None:
    # Given a DynamoDB recovery point in the AWS Backup namespace (advanced features on)
    # When screened / Then nothing blocks the copy
    assert (
        load_default_matrix().copy_blocker("DynamoDB", DYNAMODB_TABLE, BACKUP_RECOVERY_POINT) == ""
    )


def test_given_dynamodb_without_advanced_features_when_screened_then_it_cannot_be_copied() -> None:
    # Given a native DynamoDB backup ARN (advanced features off)
    # When screened
    blocker = load_default_matrix().copy_blocker("DynamoDB", DYNAMODB_TABLE, DYNAMODB_NATIVE_BACKUP)
    # Then the copy is blocked, and the reason says why
    assert blocker == "DynamoDB backups without advanced features cannot be copied"


def test_given_an_rds_multi_az_cluster_when_screened_then_it_cannot_be_copied() -> None:
    # Given an RDS Multi-AZ DB cluster (its ARN carries the ":cluster:" marker)
    blocker = load_default_matrix().copy_blocker("RDS", RDS_MULTI_AZ_CLUSTER, RDS_SNAPSHOT)
    # Then it is blocked and the resource is named
    assert blocker == f"RDS resources like {RDS_MULTI_AZ_CLUSTER} cannot be copied"


def test_given_an_rds_instance_when_screened_then_it_can_be_copied() -> None:
    assert load_default_matrix().copy_blocker("RDS", RDS_INSTANCE, RDS_SNAPSHOT) == ""


@pytest.mark.parametrize("resource_type", ["Redshift", "Redshift Serverless"])
def test_given_a_type_without_any_copy_support_when_screened_then_it_is_blocked(
    resource_type: str,
) -> None:
    blocker = load_default_matrix().copy_blocker(resource_type, "arn:aws:redshift:x", "arn:aws:x")
    assert blocker == f"{resource_type} recovery points cannot be copied"


def test_given_an_unknown_type_when_asked_then_it_is_copied_to_the_managed_vault() -> None:
    # Given a type AWS added after the matrix was written
    matrix = load_default_matrix()
    # When asked / Then it is tried (not LAG, copyable) and verification will judge it
    assert not matrix.is_lag_capable("Quantum Ledger")
    assert matrix.copy_blocker("Quantum Ledger", "arn:aws:qldb:x", BACKUP_RECOVERY_POINT) == ""
    assert matrix.support("Quantum Ledger").note == "not in the matrix"


def test_given_an_override_when_applied_then_only_the_new_matrix_changes() -> None:
    # Given the default matrix
    matrix = load_default_matrix()
    # When RDS is declared LAG-capable
    changed = matrix.with_overrides({"RDS": {"lag": True}})
    # Then the new matrix says so and marks it; the original is untouched
    assert changed.is_lag_capable("RDS")
    assert changed.support("RDS").overridden
    assert not matrix.is_lag_capable("RDS")
    assert not matrix.support("RDS").overridden


def test_given_a_partial_override_when_applied_then_the_other_facts_are_kept() -> None:
    # Given DynamoDB declared not LAG-capable (only "lag" is overridden)
    changed = load_default_matrix().with_overrides({"DynamoDB": {"lag": False}})
    # Then the advanced-features rule still blocks native DynamoDB backups
    assert not changed.is_lag_capable("DynamoDB")
    assert changed.copy_blocker("DynamoDB", DYNAMODB_TABLE, DYNAMODB_NATIVE_BACKUP) != ""
    assert changed.copy_blocker("RDS", RDS_MULTI_AZ_CLUSTER, RDS_SNAPSHOT) != ""


def test_given_an_override_for_an_unknown_type_when_applied_then_the_type_is_added() -> None:
    changed = load_default_matrix().with_overrides({"Quantum Ledger": {"copyable": False}})
    assert changed.copy_blocker("Quantum Ledger", "arn:aws:qldb:x", BACKUP_RECOVERY_POINT) != ""
    assert changed.support("Quantum Ledger").overridden


@pytest.mark.parametrize(
    "mutilate",
    [
        lambda d: d.pop("source"),
        lambda d: d.pop("as_of"),
        lambda d: d.pop("resource_types"),
        lambda d: d["resource_types"]["EBS"].pop("lag"),
        lambda d: d.update(resource_types=["EBS"]),
    ],
    ids=["no source", "no as_of", "no types", "entry without lag", "types not an object"],
)
def test_given_a_malformed_matrix_document_when_parsed_then_it_is_a_config_error(
    mutilate: object,
) -> None:
    # Given the data file with one required part broken
    document = raw_document()
    mutilate(document)  # type: ignore[operator]
    # When parsed / Then it fails as configuration, at cold start
    with pytest.raises(ConfigError):
        parse_matrix(document)


@pytest.mark.parametrize(
    ("resource_type", "fully_managed"),
    [
        ("S3", True),
        ("EFS", True),
        ("DynamoDB", True),
        ("VirtualMachine", True),
        ("EBS", False),
        ("EC2", False),
        ("RDS", False),
        ("Aurora", False),
        ("DocumentDB", False),
        ("Neptune", False),
        ("FSx", False),
        ("Storage Gateway", False),
    ],
)
def test_given_a_type_when_asked_then_the_matrix_says_whether_aws_backup_fully_manages_it(
    resource_type: str, fully_managed: bool
) -> None:
    # Given whatisbackup.html#full-management / When asked / Then the data file agrees
    assert load_default_matrix().support(resource_type).fully_managed is fully_managed


@pytest.mark.parametrize(
    ("resource_type", "alias"),
    [
        ("RDS", "alias/aws/rds"),
        ("Aurora", "alias/aws/rds"),
        ("Neptune", "alias/aws/rds"),
        ("EBS", "alias/aws/ebs"),
        ("EC2", "alias/aws/ebs"),
    ],
)
def test_given_a_type_not_fully_managed_when_asked_then_its_service_key_alias_is_named(
    resource_type: str, alias: str
) -> None:
    # Given encryption.html#copy-encryption ("the managed key of the service that owns the
    # underlying resource") and each service's page naming its key
    assert load_default_matrix().service_key_alias(resource_type) == alias


@pytest.mark.parametrize(
    "resource_type", ["DocumentDB", "FSx", "Storage Gateway", "Quantum Ledger"]
)
def test_given_a_service_key_aws_does_not_name_when_asked_then_there_is_no_alias(
    resource_type: str,
) -> None:
    # Given a type whose owning service's key AWS's pages do not name (or an unknown type)
    matrix = load_default_matrix()
    # When asked / Then the matrix says "unknown" and offers no alias to guess with
    assert matrix.support(resource_type).service_key == "unknown"
    assert matrix.service_key_alias(resource_type) is None


def test_given_a_fully_managed_type_when_asked_then_it_needs_no_service_key() -> None:
    # Given S3: its copies take any destination key, aws/backup included
    assert load_default_matrix().support("S3").service_key is None
    assert load_default_matrix().service_key_alias("S3") is None


def test_given_the_data_file_when_read_then_the_new_columns_name_their_sources() -> None:
    matrix = load_default_matrix()
    assert matrix.fully_managed_source.endswith("whatisbackup.html#full-management")
    assert matrix.service_key_source.endswith("encryption.html#copy-encryption")


def test_given_a_service_key_override_when_applied_then_the_alias_is_used() -> None:
    # Given DocumentDB's key declared aws/rds by the operator (only service_key is overridden)
    changed = load_default_matrix().with_overrides({"DocumentDB": {"service_key": "aws/rds"}})
    # Then the alias is known, the LAG column is kept, and the entry is marked
    assert changed.service_key_alias("DocumentDB") == "alias/aws/rds"
    assert changed.is_lag_capable("DocumentDB")
    assert changed.support("DocumentDB").overridden


def test_given_a_fully_managed_override_when_applied_then_only_that_column_changes() -> None:
    changed = load_default_matrix().with_overrides({"FSx": {"fully_managed": True}})
    assert changed.support("FSx").fully_managed is True
    assert changed.support("FSx").service_key == "unknown"


@pytest.mark.parametrize(
    "mutilate",
    [
        lambda d: d["resource_types"]["RDS"].pop("fully_managed"),
        lambda d: d["resource_types"]["RDS"].pop("service_key"),
        lambda d: d["resource_types"]["RDS"].update(fully_managed="no"),
        lambda d: d["resource_types"]["RDS"].update(service_key="alias/aws/rds"),
        lambda d: d.pop("service_key_source"),
    ],
    ids=["no fully_managed", "no service_key", "fully_managed not bool", "alias prefix", "no src"],
)
def test_given_a_malformed_new_column_when_parsed_then_it_is_a_config_error(
    mutilate: object,
) -> None:
    document = raw_document()
    mutilate(document)  # type: ignore[operator]
    with pytest.raises(ConfigError):
        parse_matrix(document)
