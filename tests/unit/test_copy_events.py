"""Parsing "Copy Job State Change" events of tracked copies (core.tracking.copy_job_events)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.kernel.copy_jobs import CopyJobState
from core.kernel.errors import InvalidEventError
from core.tracking.copy_job_events import parse_copy_job_update
from tests.samples import LAG_VAULT_ARN, MANAGED_VAULT_ARN, read_event, vault_arn
from tests.tracking_fakes import (
    COMPLETED,
    COPY_JOB_SAMPLES,
    CREATED,
    FAILED_RETENTION,
    FAILED_THROTTLED,
    RUNNING,
)

SOURCE_SNAPSHOT = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718"


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(read_event(name))
    return event


@pytest.mark.parametrize("name", COPY_JOB_SAMPLES)
def test_given_each_copy_job_sample_when_parsed_then_its_state_is_the_one_in_its_name(
    name: str,
) -> None:
    # Given a sample named after its state / When parsed
    update = parse_copy_job_update(read_event(name))
    # Then the state matches the file name
    expected = name.removeprefix("copy-job-").split("-")[0].removesuffix(".json").upper()
    assert update.state.value == expected


def test_given_a_running_copy_when_parsed_then_the_source_is_resources_0_and_no_destination() -> (
    None
):
    update = parse_copy_job_update(read_event(RUNNING))
    assert update.source_recovery_point_arn == SOURCE_SNAPSHOT
    # "destinationRecoveryPointArn": {} until the job completes
    assert update.destination_recovery_point_arn is None
    assert (update.source_vault_arn, update.destination_vault_arn) == (
        vault_arn("hourly"),
        LAG_VAULT_ARN,
    )
    assert (update.source_vault_name, update.destination_vault_name) == ("hourly", "lag")


def test_given_a_running_copy_when_parsed_then_job_resource_and_plan_are_kept() -> None:
    update = parse_copy_job_update(read_event(RUNNING))
    assert update.copy_job_id == "0175DE71-5784-589F-D8AC-541ACCB4CAC8"
    assert (update.resource_type, update.resource_arn) == (
        "EBS",
        "arn:aws:ec2:us-east-1:111122223333:volume/vol-050eba21ee4d3c001",
    )
    assert update.backup_plan_id == "b58e3621-1c53-4997-ad8a-afc3347a850e"


def test_given_the_documented_created_copy_when_parsed_then_it_has_no_job_id_nor_resource() -> None:
    # The CREATED sample carries only creationDate, state and the two vault ARNs
    update = parse_copy_job_update(read_event(CREATED))
    assert update.state is CopyJobState.CREATED
    assert (update.copy_job_id, update.resource_type, update.resource_arn) == (None, None, None)
    assert update.source_recovery_point_arn == SOURCE_SNAPSHOT


def test_given_a_completed_copy_when_parsed_then_its_destination_recovery_point_is_kept() -> None:
    update = parse_copy_job_update(read_event(COMPLETED))
    assert update.destination_recovery_point_arn == (
        "arn:aws:backup:us-east-1:111122223333:recovery-point:3c9c2e5a-1f0b-4b6e-9d7a-5e2f8c1d0a47"
    )


def test_given_a_completed_copy_with_an_empty_destination_when_parsed_then_it_is_rejected() -> None:
    event = sample(COMPLETED)
    event["detail"]["destinationRecoveryPointArn"] = {}
    with pytest.raises(InvalidEventError, match="destinationRecoveryPointArn"):
        parse_copy_job_update(event)


def test_given_a_failed_copy_when_parsed_then_its_status_message_is_kept() -> None:
    update = parse_copy_job_update(read_event(FAILED_RETENTION))
    assert update.status_message is not None
    assert update.status_message.startswith("Copy job failed. The retention specified")


def test_given_a_status_message_in_quotes_when_parsed_then_the_quotes_are_dropped() -> None:
    # Backup job failure samples wrap statusMessage in quotes; the text is what matters
    event = sample(FAILED_THROTTLED)
    event["detail"]["statusMessage"] = '"Rate exceeded"'
    assert parse_copy_job_update(event).status_message == "Rate exceeded"


def test_given_an_on_demand_copy_when_parsed_then_it_has_no_plan() -> None:
    update = parse_copy_job_update(read_event(FAILED_THROTTLED))
    assert update.backup_plan_id is None
    assert update.destination_vault_arn == MANAGED_VAULT_ARN


@pytest.mark.parametrize("state", ["RUNNING", "COMPLETED", "FAILED"])
def test_given_a_started_job_without_copy_job_id_when_parsed_then_it_is_rejected(
    state: str,
) -> None:
    event = sample(COMPLETED)
    event["detail"]["state"] = state
    del event["detail"]["copyJobId"]
    with pytest.raises(InvalidEventError, match="copyJobId"):
        parse_copy_job_update(event)


def test_given_an_unknown_state_when_parsed_then_it_is_rejected() -> None:
    event = sample(RUNNING)
    event["detail"]["state"] = "ABORTED"  # a backup job state, not a copy job one
    with pytest.raises(InvalidEventError, match="not a copy job state"):
        parse_copy_job_update(event)


def test_given_no_source_recovery_point_when_parsed_then_it_is_rejected() -> None:
    event = sample(RUNNING)
    event["resources"] = []
    with pytest.raises(InvalidEventError, match="resources"):
        parse_copy_job_update(event)


def test_given_a_destination_that_is_not_a_vault_when_parsed_then_it_is_rejected() -> None:
    event = sample(RUNNING)
    event["detail"]["destinationBackupVaultArn"] = "arn:aws:s3:::a-bucket"
    with pytest.raises(InvalidEventError, match="destinationBackupVaultArn"):
        parse_copy_job_update(event)


def test_given_a_backup_job_event_when_parsed_as_a_copy_then_it_is_rejected() -> None:
    event = read_event("backup-completed-ebs-lag-plan.json")
    with pytest.raises(InvalidEventError, match="Copy Job State Change"):
        parse_copy_job_update(event)


def test_given_a_destination_that_is_neither_arn_nor_empty_object_when_parsed_then_rejected() -> (
    None
):
    event = sample(RUNNING)
    event["detail"]["destinationRecoveryPointArn"] = {"arn": "x"}
    with pytest.raises(InvalidEventError, match="destinationRecoveryPointArn"):
        parse_copy_job_update(event)
