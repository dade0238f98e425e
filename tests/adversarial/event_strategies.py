"""Hypothesis strategies: well-formed EventBridge events, and bodies that are certainly malformed.

A malformed body is either not an aws.backup event at all (any text, any JSON), or a well-formed
event with one field broken in a way the documented shape forbids
(``core.copying.recovery_point_events``, ``core.tracking.copy_job_events``): such a record must
be parked with a reason, never retried, never crash.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from tests.samples import ACCOUNT, LAG_PLAN_ID, PLAIN_PLAN_ID, REGION, SOURCE_VAULTS, read_event

Event = dict[str, Any]
hex_ids = st.text(alphabet="0123456789abcdef", min_size=12, max_size=17)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
not_text: st.SearchStrategy[Any] = (
    st.none() | st.integers() | st.lists(st.integers(), max_size=2) | st.just({})
)
not_an_arn = st.text(max_size=30).filter(lambda t: not t.startswith("arn:"))


@st.composite
def backup_completed(draw: st.DrawFn) -> Event:
    event = read_event("backup-completed-ebs-lag-plan.json")
    snapshot = f"snap-{draw(hex_ids)}"
    event["resources"] = [f"arn:aws:ec2:{REGION}::snapshot/{snapshot}"]
    detail = event["detail"]
    detail["backupJobId"] = f"job-{draw(hex_ids)}"
    name = draw(st.sampled_from(SOURCE_VAULTS))
    detail["backupVaultName"] = name
    detail["backupVaultArn"] = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{name}"
    detail["createdBy"]["backupPlanId"] = draw(st.sampled_from([LAG_PLAN_ID, PLAIN_PLAN_ID]))
    detail["state"] = draw(st.sampled_from(["COMPLETED", "COMPLETED", "FAILED", "RUNNING"]))
    return event


@st.composite
def copy_job_changed(draw: st.DrawFn) -> Event:
    event = read_event("copy-job-running.json")
    detail = event["detail"]
    detail["copyJobId"] = draw(hex_ids).upper()
    event["resources"] = [f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:{draw(hex_ids)}"]
    detail["destinationBackupVaultArn"] = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:" + draw(
        st.sampled_from(["lag", "managed", "elsewhere"])
    )
    state = draw(st.sampled_from(["RUNNING", "COMPLETED", "FAILED"]))
    detail["state"] = state
    if state == "COMPLETED":
        detail["destinationRecoveryPointArn"] = (
            f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:{draw(hex_ids)}"
        )
    if state == "FAILED":
        detail["statusMessage"] = draw(st.text(min_size=1, max_size=60))
    return event


Breaker = Callable[[Event, Any], None]


def _set(path: tuple[str, ...]) -> Breaker:
    def apply(event: Event, value: Any) -> None:
        target = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def _drop(path: tuple[str, ...]) -> Breaker:
    def apply(event: Event, _: Any) -> None:
        target = event
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)

    return apply


COMMON_BREAKERS: list[tuple[Breaker, st.SearchStrategy[Any]]] = [
    (_drop(("detail",)), st.none()),
    (_set(("detail",)), not_text),
    (_set(("source",)), st.text(max_size=20).filter(lambda t: t != "aws.backup")),
    (_set(("account",)), st.text(max_size=14).filter(lambda t: not (t.isdigit() and len(t) == 12))),
    (_set(("resources",)), st.text(max_size=10) | st.integers() | st.just({})),
    (_set(("resources",)), st.lists(not_an_arn, min_size=1, max_size=2)),
    (_set(("detail", "state")), not_text),
    (_set(("detail", "createdBy")), st.text(max_size=5) | st.integers() | st.lists(st.integers())),
]
BACKUP_BREAKERS = [
    *COMMON_BREAKERS,
    (_set(("detail-type",)), st.text(max_size=30).filter(lambda t: "State Change" not in t)),
    (_set(("detail", "backupVaultName")), st.text(min_size=1, max_size=10).map(lambda t: f"x{t}")),
    (_set(("detail", "backupJobId")), not_text | st.just("")),
    (_set(("detail", "resourceArn")), not_an_arn),
    (_set(("detail", "backupSizeInBytes")), st.integers(max_value=-1) | st.floats(0.5, 9.5)),
    (_set(("detail", "creationDate")), st.text(alphabet="xyz! ", min_size=1, max_size=12)),
]
COPY_BREAKERS = [
    *COMMON_BREAKERS,
    (_set(("detail-type",)), st.text(max_size=30).filter(lambda t: t != "Copy Job State Change")),
    (_set(("detail", "state")), st.text(max_size=10).filter(lambda t: t not in _COPY_STATES)),
    (_drop(("detail", "copyJobId")), st.none()),
    (_set(("detail", "destinationBackupVaultArn")), not_an_arn),
    (_set(("detail", "destinationRecoveryPointArn")), st.integers() | st.lists(st.integers())),
]
_COPY_STATES: set[str] = {"CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"}


@st.composite
def broken(
    draw: st.DrawFn, good: st.SearchStrategy[Event], breakers: list[tuple[Breaker, Any]]
) -> str:
    event = copy.deepcopy(draw(good))
    breaker, values = draw(st.sampled_from(breakers))
    breaker(event, draw(values))
    return json.dumps(event)


def malformed(
    good: st.SearchStrategy[Event], breakers: list[tuple[Breaker, Any]]
) -> st.SearchStrategy[str]:
    """Bodies no handler may accept: any text, any JSON that is not an event, a broken event."""
    return st.one_of(
        st.text(max_size=60),
        json_values.map(json.dumps),
        broken(good, breakers),
    )
