"""The handlers' one clock. AWS time is the wall clock; the local emulator simulates time, and
this is the one seam through which its simulated "now" reaches the handlers (``simulated``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _wall_clock


def utc_now() -> datetime:
    return _source()


@contextmanager
def simulated(source: Callable[[], datetime]) -> Iterator[None]:
    """Within the block, ``utc_now`` answers ``source`` (the emulator's clock)."""
    global _source  # noqa: PLW0603 - a process-wide clock is the point of this seam
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
