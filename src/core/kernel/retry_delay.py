"""When a copy that failed for a transient reason is tried again: exponential backoff.

The wait happens in the tracking queue, not in the function: the handler hides the FAILED event's
message for the delay (SQS ChangeMessageVisibility) and reports it as a batch item failure, so
SQS hands it back once the delay is over, and the redelivery starts the next attempt. The ledger
remembers that the failure was noted (``LastFailedCopyJobId``); SQS's receive count tells a
redelivery from a first delivery, so a duplicate of the event waits its turn instead of cutting
the wait short. An event with no queue behind it (``sam local invoke``, the reconciler settling a
copy whose event was lost) has nowhere to wait: its retry starts at once, as before.
"""

from __future__ import annotations

from enum import StrEnum

# SQS keeps a received message invisible for at most 12 hours counted from its receive
# (API_ChangeMessageVisibility.html); Lambda holds it a while before the handler asks (batching
# window up to 5 min, timeout up to 15 min), so the longest delay leaves an hour to spare.
MAX_DELAY_SECONDS = 11 * 3600
DEFAULT_BASE_DELAY_SECONDS = 60
DEFAULT_MAX_DELAY_SECONDS = 900


class Delivery(StrEnum):
    """How the event being tracked reached the function."""

    DIRECT = "direct"  # no queue behind it: nothing can wait, a retry starts at once
    FIRST = "first"  # the first receive of a queued message
    REDELIVERED = "redelivered"  # a queued message received again: a wait it was given is over

    @classmethod
    def of_receive(cls, approximate_receive_count: int) -> Delivery:
        return cls.FIRST if approximate_receive_count <= 1 else cls.REDELIVERED


def retry_delay_seconds(failed_attempt: int, *, base: int, cap: int) -> int:
    """base * 2^(failed_attempt - 1), at most ``cap``: 60, 120, 240, … 900 s by default."""
    doublings = max(failed_attempt - 1, 0)
    if doublings >= cap.bit_length():  # 2^doublings > cap already: no need for the huge number
        return cap
    return min(cap, base << doublings)


def must_wait(delivery: Delivery, *, failure_already_noted: bool) -> bool:
    """Whether the retry of a transient failure waits in the queue rather than starting now.

    It starts now when nothing can wait, or when this very message comes back after the failure
    was noted (its wait is over). It waits on a first delivery: the failure is new, or this is a
    duplicate of an event already waiting. A redelivery whose failure was not noted yet (its
    first receive stopped earlier, e.g. throttled) has not waited for this failure either.
    """
    if delivery is Delivery.DIRECT:
        return False
    return not (failure_already_noted and delivery is Delivery.REDELIVERED)
