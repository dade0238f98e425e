"""The small error hierarchy that the handlers map to queue behaviour.

- ``RetryableError`` propagates: SQS redelivers the record with backoff.
- ``PermanentError`` is recorded with its reason and parked; retrying would not help.
"""

from __future__ import annotations


class OrchestratorError(Exception):
    """Base class of every error this product raises on purpose."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class ConfigError(OrchestratorError):
    """The function's configuration is invalid; raised at cold start, never mid-batch."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid-config", "; ".join(problems))
        self.problems = problems


class PermanentError(OrchestratorError):
    """Retrying the same input cannot succeed: record the reason and park the input."""


class InvalidEventError(PermanentError):
    """The event does not have the documented shape."""

    def __init__(self, message: str) -> None:
        super().__init__("malformed-event", message)


class RetryableError(OrchestratorError):
    """A transient condition (throttling, quota, 5xx): the same input may succeed later."""
