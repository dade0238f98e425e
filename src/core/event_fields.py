"""Fields of an EventBridge event; each failure is an ``InvalidEventError`` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import InvalidEventError


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
