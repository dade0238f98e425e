"""Each ``events/`` file has the documented shape and reaches the outcome events/README.md lists."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from core.copying.copy_service import CopyService
from core.copying.recovery_point_events import parse_recovery_point_event
from core.kernel.config import Settings
from core.kernel.errors import InvalidEventError
from core.kernel.models import Decision
from tests.contract.event_shapes import eventbridge_problems, sqs_problems
from tests.fakes import FakeBackup, FakeLedger
from tests.samples import Expectation, event_file_names, read_event, readme_expectations

SQS_BATCH = "sqs-batch-mixed.json"
# Samples of the reconciler and the key guard (test_reconciler_event_fixtures.py) and of the
# service-key resolver (test_service_key_resolver.py) are checked there.
OTHER_HANDLERS = ("kms-", "scheduled-", "cloudformation-")
EVENT_FILES = [
    name for name in event_file_names() if name != SQS_BATCH and not name.startswith(OTHER_HANDLERS)
]
WELL_FORMED = [name for name in EVENT_FILES if "malformed" not in name]
MALFORMED = [name for name in EVENT_FILES if "malformed" in name]
EXPECTATIONS = readme_expectations()
BATCH_RECORDS = read_event(SQS_BATCH)["Records"]


def decide_offline(raw: object, settings: Settings) -> Decision:
    """The decision the copy handler acts on, with AWS Backup answered by an in-memory fake."""
    event = parse_recovery_point_event(raw)
    return CopyService(settings, FakeBackup(), FakeLedger()).plan(event)


def assert_reaches(expectation: Expectation, raw: object, settings: Settings) -> None:
    if (reason := expectation.rejected_reason) is not None:
        with pytest.raises(InvalidEventError) as caught:
            decide_offline(raw, settings)
        assert caught.value.reason == reason
        assert expectation.quoted_why in caught.value.message
        return
    decision = decide_offline(raw, settings)
    assert decision.reason.value == expectation.expected, decision.explanation
    assert decision.target_label == expectation.target


# --- The README and the directory agree ------------------------------------------------------


def test_every_event_file_has_a_row_in_the_readme_and_every_row_a_file() -> None:
    listed = {key for key in EXPECTATIONS if key.endswith(".json")}
    assert listed == set(event_file_names())


def test_every_record_of_the_sqs_batch_has_a_row_in_the_readme() -> None:
    listed = {key for key in EXPECTATIONS if not key.endswith(".json")}
    assert listed == {record["messageId"] for record in BATCH_RECORDS}


def test_the_fixtures_cover_the_decision_paths_the_issue_asks_for() -> None:
    # issue 2: EBS/LAG -> LAG, RDS/LAG -> managed, S3 -> managed, continuous, DynamoDB basic,
    # on-demand, foreign vault, malformed; plus the DR copy.
    outcomes = {EXPECTATIONS[name].expected for name in EVENT_FILES}
    assert outcomes >= {
        "copy-to-lag",
        "copy-to-managed",
        "skip-continuous",
        "skip-not-copyable",
        "skip-out-of-scope",
        "rejected:malformed-event",
    }
    assert len(EVENT_FILES) >= 9


# --- Shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WELL_FORMED)
def test_given_a_sample_event_when_checked_then_it_has_the_documented_shape(name: str) -> None:
    assert eventbridge_problems(read_event(name)) == []


@pytest.mark.parametrize("name", MALFORMED)
def test_given_a_malformed_sample_when_checked_then_the_shape_check_fails(name: str) -> None:
    assert eventbridge_problems(read_event(name)) != []


def test_given_the_sqs_batch_when_checked_then_it_has_the_sqs_to_lambda_shape() -> None:
    assert sqs_problems(read_event(SQS_BATCH)) == []


@pytest.mark.parametrize("record", BATCH_RECORDS, ids=lambda record: record["messageId"][-2:])
def test_given_a_batch_record_when_its_body_is_checked_then_only_bad_ones_fail(
    record: dict[str, Any],
) -> None:
    # Given one record of the mixed batch
    expectation = EXPECTATIONS[record["messageId"]]
    # When its body is checked as an EventBridge event
    try:
        problems = eventbridge_problems(json.loads(record["body"]))
    except json.JSONDecodeError:
        problems = ["the body is not JSON"]
    # Then exactly the records expected to be rejected have a wrong shape
    assert (problems != []) is (expectation.rejected_reason is not None), problems


# --- Outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EVENT_FILES)
def test_given_a_sample_event_when_decided_then_the_readme_outcome_is_reached(
    name: str, settings: Settings
) -> None:
    assert_reaches(EXPECTATIONS[name], read_event(name), settings)


@pytest.mark.parametrize("record", BATCH_RECORDS, ids=lambda record: record["messageId"][-2:])
def test_given_a_batch_record_when_decided_then_the_readme_outcome_is_reached(
    record: dict[str, Any], settings: Settings
) -> None:
    expectation = EXPECTATIONS[record["messageId"]]
    try:
        raw = json.loads(record["body"])
    except json.JSONDecodeError:
        # the handler rejects such a body before the parser sees it
        assert expectation.quoted_why == "body is not JSON"
        return
    assert_reaches(expectation, raw, settings)


# --- The checker can fail (each rule, on a copy of a good sample) -----------------------------


def backup_sample() -> dict[str, Any]:
    sample: dict[str, Any] = copy.deepcopy(read_event("backup-completed-ebs-lag-plan.json"))
    return sample


def copy_sample() -> dict[str, Any]:
    sample: dict[str, Any] = copy.deepcopy(read_event("copy-completed-into-dr-vault.json"))
    return sample


@pytest.mark.parametrize(
    "key",
    ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
)
def test_given_an_event_without_a_top_level_field_when_checked_then_it_fails(key: str) -> None:
    sample = backup_sample()
    del sample[key]
    assert eventbridge_problems(sample) != []


def test_given_a_backup_job_size_as_a_number_when_checked_then_it_fails() -> None:
    # backup job events carry backupSizeInBytes as a string
    sample = backup_sample()
    sample["detail"]["backupSizeInBytes"] = 8589934592
    assert any("backupSizeInBytes" in p for p in eventbridge_problems(sample))


def test_given_a_copy_job_size_as_a_string_when_checked_then_it_fails() -> None:
    # copy job events carry backupSizeInBytes as a number
    sample = copy_sample()
    sample["detail"]["backupSizeInBytes"] = "8589934592"
    assert any("backupSizeInBytes" in p for p in eventbridge_problems(sample))


def test_given_a_completed_copy_with_an_empty_object_destination_when_checked_then_it_fails() -> (
    None
):
    sample = copy_sample()
    sample["detail"]["destinationRecoveryPointArn"] = {}
    assert any("destinationRecoveryPointArn" in p for p in eventbridge_problems(sample))


def test_given_a_running_copy_with_an_empty_object_destination_when_checked_then_it_passes() -> (
    None
):
    sample = copy_sample()
    sample["detail"].update(state="RUNNING", destinationRecoveryPointArn={})
    del sample["detail"]["completionDate"]
    assert eventbridge_problems(sample) == []


def test_given_a_completed_backup_without_its_recovery_point_when_checked_then_it_fails() -> None:
    sample = backup_sample()
    sample["resources"] = []
    assert eventbridge_problems(sample) != []


def test_given_an_on_demand_backup_when_checked_then_a_missing_created_by_passes() -> None:
    sample = backup_sample()
    del sample["detail"]["createdBy"]
    assert eventbridge_problems(sample) == []


def test_given_a_created_by_missing_its_plan_id_when_checked_then_it_fails() -> None:
    sample = backup_sample()
    del sample["detail"]["createdBy"]["backupPlanId"]
    assert eventbridge_problems(sample) != []


def test_given_the_minimal_created_sample_shape_when_checked_then_it_passes() -> None:
    # AWS's CREATED sample carries only backupJobId, state and creationDate.
    sample = backup_sample()
    sample["resources"] = []
    sample["detail"] = {
        "backupJobId": "7e8845b5-ca30-415f-a842-e0152bf4d0ca",
        "state": "CREATED",
        "creationDate": "2026-10-05T07:20:01.466Z",
    }
    assert eventbridge_problems(sample) == []


def test_given_an_sqs_record_whose_md5_does_not_match_when_checked_then_it_fails() -> None:
    batch = copy.deepcopy(read_event(SQS_BATCH))
    batch["Records"][0]["body"] += " "
    assert any("md5OfBody" in p for p in sqs_problems(batch))


def test_given_an_sqs_record_from_another_source_when_checked_then_it_fails() -> None:
    batch = copy.deepcopy(read_event(SQS_BATCH))
    batch["Records"][1]["eventSource"] = "aws:kinesis"
    assert sqs_problems(batch) != []
