"""Translate botocore errors into the domain's retryable / permanent errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

from core.kernel.errors import PermanentError, RetryableError

# AWS Backup: LimitExceededException, ServiceUnavailableException and throttling are transient
# (API_StartCopyJob.html, "Errors"); so is any 5xx.
RETRYABLE_CODES = frozenset(
    {
        "LimitExceededException",
        "ServiceUnavailableException",
        "ThrottlingException",
        "ThrottledException",  # SNS Publish
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestTimeout",
        "InternalFailure",
        "InternalServerError",
    }
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def is_retryable(error: ClientError) -> bool:
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return error_code(error) in RETRYABLE_CODES or status >= 500


@contextmanager
def translated(
    action: str, *, permanent: Callable[[ClientError], bool] = lambda _: True
) -> Iterator[None]:
    """Raise RetryableError for transient failures, PermanentError for the rest."""
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        message = f"{action}: {code}: {error.response.get('Error', {}).get('Message', '')}"
        if is_retryable(error) or not permanent(error):
            raise RetryableError(code, message) from error
        raise PermanentError(code, message) from error
    except (ConnectionError, ReadTimeoutError) as error:
        raise RetryableError("network", f"{action}: {error}") from error
    except BotoCoreError as error:
        raise RetryableError("sdk", f"{action}: {error}") from error
