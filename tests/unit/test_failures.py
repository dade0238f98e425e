"""Classifying failed copy jobs (core.tracking.failure_kinds): data in, kind out."""

from __future__ import annotations

import pytest

from core.tracking.failure_kinds import FailureKind, classify_failure
from tests.tracking_fakes import FAILED_LAG, FAILED_RETENTION, FAILED_THROTTLED, copy_update


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        (FAILED_RETENTION, FailureKind.RETENTION_OUT_OF_RANGE),
        (FAILED_LAG, FailureKind.LAG_REJECTED),
        (FAILED_THROTTLED, FailureKind.TRANSIENT),
    ],
)
def test_given_each_failure_sample_when_classified_then_it_gets_its_kind(
    sample: str, kind: FailureKind
) -> None:
    assert classify_failure(copy_update(sample).status_message) is kind


def test_given_the_backup_job_wording_of_the_retention_rule_when_classified_then_retention() -> (
    None
):
    message = "Backup job failed because the lifecycle is outside the valid range for backup vault."
    assert classify_failure(message) is FailureKind.RETENTION_OUT_OF_RANGE


def test_given_a_retention_failure_of_a_lag_vault_when_classified_then_retention_wins() -> None:
    # Mentions the air-gapped vault and a refusal, but the fix is the lifecycle, not a fallback
    message = (
        "Copy job failed. The retention is not allowed: below the minimum retention of the "
        "logically air-gapped backup vault."
    )
    assert classify_failure(message) is FailureKind.RETENTION_OUT_OF_RANGE


@pytest.mark.parametrize(
    "message",
    [
        "Recovery points encrypted with an AWS managed key cannot be copied to a logically "
        "air-gapped backup vault.",
        "Only encrypted Aurora snapshots can be copied to a logically air-gapped backup vault.",
        "Logically Air-Gapped vaults do not support this resource type: not supported.",
    ],
)
def test_given_a_lag_refusal_when_classified_then_lag_rejected(message: str) -> None:
    assert classify_failure(message) is FailureKind.LAG_REJECTED


def test_given_a_lag_vault_named_without_a_refusal_when_classified_then_not_lag_rejected() -> None:
    message = "Copy to logically air-gapped backup vault interrupted by an internal error."
    assert classify_failure(message) is FailureKind.TRANSIENT


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "LimitExceededException", "ServiceUnavailableException"]
)
def test_given_a_transient_error_code_when_classified_then_transient(code: str) -> None:
    assert classify_failure("Copy job failed.", code) is FailureKind.TRANSIENT


@pytest.mark.parametrize(
    "message",
    [
        "Access denied exception while trying to list tags",  # AWS's documented FAILED sample
        "The KMS key arn:aws:kms:us-east-1:111122223333:key/abc is pending deletion.",
        "Copy job failed. Both source and destination account must be a member of the same "
        "organization",
    ],
)
def test_given_an_unexplained_failure_when_classified_then_permanent(message: str) -> None:
    assert classify_failure(message, "AccessDenied") is FailureKind.PERMANENT


def test_given_no_message_and_no_code_when_classified_then_permanent() -> None:
    assert classify_failure(None, None) is FailureKind.PERMANENT


@pytest.mark.parametrize(
    ("kind", "retryable"),
    [
        (FailureKind.RETENTION_OUT_OF_RANGE, True),
        (FailureKind.TRANSIENT, True),
        (FailureKind.LAG_REJECTED, False),
        (FailureKind.PERMANENT, False),
    ],
)
def test_given_a_failure_kind_then_only_retention_and_transient_are_retried(
    kind: FailureKind, retryable: bool
) -> None:
    assert kind.is_retryable is retryable
