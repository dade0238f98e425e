"""The states of a ledger entry and the transitions the ledger accepts.

Events arrive at least once and out of order, so a transition is valid only from the states that can
precede it; anything else is a stale or duplicate event and is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.kernel.models import Reason

# How long a claim of an attempt belongs to the delivery that made it. Only after this may the same
# attempt be claimed again (a delivery that died between its claim and StartCopyJob, redelivered by
# SQS): longer than a copy function run (Timeout 60 s in template.yaml), shorter than the copy
# queue's visibility timeout (360 s), so concurrent duplicates are refused by the ledger alone
# while a redelivery after a crash still resumes.
CLAIM_LEASE = timedelta(minutes=2)


class LedgerState(StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    PROTECTED = "protected"
    KEY_DEPENDENT = "key-dependent"
    FAILED = "failed"
    UNPROTECTABLE = "unprotectable"
    SKIPPED = "skipped"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


# A copy under way: claimed (PLANNED) or running (STARTED); the order is the ledger's query order.
IN_PROGRESS = (LedgerState.PLANNED, LedgerState.STARTED)

_FINAL = frozenset(
    {
        LedgerState.PROTECTED,
        LedgerState.KEY_DEPENDENT,
        LedgerState.FAILED,
        LedgerState.UNPROTECTABLE,
        LedgerState.SKIPPED,
    }
)

# state -> the states it may be entered from (None: the entry does not exist yet)
# PLANNED is entered by a claim, for one attempt: from PLANNED (the same attempt, redelivered) or
# STARTED (a later attempt: tracking's retry), and from FAILED only by an operator's retry, with
# a higher attempt number (``reopen_failed``; core.operator_retry.retry_failed).
ALLOWED_PREDECESSORS: dict[LedgerState, frozenset[LedgerState | None]] = {
    LedgerState.PLANNED: frozenset(
        {None, LedgerState.PLANNED, LedgerState.STARTED, LedgerState.FAILED}
    ),
    LedgerState.STARTED: frozenset({LedgerState.PLANNED, LedgerState.STARTED}),
    LedgerState.PROTECTED: frozenset({None, LedgerState.PLANNED, LedgerState.STARTED}),
    LedgerState.KEY_DEPENDENT: frozenset({None, LedgerState.PLANNED, LedgerState.STARTED}),
    LedgerState.FAILED: frozenset({None, LedgerState.PLANNED, LedgerState.STARTED}),
    LedgerState.UNPROTECTABLE: frozenset({None}),
    LedgerState.SKIPPED: frozenset({None}),
}

_UNPROTECTABLE_REASONS = frozenset(
    {Reason.SKIP_CONTINUOUS, Reason.SKIP_COLD, Reason.SKIP_NOT_COPYABLE}
)


def can_transition(current: LedgerState | None, target: LedgerState) -> bool:
    return current in ALLOWED_PREDECESSORS[target]


def state_for_skip(reason: Reason) -> LedgerState:
    """Skips that leave a recovery point without a key-independent copy are 'unprotectable';
    a recovery point already under an AWS-managed key needs no copy: it is protected as it is."""
    if reason is Reason.SKIP_SOURCE_KEY_INDEPENDENT:
        return LedgerState.PROTECTED
    return LedgerState.UNPROTECTABLE if reason in _UNPROTECTABLE_REASONS else LedgerState.SKIPPED


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    recovery_point_arn: str
    destination_vault_arn: str
    state: LedgerState
    reason: str
    attempts: int
    copy_job_id: str | None = None
    source_vault_name: str | None = None
    resource_type: str | None = None
    destination_recovery_point_arn: str | None = None
    destination_key_arn: str | None = None
    updated_at: datetime | None = None
    resource_arn: str | None = None
    explanation: str | None = None
    backup_plan_id: str | None = None  # None: an on-demand backup
    last_failed_copy_job_id: str | None = None  # the attempt before this one, and why it failed
    last_failure_kind: str | None = None
    pending_alert: str | None = None  # an alert this entry owes and has not sent yet
