"""Backup jobs of a source vault that wrote nothing: parsing, and the alert an operator reads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.kernel.errors import InvalidEventError
from core.tracking.backup_job_problems import (
    is_backup_job_event,
    parse_backup_job_problem,
    problem_message,
    problem_subject,
)
from tests.samples import read_event


def sample(state: str = "FAILED") -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(read_event("backup-failed-ebs.json"))
    event["detail"]["state"] = state
    return event


def test_given_the_failed_sample_when_parsed_then_job_resource_and_reason_are_read() -> None:
    problem = parse_backup_job_problem(sample())
    assert (problem.state, problem.vault_name, problem.resource_type) == ("FAILED", "hourly", "EBS")
    assert problem.job_id == "e4f1d6b3-8a2c-4d9f-b071-3a6e9f1c8d24"
    assert problem.status_message == "Insufficient privileges to perform this action."
    assert problem.backup_plan_id == "5b8d2c4e-1f3a-4e6b-9c7d-0a1b2c3d4e5f"


@pytest.mark.parametrize("state", ["FAILED", "EXPIRED", "ABORTED"])
def test_given_a_problem_state_when_alerted_then_subject_and_advice_fit_it(state: str) -> None:
    problem = parse_backup_job_problem(sample(state))
    subject, text = problem_subject(problem), problem_message(problem)
    assert subject == f"AWS Backup job {state}: EBS in hourly - no recovery point"
    assert len(subject) < 100
    assert f"describe-backup-job --backup-job-id {problem.job_id}" in text
    assert problem.resource_arn in text


def test_given_an_expired_job_when_alerted_then_the_one_job_per_resource_rule_is_named() -> None:
    text = problem_message(parse_backup_job_problem(sample("EXPIRED")))
    assert "one backup or copy job per resource at a time" in text
    assert "BackupStartWindowMinutes" in text


def test_given_an_on_demand_job_without_reason_when_alerted_then_both_are_said() -> None:
    event = sample()
    del event["detail"]["createdBy"], event["detail"]["statusMessage"]
    text = problem_message(parse_backup_job_problem(event))
    assert "Reason: AWS Backup gave none" in text
    assert "none (an on-demand job)" in text


@pytest.mark.parametrize("state", ["COMPLETED", "RUNNING", "CREATED"])
def test_given_a_job_that_is_no_problem_when_parsed_then_it_is_rejected(state: str) -> None:
    with pytest.raises(InvalidEventError, match="is not one of"):
        parse_backup_job_problem(sample(state))


def test_given_a_vault_name_unlike_its_arn_when_parsed_then_it_is_rejected() -> None:
    event = sample()
    event["detail"]["backupVaultName"] = "daily"
    with pytest.raises(InvalidEventError, match="does not match"):
        parse_backup_job_problem(event)


def test_only_backup_job_events_are_recognised() -> None:
    assert is_backup_job_event(sample())
    assert not is_backup_job_event(read_event("copy-job-running.json"))
    assert not is_backup_job_event(["not", "an", "event"])
