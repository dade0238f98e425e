"""moto's SQS clock, moved by hand: when a hidden message comes back is checked without waiting.

moto's SQS reads the time through ``moto.sqs.models.unix_time_millis`` (message visibility,
delays); moto is pinned (see emulator/README.md), so patching that one name is stable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from moto.core.utils import unix_time_millis


@dataclass
class SqsClock:
    now_millis: float

    def __call__(self) -> float:
        return self.now_millis

    def advance(self, seconds: float) -> None:
        self.now_millis += seconds * 1000


@contextmanager
def frozen_sqs_clock() -> Iterator[SqsClock]:
    clock = SqsClock(unix_time_millis())
    with mock.patch("moto.sqs.models.unix_time_millis", clock):
        yield clock
