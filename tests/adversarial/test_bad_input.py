"""Bad input: SQS batches mixing good events with malformed bodies, through the real handlers.

No crash; each bad record parked in the DLQ with its reason (and not retried); every good record
of the same batch processed. AWS is answered in memory (``CannedAws``: botocore still validates
every request), so hypothesis can try many batches in a few seconds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localrun.canned_aws import CannedAws
from localrun.copy_path_answers import healthy_copy_path, healthy_tracking_path
from localrun.harness import (
    failed_ids,
    handler_environment,
    sqs_batch,
)
from tests.adversarial.event_strategies import (
    BACKUP_BREAKERS,
    COPY_BREAKERS,
    backup_completed,
    copy_job_changed,
    malformed,
)
from tests.lambda_context import FakeLambdaContext
from tests.samples import ACCOUNT, REGION

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Batch = list[tuple[bool, str]]  # (is it good, body)


@pytest.fixture(scope="module")
def handlers() -> Iterator[tuple[ModuleType, ModuleType, CannedAws]]:
    aws = CannedAws(REGION)
    healthy_copy_path(aws, ACCOUNT)
    healthy_tracking_path(aws, ACCOUNT)
    with handler_environment() as (copy_handler, tracking_handler), aws.installed():
        yield copy_handler, tracking_handler, aws


def batches(good: st.SearchStrategy[Any], bad: st.SearchStrategy[str]) -> st.SearchStrategy[Batch]:
    record = st.one_of(good.map(lambda e: (True, json.dumps(e))), bad.map(lambda b: (False, b)))
    return st.lists(record, min_size=1, max_size=10)


def handle(handler: ModuleType, aws: CannedAws, batch: Batch) -> dict[str, Any]:
    aws.reset_counts()
    response: dict[str, Any] = handler.lambda_handler(
        sqs_batch({f"m{i}": body for i, (_, body) in enumerate(batch)}), FakeLambdaContext()
    )
    return response


def parked(aws: CannedAws) -> Counter[str]:
    """Parked bodies, each with a reason (RejectionReason attribute)."""
    bodies: Counter[str] = Counter()
    for _, operation, params in aws.requests:
        if operation == "SendMessage":
            assert params["MessageAttributes"]["RejectionReason"]["StringValue"]
            bodies[params["MessageBody"]] += 1
    return bodies


def expected_parked(batch: Batch) -> Counter[str]:
    return Counter(body or "(empty)" for good, body in batch if not good)


@FUZZ
@given(batch=batches(backup_completed(), malformed(backup_completed(), BACKUP_BREAKERS)))
def test_given_a_batch_with_malformed_records_when_the_copy_handler_runs_then_only_they_are_parked(
    handlers: tuple[ModuleType, ModuleType, CannedAws], batch: Batch
) -> None:
    copy_handler, _, aws = handlers
    # When the batch is handled
    response = handle(copy_handler, aws, batch)
    # Then nothing crashed or goes back to the queue, every bad record is parked with its reason
    assert failed_ids(response) == set()
    assert parked(aws) == expected_parked(batch)
    # ... and every good record was processed: its recovery point is in the ledger
    written = {p["Key"]["RecoveryPointArn"]["S"] for _, op, p in aws.requests if op == "UpdateItem"}
    for good, body in batch:
        if good:
            assert json.loads(body)["resources"][0] in written


@FUZZ
@given(batch=batches(copy_job_changed(), malformed(copy_job_changed(), COPY_BREAKERS)))
def test_given_a_batch_with_malformed_records_when_tracking_runs_then_only_they_are_parked(
    handlers: tuple[ModuleType, ModuleType, CannedAws], batch: Batch
) -> None:
    _, tracking_handler, aws = handlers
    response = handle(tracking_handler, aws, batch)
    assert failed_ids(response) == set()
    assert parked(aws) == expected_parked(batch)


def test_given_only_malformed_records_when_handled_then_each_is_parked_and_none_retried(
    handlers: tuple[ModuleType, ModuleType, CannedAws],
) -> None:
    # A fixed example of the properties above, readable on its own
    copy_handler, _, aws = handlers
    batch: Batch = [(False, "not json"), (False, "[1, 2]"), (False, json.dumps({"source": "x"}))]
    response = handle(copy_handler, aws, batch)
    assert failed_ids(response) == set()
    assert parked(aws) == Counter(body for _, body in batch)
