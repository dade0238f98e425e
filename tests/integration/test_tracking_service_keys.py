"""Tracking copies into the service-key vaults: a same-Region copy found key-dependent goes on to
the DR Region's vault without an alert; the alert comes only when no placement is left."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from moto import mock_aws

from core.kernel.alerts import AlertKind
from core.kernel.copy_jobs import CopyJobUpdate
from core.kernel.ledger_states import LedgerState
from core.tracking.next_attempt import FALLBACK_AFTER_KEY_DEPENDENT
from core.tracking.tracking_service import TrackingOutcomeKind
from tests.fakes import make_settings
from tests.integration.test_tracking_service import RUNNING_JOB, World, make_world
from tests.samples import DR_REGION, DR_SVC_RDS_VAULT_ARN, SVC_RDS_VAULT_ARN, vault_arn
from tests.tracking_fakes import (
    AWS_BACKUP_KEY,
    COMPLETED,
    CUSTOMER_KEY,
    RUNNING,
    copy_job_facts,
    copy_update,
)

RDS_INSTANCE = "arn:aws:rds:us-east-1:111122223333:db:orders"
INTO_SVC_RDS = {
    "destinationBackupVaultArn": SVC_RDS_VAULT_ARN,
    "resourceType": "RDS",
    "resourceArn": RDS_INSTANCE,
}

INTO_DR_SVC_RDS = {**INTO_SVC_RDS, "destinationBackupVaultArn": DR_SVC_RDS_VAULT_ARN}


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        yield make_world(make_settings())


def rds_copy_completed_under(world: World, key_arn: str, **detail: str) -> CopyJobUpdate:
    """An RDS copy into the same-Region aws/rds vault was started, and completed under a key."""
    world.copy_started(copy_update(RUNNING, **INTO_SVC_RDS, **detail), job=RUNNING_JOB)
    update = copy_update(COMPLETED, **INTO_SVC_RDS, **detail)
    world.backup.copy_jobs[RUNNING_JOB] = copy_job_facts(update, destination_key_arn=key_arn)
    return update


def test_given_a_same_region_copy_under_the_vault_key_when_completed_then_it_is_protected(
    world: World,
) -> None:
    # Given the copy was re-encrypted under aws/rds (AWS managed)
    update = rds_copy_completed_under(world, AWS_BACKUP_KEY)
    # Then protected, no next placement
    assert world.track(update) is TrackingOutcomeKind.PROTECTED
    assert world.backup.started == []


def test_given_a_same_region_copy_that_kept_the_source_key_when_completed_then_dr_copy_no_alert(
    world: World,
) -> None:
    # Given the copy kept the source's customer managed key (the [open] case)
    update = rds_copy_completed_under(world, CUSTOMER_KEY)
    # When tracked
    outcome = world.service.track(update)
    # Then the recovery point goes on to the DR Region's aws/rds vault, without an alert
    assert outcome.kind is TrackingOutcomeKind.FELL_BACK
    assert outcome.reason == FALLBACK_AFTER_KEY_DEPENDENT
    [request] = world.backup.started
    assert request["DestinationBackupVaultArn"] == DR_SVC_RDS_VAULT_ARN
    assert world.alerts.published == []
    entry = world.entry(update)
    assert (entry.state, entry.reason) == (LedgerState.KEY_DEPENDENT, FALLBACK_AFTER_KEY_DEPENDENT)
    assert entry.pending_alert is None
    dr_entry = world.entry(update, DR_SVC_RDS_VAULT_ARN)
    assert (dr_entry.state, dr_entry.reason) == (LedgerState.STARTED, "copy-to-dr-service-key")


def test_given_the_key_dependent_event_twice_when_tracked_then_one_dr_copy_and_no_alert(
    world: World,
) -> None:
    update = rds_copy_completed_under(world, CUSTOMER_KEY)
    world.track(update)
    assert world.track(update) is TrackingOutcomeKind.DUPLICATE
    assert len(world.backup.started) == 1
    assert world.alerts.published == []


def test_given_no_dr_stack_when_the_same_region_copy_is_key_dependent_then_one_alert() -> None:
    with mock_aws():
        # Given same-Region placement without a DR Region
        world = make_world(make_settings(DR_VAULT_ARN=""))
        update = rds_copy_completed_under(world, CUSTOMER_KEY)
        # When tracked, twice
        assert world.track(update) is TrackingOutcomeKind.KEY_DEPENDENT
        world.track(update)
        # Then no placement is left: the key-dependent alert, once
        assert world.backup.started == []
        [alert] = world.alerts.published
        assert alert.kind is AlertKind.KEY_DEPENDENT


def test_given_the_dr_copy_is_key_dependent_too_when_completed_then_the_alert_is_raised(
    world: World,
) -> None:
    # Given the fallback copy into the DR Region's vault
    first = rds_copy_completed_under(world, CUSTOMER_KEY)
    world.backup.next_copy_job_ids.append("dr-copy-job")
    world.track(first)
    dr_done = copy_update(COMPLETED, **INTO_DR_SVC_RDS, copyJobId="dr-copy-job")
    world.backup.copy_jobs["dr-copy-job"] = copy_job_facts(
        dr_done, destination_key_arn=CUSTOMER_KEY
    )
    # When it too ends under a customer managed key
    assert world.track(dr_done) is TrackingOutcomeKind.KEY_DEPENDENT
    # Then no placement is left: the alert
    [alert] = world.alerts.published
    assert alert.kind is AlertKind.KEY_DEPENDENT


def test_given_another_regions_copy_into_this_stacks_vault_when_tracked_then_it_is_not_ours() -> (
    None
):
    with mock_aws():
        # Given the DR stack (its own aws/rds vault) and a copy the primary started into it,
        # delivered to the DR Region's bus
        dr_env = {"MANAGED_VAULT_ARN": vault_arn("orchestrator-managed-key", region=DR_REGION)}
        dr_env |= {"LAG_VAULT_ARN": vault_arn("lag", region=DR_REGION), "DR_VAULT_ARN": ""}
        world = make_world(make_settings(**dr_env))
        update = replace(copy_update(COMPLETED, **INTO_DR_SVC_RDS), region=DR_REGION)
        # Then the DR stack leaves it to the primary
        assert world.track(update) is TrackingOutcomeKind.NOT_A_DESTINATION
