"""The demo's estate: what `make demo` backs up by default (no AWS needed to plan it)."""

from __future__ import annotations

from core.kernel.support_matrix import load_default_matrix
from demo.estate import EstateResource, KeyChoice, plan_estate
from demo.run import DEFAULT_RESOURCES

KEYS: dict[KeyChoice, str | None] = {
    "workload-cmk": "arn:aws:kms:us-east-1:123456789012:key/workload",
    "aws/ebs": "arn:aws:kms:us-east-1:123456789012:key/aws-ebs",
    "none": None,
}


def estate(count: int = DEFAULT_RESOURCES, seed: int = 1) -> list[EstateResource]:
    return plan_estate(count, seed=seed, region="us-east-1", account="123456789012", keys=KEYS)


def test_given_the_default_size_when_planned_then_the_estate_is_broad_enough() -> None:
    # When
    planned = estate()
    types = {resource.resource_type for resource in planned}
    matrix = load_default_matrix()
    # Then
    assert len(planned) >= 50
    assert len(types) >= 10
    assert {"EC2", "S3"} <= types  # the EC2 plan's, and the type the main selection excludes
    assert any(not matrix.is_lag_capable(t) for t in types)  # to the managed-key vault
    assert {"Redshift", "Redshift Serverless", "DynamoDB"} <= types  # cannot be copied
    assert any(r.resource_type == "RDS" and ":cluster:" in r.arn for r in planned)  # Multi-AZ
    assert any(r.key_arn == KEYS["aws/ebs"] for r in planned)  # a LAG vault refuses it
    assert len({resource.arn for resource in planned}) == len(planned)


def test_given_a_seed_when_planned_twice_then_the_estate_is_the_same() -> None:
    # Then
    assert estate(seed=7) == estate(seed=7)
    assert estate(seed=7) != estate(seed=8)
