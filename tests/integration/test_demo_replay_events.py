"""``copyctl demo --events`` (``demo.replay.runner``): the copy handler against the emulator for
every decision path of ``events/``, each fixture reaching the outcome events/README.md lists.

Every copy-path fixture is replayed once through template.yaml (its primary and DR stacks, one
provisioning for the module); the SQS batch names recovery points of three single-event fixtures,
so it is replayed in a world of its own, or its records would be repeats. The copy jobs are read
from AWS (the emulator) directly; decisions come from the ledger as the copy function wrote it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

import emulator
from core.kernel.models import Reason
from demo.replay.events import events_home
from demo.replay.render import render_text
from demo.replay.runner import NOT_ROUTED, ItemReport, ReplayReport, replay_events, replay_session
from tests.samples import Expectation, read_event, readme_expectations

EXPECTATIONS = readme_expectations()
SQS_BATCH = "sqs-batch-mixed.json"
# The reconciler's, key guard's and service-key resolver's samples are not events of the copy path.
OTHER_HANDLERS = ("kms-", "scheduled-", "cloudformation-")
COPY_PATH_FILES = sorted(
    key
    for key in EXPECTATIONS
    if key.endswith(".json") and key != SQS_BATCH and not key.startswith(OTHER_HANDLERS)
)
BATCH_RECORDS = [record["messageId"] for record in read_event(SQS_BATCH)["Records"]]


@dataclass(frozen=True)
class Replayed:
    report: ReplayReport
    copy_jobs: list[dict[str, Any]]  # AWS Backup's own ListCopyJobs answer after the replay

    def item(self, source: str, record: str | None = None) -> ItemReport:
        return self.report.item(source, record)

    def copy_jobs_of(self, item: ItemReport) -> list[dict[str, Any]]:
        """The copy jobs whose source is a recovery point the event names."""
        return [
            job for job in self.copy_jobs if job["SourceRecoveryPointArn"] in item.recovery_points
        ]


def replayed(names: list[str]) -> Replayed:
    """One replay in a moto mock of its own, closed before the tests look (no mock overlaps)."""
    events = [(name, read_event(name)) for name in names]
    with replay_session(*events_home([document for _, document in events])):
        report = replay_events(events)
        backup = boto3.client("backup", region_name=emulator.DEFAULT_REGION)
        pages = backup.get_paginator("list_copy_jobs").paginate()
        jobs = [job for page in pages for job in page["CopyJobs"]]
    return Replayed(report, jobs)


@pytest.fixture(scope="module")
def files() -> Replayed:
    return replayed(COPY_PATH_FILES)


@pytest.fixture(scope="module")
def batch() -> Replayed:
    return replayed([SQS_BATCH])


def assert_reaches(item: ItemReport, expectation: Expectation) -> None:
    if (reason := expectation.rejected_reason) is not None:
        assert item.decisions == []
        (parked,) = item.parked
        assert parked["reason"] == reason
        assert expectation.quoted_why in parked["detail"]
        return
    assert [parked for parked in item.parked if parked["reason"]] == []  # nothing rejected
    (decision,) = item.decisions
    assert decision["reason"] == expectation.expected, decision["explanation"]
    assert decision["target"] == expectation.target


def copy_expected(expectation: Expectation) -> bool:
    return expectation.rejected_reason is None and Reason(expectation.expected).is_copy


# --- every copy-path fixture ---------------------------------------------------------------


def test_every_copy_path_fixture_of_the_readme_is_replayed(files: Replayed) -> None:
    assert [item.source for item in files.report.items] == COPY_PATH_FILES
    assert len(COPY_PATH_FILES) >= 15


@pytest.mark.parametrize("name", COPY_PATH_FILES)
def test_given_a_fixture_when_replayed_then_the_ledger_reaches_its_readme_outcome(
    name: str, files: Replayed
) -> None:
    assert_reaches(files.item(name), EXPECTATIONS[name])


@pytest.mark.parametrize("name", COPY_PATH_FILES)
def test_given_a_fixture_when_replayed_then_a_copy_job_starts_only_where_a_copy_is_expected(
    name: str, files: Replayed
) -> None:
    # Given the fixture replayed; When AWS Backup lists its copy jobs
    item, expectation = files.item(name), EXPECTATIONS[name]
    jobs = files.copy_jobs_of(item)
    # Then there is one, into the decided vault, exactly where a copy is expected
    if copy_expected(expectation):
        (job,) = jobs
        assert job["DestinationBackupVaultArn"] == item.decisions[0]["destination_vault"]
    else:
        assert jobs == []


def test_given_an_ebs_backup_of_a_lag_plan_when_replayed_then_its_lag_copy_is_verified(
    files: Replayed,
) -> None:
    item = files.item("backup-completed-ebs-lag-plan.json")
    (job,) = item.copy_jobs
    assert job["state"] == "COMPLETED"
    assert job["destination_key"] == emulator.aws_owned_key_arn()
    assert (job["tracked_state"], job["tracked_reason"]) == ("protected", "key-aws-owned")
    # The seeded recovery point keeps the daily vault's 30 days (its lock minimum).
    assert job["lifecycle"] == {"DeleteAfterDays": 30}


def test_given_a_backup_in_a_foreign_vault_when_replayed_then_it_is_reported_not_routed(
    files: Replayed,
) -> None:
    # Given a vault no rule of the template names
    item = files.item("backup-completed-foreign-vault.json")
    # Then no rule routed it, and the copy function decided it only when invoked directly
    assert (item.delivery, item.routes) == (NOT_ROUTED, [])
    assert item.direct == {
        "function": "backup-copy-demo-CopyFunction",
        "answer": {"outcome": "skipped"},
    }
    assert item.seeded == []  # its vault does not exist here: nothing to seed


def test_given_a_created_copy_event_when_replayed_then_no_rule_forwards_it(
    files: Replayed,
) -> None:
    # The tracking rule leaves CREATED out; the copy rule wants copies into source vaults.
    assert files.item("copy-job-created.json").delivery == NOT_ROUTED


def test_given_the_dr_copy_when_replayed_then_the_dr_stacks_rule_routes_it_to_its_copy_function(
    files: Replayed,
) -> None:
    item = files.item("copy-completed-into-dr-vault.json")
    (route,) = item.routes
    assert route["rule"] == "CopyIntoSourceVaultCompletedRule (backup-copy-demo-dr)"
    assert route["targets"] == [
        {"queue": "backup-copy-demo-dr-CopyQueue", "function": "backup-copy-demo-dr-CopyFunction"}
    ]
    assert item.direct is None


def test_given_the_replay_when_printed_then_each_event_says_how_it_went(
    files: Replayed,
) -> None:
    text = render_text(files.report)
    foreign = text.split("backup-completed-foreign-vault.json: ", 1)[1].split("\n\n", 1)[0]
    assert NOT_ROUTED in foreign
    assert "decision: skip-out-of-scope" in foreign
    assert "copy-to-lag → lag" in text
    assert json.loads(json.dumps(files.report.as_dict()))["events"]  # --json can print it


# --- the SQS batch ----------------------------------------------------------------------------


@pytest.mark.parametrize("message_id", BATCH_RECORDS, ids=lambda message_id: message_id[-2:])
def test_given_a_batch_record_when_delivered_as_lambda_does_then_its_readme_outcome_is_reached(
    message_id: str, batch: Replayed
) -> None:
    item = batch.item(SQS_BATCH, message_id)
    expectation = EXPECTATIONS[message_id]
    assert_reaches(item, expectation)
    assert len(batch.copy_jobs_of(item)) == (1 if copy_expected(expectation) else 0)
    assert item.direct == {"function": "backup-copy-demo-CopyFunction", "batch_item_failure": False}


def test_given_the_batch_when_replayed_then_every_invocation_succeeds(batch: Replayed) -> None:
    assert batch.report.healthy, batch.report.run
    assert batch.report.unattributed == {"ledger": [], "copy_jobs": [], "parked": []}
