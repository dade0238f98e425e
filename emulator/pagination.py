"""NextToken/MaxResults paging over an already filtered, stably ordered list."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TypeVar

from emulator.errors import InvalidParameterValue

T = TypeVar("T")
DEFAULT_PAGE = 1000


def page(
    items: Sequence[T], next_token: str | None, max_results: int | None
) -> tuple[list[T], str | None]:
    start = _offset(next_token)
    size = max_results or DEFAULT_PAGE
    if size < 1:
        raise InvalidParameterValue("MaxResults must be at least 1.")
    end = start + size
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return list(items[start:end]), token


def _offset(next_token: str | None) -> int:
    if not next_token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(next_token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameterValue(f"Invalid NextToken: {next_token}") from None
