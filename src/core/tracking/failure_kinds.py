"""Why a copy job failed, from its status message and error code (data in, kind out).

AWS publishes the wording of only one copy failure: the retention one
(https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html,
"Troubleshooting"). The other patterns are deliberately broad, and an unknown message is
*permanent*: a failure we cannot explain is reported to a person, never retried blindly.
"""

from __future__ import annotations

from enum import StrEnum


class FailureKind(StrEnum):
    RETENTION_OUT_OF_RANGE = "retention-out-of-range"  # recompute the lifecycle, retry
    LAG_REJECTED = "lag-rejected"  # fall back to the managed-key vault
    TRANSIENT = "transient"  # quota, throttling, system error: retry
    PERMANENT = "permanent"  # anything else: failed, with an alert

    @property
    def is_retryable(self) -> bool:
        return self in {FailureKind.RETENTION_OUT_OF_RANGE, FailureKind.TRANSIENT}


_RETENTION_MESSAGES = (
    # lag-vault-primary-backup.html: "The retention specified in the job is not within the range
    # specified for the target Backup Vault."
    "not within the range specified for the target backup vault",
    # the same rule worded for backup jobs (vault-lock.html min/max retention)
    "lifecycle is outside the valid range",
)
_RETENTION_WORDS = ("range", "minimum", "maximum", "min retention", "max retention")
_AIR_GAPPED = ("air-gapped", "air gapped", "airgapped")
_REFUSALS = (
    "not supported",
    "does not support",
    "unsupported",
    "cannot be copied",
    "can't be copied",
    "only encrypted",
    "not allowed",
    "not eligible",
)
# API_StartCopyJob.html "Errors" and aws-backup-limits.html: quotas, throttling and system errors.
_TRANSIENT_CODES = (
    "throttl",
    "limitexceeded",
    "serviceunavailable",
    "internalfailure",
    "internalserver",
    "toomanyrequests",
    "timeout",
)
_TRANSIENT_MESSAGES = (
    "throttl",
    "rate exceeded",
    "limit exceeded",
    "too many",
    "maximum number of concurrent",
    "internal error",
    "internal failure",
    "service unavailable",
    "temporarily unavailable",
    "please retry",
    "try again",
    "timed out",
)


def classify_failure(status_message: str | None, error_code: str | None = None) -> FailureKind:
    """The kind of a FAILED copy job; ``error_code`` is DescribeCopyJob's ``MessageCategory``."""
    message = (status_message or "").lower()
    code = (error_code or "").lower()
    if _is_retention(message):
        return FailureKind.RETENTION_OUT_OF_RANGE
    if _mentions(message, _AIR_GAPPED) and _mentions(message, _REFUSALS):
        return FailureKind.LAG_REJECTED
    if _mentions(code, _TRANSIENT_CODES) or _mentions(message, _TRANSIENT_MESSAGES):
        return FailureKind.TRANSIENT
    return FailureKind.PERMANENT


def _is_retention(message: str) -> bool:
    if _mentions(message, _RETENTION_MESSAGES):
        return True
    return "retention" in message and _mentions(message, _RETENTION_WORDS)


def _mentions(text: str, needles: tuple[str, ...]) -> bool:
    return any(needle in text for needle in needles)
