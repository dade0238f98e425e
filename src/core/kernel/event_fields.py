"""Fields of an EventBridge event; each failure is an ``InvalidEventError`` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.kernel.errors import InvalidEventError


def mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidEventError(f"{field} is not a JSON object")
    return value


def text(container: Mapping[str, Any], key: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidEventError(f"{key} is missing or not a non-empty string")
    return value


def optional_text(container: Mapping[str, Any], key: str) -> str | None:
    value = container.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidEventError(f"{key} is not a string")
    return value


def account(event: Mapping[str, Any]) -> str:
    value = text(event, "account")
    if not (value.isascii() and value.isdigit() and len(value) == 12):
        raise InvalidEventError(f"account {value!r} is not a 12-digit account id")
    return value


def timestamp(container: Mapping[str, Any], key: str) -> datetime:
    """An ISO-8601 time as EventBridge writes them (``2020-07-15T22:06:27.234Z``)."""
    return _iso_time(key, text(container, key))


def optional_timestamp(container: Mapping[str, Any], key: str) -> datetime | None:
    value = optional_text(container, key)
    return None if value is None else _iso_time(key, value)


def _iso_time(key: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidEventError(f"{key} is not an ISO-8601 timestamp: {value!r}") from error


def plan_id(created_by: object) -> str | None:
    """The backup plan id of a job's ``detail.createdBy``, when a plan created it."""
    if created_by is None:
        return None
    return optional_text(mapping(created_by, "detail.createdBy"), "backupPlanId")
