"""Shared pieces of the adversarial suites: a small estate of resources to back up."""

from __future__ import annotations

import pytest

from tests.samples import ACCOUNT, REGION

# Every handler publishes its metrics with single_metric, so log_metrics warns that its own buffer
# is empty; that says nothing about the behaviour under test.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def volumes(count: int, prefix: str = "vol") -> dict[str, str]:
    return {f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{prefix}-{i:017x}": "EBS" for i in range(count)}


def buckets(count: int, prefix: str = "bucket") -> dict[str, str]:
    return {f"arn:aws:s3:::{prefix}-{i}": "S3" for i in range(count)}
