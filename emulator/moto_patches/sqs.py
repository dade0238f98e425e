"""Make moto 5.2.5's SQS receive in time linear in the queue: same answers, same clock.

A burst of 10,000 events queued at once made every ReceiveMessage pay for the whole queue twice:

- each received message asks ``is_message_valid_based_on_retention_period``, which builds *every*
  queue attribute three times (``get_queue_attributes``) to read one of them; building them counts
  the visible and the in-flight messages. Here the retention period is read from the queue.
- ``Queue.messages`` asks the clock twice per message. Here it asks once per call.

Both read the time through ``moto.sqs.models`` at call time, so a test that patches
``moto.sqs.models.unix_time_millis`` (tests/sqs_clock.py) still moves them.
"""

from __future__ import annotations

from typing import Any

from moto.sqs import models as sqs_models

_PATCHED = "emulator_patched"


def install() -> None:
    """Patch moto's SQS classes once per process; safe to call any number of times."""
    backend_class = sqs_models.SQSBackend
    if getattr(backend_class.is_message_valid_based_on_retention_period, _PATCHED, False):
        return
    backend_class.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign]
    sqs_models.Queue.messages = property(_visible_messages)  # type: ignore[method-assign, assignment]


def _within_retention(self: Any, queue_name: str, message: Any) -> bool:
    retention_period = self.get_queue(queue_name).message_retention_period
    retain_until = retention_period + message.sent_timestamp / 1000
    return bool(retain_until > sqs_models.unix_time())  # type: ignore[attr-defined]


setattr(_within_retention, _PATCHED, True)


def _visible_messages(self: Any) -> list[Any]:
    # Message.visible is "now > visible_at", Message.delayed is "now < delayed_until".
    now = sqs_models.unix_time_millis()  # type: ignore[attr-defined]
    return [m for m in self._messages if now > m.visible_at and now >= m.delayed_until]
