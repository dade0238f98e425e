"""Parsing AWS Backup EventBridge events: every accepted shape and every rejection reason."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.copying.recovery_point_events import parse_recovery_point_event
from core.kernel.errors import InvalidEventError
from core.kernel.models import Origin
from tests.samples import ACCOUNT, LAG_PLAN_ID, REGION, read_event, vault_arn

BACKUP_SNAPSHOT = f"arn:aws:ec2:{REGION}::snapshot/snap-0123456789abcdef0"
DR_COPY_SNAPSHOT = f"arn:aws:ec2:{REGION}::snapshot/snap-0c9d8e7f6a5b4c3d2"


def backup_event() -> dict[str, Any]:
    """A fresh, documented-shape "Backup Job State Change" COMPLETED event (EBS, LAG plan)."""
    event: dict[str, Any] = copy.deepcopy(read_event("backup-completed-ebs-lag-plan.json"))
    return event


def copy_event() -> dict[str, Any]:
    """A fresh "Copy Job State Change" COMPLETED into the source vault ``dr``."""
    event: dict[str, Any] = copy.deepcopy(read_event("copy-completed-into-dr-vault.json"))
    return event


def rejection(raw: object) -> str:
    with pytest.raises(InvalidEventError) as caught:
        parse_recovery_point_event(raw)
    assert caught.value.reason == "malformed-event"
    return caught.value.message


# --- Backup Job State Change: what is read ----------------------------------------------------


def test_given_a_completed_backup_event_when_parsed_then_every_field_is_read() -> None:
    # Given the documented shape of a completed backup job
    raw = backup_event()
    # When it is parsed
    event = parse_recovery_point_event(raw)
    # Then the model carries the event's values
    assert event.origin is Origin.BACKUP_JOB
    assert event.job_id == "b1e0c4a2-7d3f-4c8e-9a61-2f5d8e0b7c13"
    assert event.state == "COMPLETED"
    assert (event.account, event.region) == (ACCOUNT, REGION)
    assert (event.vault_name, event.vault_arn) == ("daily", vault_arn("daily"))
    assert event.resource_arn == f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0a1b2c3d4e5f60718"
    assert event.resource_type == "EBS"
    assert event.backup_plan_id == LAG_PLAN_ID
    assert event.parent_job_id is None
    assert event.creation_date == datetime(2026, 10, 5, 7, 20, 11, 482000, tzinfo=UTC)


def test_given_a_backup_event_when_parsed_then_the_recovery_point_is_resources_0() -> None:
    # Given a backup event: AWS puts the recovery point ARN in resources[0]
    raw = backup_event()
    # When parsed
    event = parse_recovery_point_event(raw)
    # Then the recovery point is that ARN
    assert event.recovery_point_arn == BACKUP_SNAPSHOT


def test_given_the_size_as_a_string_when_parsed_then_it_is_a_byte_count() -> None:
    # Given backupSizeInBytes as AWS sends it in backup job events: a string
    raw = backup_event()
    raw["detail"]["backupSizeInBytes"] = "36048"
    # When parsed / Then it becomes an integer
    assert parse_recovery_point_event(raw).size_in_bytes == 36048


def test_given_the_size_as_a_number_when_parsed_then_it_is_a_byte_count() -> None:
    # Given backupSizeInBytes as a JSON number (the copy job shape)
    raw = backup_event()
    raw["detail"]["backupSizeInBytes"] = 3221225472
    # When parsed / Then it is kept
    assert parse_recovery_point_event(raw).size_in_bytes == 3221225472


def test_given_no_size_when_parsed_then_the_size_is_unknown() -> None:
    # Given an event without backupSizeInBytes
    raw = backup_event()
    del raw["detail"]["backupSizeInBytes"]
    # When parsed / Then the size is None, not zero
    assert parse_recovery_point_event(raw).size_in_bytes is None


@pytest.mark.parametrize(
    "size",
    ["12.5", "-1", " 1", "1e3", "²", "١٢", "1" * 5000, -1, 1.5, [], {}],
    ids=lambda size: repr(size)[:12],
)
def test_given_a_size_that_is_not_a_byte_count_when_parsed_then_it_is_rejected(
    size: object,
) -> None:
    # Given a size that no byte count looks like (including digits int() refuses, like "²",
    # and more digits than int() converts)
    raw = backup_event()
    raw["detail"]["backupSizeInBytes"] = size
    # When parsed / Then the rejection names the field, never a bare ValueError
    assert "backupSizeInBytes is not a byte count" in rejection(raw)


def test_given_an_on_demand_job_without_created_by_when_parsed_then_it_has_no_plan() -> None:
    # Given an on-demand job: AWS leaves createdBy out
    raw = backup_event()
    del raw["detail"]["createdBy"]
    # When parsed / Then there is no plan
    assert parse_recovery_point_event(raw).backup_plan_id is None


def test_given_created_by_without_a_plan_id_when_parsed_then_it_has_no_plan() -> None:
    # Given a createdBy object that does not name its plan
    raw = backup_event()
    del raw["detail"]["createdBy"]["backupPlanId"]
    # When parsed / Then there is no plan id
    assert parse_recovery_point_event(raw).backup_plan_id is None


def test_given_created_by_that_is_not_an_object_when_parsed_then_it_is_rejected() -> None:
    # Given createdBy as a string
    raw = backup_event()
    raw["detail"]["createdBy"] = LAG_PLAN_ID
    # When parsed / Then the rejection names createdBy
    assert rejection(raw) == "detail.createdBy is not a JSON object"


def test_given_a_plan_id_that_is_not_a_string_when_parsed_then_it_is_rejected() -> None:
    # Given a numeric backupPlanId
    raw = backup_event()
    raw["detail"]["createdBy"]["backupPlanId"] = 42
    # When parsed / Then it is rejected
    assert rejection(raw) == "backupPlanId is not a string"


def test_given_empty_resources_when_the_detail_names_the_recovery_point_then_it_is_used() -> None:
    # Given no resources, but a recoveryPointArn in the detail
    raw = backup_event()
    raw["resources"] = []
    raw["detail"]["recoveryPointArn"] = BACKUP_SNAPSHOT
    # When parsed / Then the detail's ARN is the recovery point
    assert parse_recovery_point_event(raw).recovery_point_arn == BACKUP_SNAPSHOT


def test_given_resources_0_and_a_detail_arn_when_parsed_then_resources_0_wins() -> None:
    # Given both places name a recovery point
    raw = backup_event()
    raw["detail"]["recoveryPointArn"] = f"arn:aws:ec2:{REGION}::snapshot/snap-0ffffffffffffffff"
    # When parsed / Then the documented place, resources[0], wins
    assert parse_recovery_point_event(raw).recovery_point_arn == BACKUP_SNAPSHOT


@pytest.mark.parametrize("resources", [[], None], ids=["empty", "absent"])
def test_given_no_recovery_point_anywhere_when_parsed_then_it_is_left_to_describe_backup_job(
    resources: list[str] | None,
) -> None:
    # Given neither resources[0] nor detail.recoveryPointArn
    raw = backup_event()
    if resources is None:
        del raw["resources"]
    else:
        raw["resources"] = resources
    # When parsed / Then the recovery point is unknown (DescribeBackupJob will tell)
    assert parse_recovery_point_event(raw).recovery_point_arn is None


def test_given_a_parent_job_id_when_parsed_then_the_event_is_a_composite_child() -> None:
    # Given a child job of a composite backup
    raw = backup_event()
    raw["detail"]["parentJobId"] = "parent-job-1"
    # When parsed / Then the parent is kept
    assert parse_recovery_point_event(raw).parent_job_id == "parent-job-1"


def test_given_a_running_job_when_parsed_then_its_state_is_kept_for_screening() -> None:
    # Given a job that has not completed
    raw = backup_event()
    raw["detail"]["state"] = "RUNNING"
    # When parsed / Then it parses; the decision (not the parser) skips it
    assert parse_recovery_point_event(raw).state == "RUNNING"


# --- Backup Job State Change: every rejection reason ------------------------------------------


@pytest.mark.parametrize("raw", [[], "event", None, 42], ids=repr)
def test_given_an_event_that_is_not_an_object_when_parsed_then_it_is_rejected(
    raw: object,
) -> None:
    # Given JSON that is not an object / Then the rejection says so
    assert rejection(raw) == "event is not a JSON object"


def test_given_another_source_when_parsed_then_it_is_rejected() -> None:
    # Given an event from another service
    raw = backup_event()
    raw["source"] = "aws.ec2"
    # When parsed / Then the rejection names the source
    assert rejection(raw) == "source is 'aws.ec2', expected 'aws.backup'"


def test_given_another_detail_type_when_parsed_then_it_is_rejected() -> None:
    # Given an AWS Backup event that is not about a job
    raw = backup_event()
    raw["detail-type"] = "Backup Vault State Change"
    # When parsed / Then the rejection names the detail-type
    assert "'Backup Vault State Change' is not a backup or copy job state change" in rejection(raw)


@pytest.mark.parametrize("detail", [None, [], "detail"], ids=repr)
def test_given_a_detail_that_is_not_an_object_when_parsed_then_it_is_rejected(
    detail: object,
) -> None:
    raw = backup_event()
    raw["detail"] = detail
    assert rejection(raw) == "detail is not a JSON object"


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("detail", "backupJobId"),
        ("detail", "state"),
        ("detail", "backupVaultArn"),
        ("detail", "backupVaultName"),
        ("detail", "resourceArn"),
        ("detail", "resourceType"),
        ("event", "account"),
        ("event", "region"),
    ],
)
@pytest.mark.parametrize("how", ["missing", "blank", "number"])
def test_given_a_required_field_that_is_missing_or_not_text_when_parsed_then_it_is_named(
    where: str, field: str, how: str
) -> None:
    # Given a required field that is absent, blank or not a string
    raw = backup_event()
    container = raw["detail"] if where == "detail" else raw
    if how == "missing":
        del container[field]
    else:
        container[field] = "   " if how == "blank" else 7
    # When parsed / Then the rejection names exactly that field
    assert rejection(raw) == f"{field} is missing or not a non-empty string"


@pytest.mark.parametrize(
    "account", ["11112222333", "1111222233334", "11112222333x", "١١١١٢٢٢٢٣٣٣٣"]
)
def test_given_an_account_that_is_not_12_ascii_digits_when_parsed_then_it_is_rejected(
    account: str,
) -> None:
    raw = backup_event()
    raw["account"] = account
    assert rejection(raw) == f"account {account!r} is not a 12-digit account id"


def test_given_a_vault_name_that_differs_from_its_arn_when_parsed_then_it_is_rejected() -> None:
    # Given a vault name that does not match the vault ARN
    raw = backup_event()
    raw["detail"]["backupVaultName"] = "monthly"
    # When parsed / Then the mismatch is the reason
    assert rejection(raw) == "detail.backupVaultName does not match detail.backupVaultArn"


@pytest.mark.parametrize(
    "arn",
    [
        "daily",
        f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:daily",
        f"arn:aws:s3:{REGION}:{ACCOUNT}:backup-vault:daily",
        "arn:aws:backup",
    ],
)
def test_given_a_vault_arn_that_is_not_a_backup_vault_when_parsed_then_it_is_rejected(
    arn: str,
) -> None:
    raw = backup_event()
    raw["detail"]["backupVaultArn"] = arn
    assert "detail.backupVaultArn is not" in rejection(raw)


def test_given_a_resource_arn_that_is_not_an_arn_when_parsed_then_it_is_rejected() -> None:
    raw = backup_event()
    raw["detail"]["resourceArn"] = "vol-0a1b2c3d4e5f60718"
    assert rejection(raw) == "resourceArn is not an ARN: 'vol-0a1b2c3d4e5f60718'"


def test_given_resources_that_is_not_a_list_when_parsed_then_it_is_rejected() -> None:
    raw = backup_event()
    raw["resources"] = BACKUP_SNAPSHOT
    assert rejection(raw) == "resources is not a list"


@pytest.mark.parametrize("first", ["snap-0123", 12, None, "arn:aws:ec2"])
def test_given_resources_0_that_is_not_an_arn_when_parsed_then_it_is_rejected(
    first: object,
) -> None:
    raw = backup_event()
    raw["resources"] = [first]
    assert rejection(raw).startswith("resources[0] is not")


def test_given_a_creation_date_that_is_not_iso_8601_when_parsed_then_it_is_rejected() -> None:
    raw = backup_event()
    raw["detail"]["creationDate"] = "Jul 15, 2020 9:39:07 PM"
    assert rejection(raw) == "creationDate is not an ISO-8601 timestamp: 'Jul 15, 2020 9:39:07 PM'"


def test_given_a_creation_date_that_is_a_number_when_parsed_then_it_is_rejected() -> None:
    raw = backup_event()
    raw["detail"]["creationDate"] = 1759648811
    assert rejection(raw) == "creationDate is not a string"


def test_given_a_detail_recovery_point_that_is_not_a_string_when_parsed_then_it_is_rejected() -> (
    None
):
    raw = backup_event()
    raw["resources"] = []
    raw["detail"]["recoveryPointArn"] = {}
    assert rejection(raw) == "recoveryPointArn is not a string"


# --- Copy Job State Change (the DR case) ------------------------------------------------------


def test_given_a_completed_copy_into_a_vault_when_parsed_then_the_new_recovery_point_is_read() -> (
    None
):
    # Given a completed copy job: resources[0] is the *source* recovery point
    raw = copy_event()
    # When parsed
    event = parse_recovery_point_event(raw)
    # Then the recovery point to protect is the destination one, in the destination vault
    assert event.origin is Origin.COPY_JOB
    assert event.recovery_point_arn == DR_COPY_SNAPSHOT
    assert event.recovery_point_arn != raw["resources"][0]
    assert (event.vault_name, event.vault_arn) == ("dr", vault_arn("dr"))
    assert event.job_id == "5F1B9E3A-7C2D-4E8F-A0B6-C4D2E8F1A3B5"
    assert event.resource_type == "EBS"
    assert event.size_in_bytes == 8589934592
    assert event.backup_plan_id == "c0ffee00-1234-4abc-8def-0123456789ab"


def test_given_a_running_copy_with_an_empty_object_destination_when_parsed_then_it_has_none() -> (
    None
):
    # Given a copy job that has not finished: AWS sends destinationRecoveryPointArn as {}
    raw = copy_event()
    raw["detail"]["state"] = "RUNNING"
    raw["detail"]["destinationRecoveryPointArn"] = {}
    # When parsed / Then there is no recovery point yet
    assert parse_recovery_point_event(raw).recovery_point_arn is None


def test_given_a_completed_copy_with_an_empty_object_destination_when_parsed_then_rejected() -> (
    None
):
    # Given a COMPLETED copy job whose destination is still {}
    raw = copy_event()
    raw["detail"]["destinationRecoveryPointArn"] = {}
    # When parsed / Then it is rejected: a completed copy must name its recovery point
    assert rejection(raw) == "a COMPLETED copy job must name its destinationRecoveryPointArn"


def test_given_a_copy_destination_that_is_not_an_arn_when_parsed_then_it_is_rejected() -> None:
    raw = copy_event()
    raw["detail"]["destinationRecoveryPointArn"] = "snap-0c9d8e7f6a5b4c3d2"
    assert rejection(raw) == (
        "detail.destinationRecoveryPointArn is not an ARN: 'snap-0c9d8e7f6a5b4c3d2'"
    )


@pytest.mark.parametrize("field", ["copyJobId", "destinationBackupVaultArn", "resourceType"])
def test_given_a_copy_event_without_a_required_field_when_parsed_then_it_is_named(
    field: str,
) -> None:
    raw = copy_event()
    del raw["detail"][field]
    assert rejection(raw) == f"{field} is missing or not a non-empty string"


def test_given_a_copy_destination_vault_that_is_not_a_vault_when_parsed_then_it_is_rejected() -> (
    None
):
    raw = copy_event()
    raw["detail"]["destinationBackupVaultArn"] = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:x"
    assert rejection(raw).startswith("detail.destinationBackupVaultArn is not a backup vault ARN")


def test_given_a_forwarded_copy_event_when_parsed_then_its_vault_gives_account_and_region() -> None:
    # Given the DR copy's event as raised in the source Region (us-west-2) and forwarded to the
    # DR Region's bus: the envelope keeps the Region where the event originated
    raw = copy_event()
    raw["region"] = "us-west-2"
    # When parsed
    event = parse_recovery_point_event(raw)
    # Then its account and Region are those of the vault the copy landed in (this Region's)
    assert (event.account, event.region) == (ACCOUNT, REGION)
    assert event.vault_arn == vault_arn("dr")


def test_given_an_envelope_without_a_region_when_a_copy_event_is_parsed_then_it_is_rejected() -> (
    None
):
    raw = copy_event()
    del raw["region"]
    assert rejection(raw) == "region is missing or not a non-empty string"


# --- Property: nothing but InvalidEventError escapes ------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
DETAIL_KEYS = sorted(
    set(backup_event()["detail"])
    | set(copy_event()["detail"])
    | {"parentJobId", "recoveryPointArn"}
)
TOP_KEYS = sorted(backup_event())


@st.composite
def event_like(draw: st.DrawFn) -> object:
    """A documented event with some fields replaced by arbitrary JSON, or arbitrary JSON."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    raw: dict[str, Any] = draw(st.sampled_from([backup_event, copy_event]))()
    for key in draw(st.lists(st.sampled_from(DETAIL_KEYS), max_size=4)):
        raw["detail"][key] = draw(json_values | st.text())
    for key in draw(st.lists(st.sampled_from(TOP_KEYS), max_size=2)):
        raw[key] = draw(json_values)
    return raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_like())
def test_given_any_json_event_when_parsed_then_only_invalid_event_error_can_escape(
    raw: object,
) -> None:
    # Given arbitrary JSON-ish input, including documented events with fields replaced
    # When parsed
    try:
        event = parse_recovery_point_event(raw)
    except InvalidEventError:
        return
    # Then anything accepted round-trips through JSON and names a job and a vault
    json.dumps(raw)
    assert event.job_id.strip()
    assert event.vault_name.strip()
