"""The reconciler's and key guard's ``events/`` samples: documented shapes, README outcomes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.kernel.config import Settings
from core.kernel.errors import InvalidEventError
from core.key_guard.alert_path import AlertPathSettings
from core.key_guard.guard import KeyGuard
from core.key_guard.kms_events import KeyRef, parse_key_event
from tests.contract.event_shapes import cloudtrail_kms_problems, scheduled_event_problems
from tests.reconcile_fakes import (
    CMK,
    FakeVaultKeys,
    RecordingKeyAlerts,
    make_world,
)
from tests.samples import event_file_names, read_event, readme_expectations

EXPECTATIONS = readme_expectations()
KMS_FILES = [name for name in event_file_names() if name.startswith("kms-")]
WELL_FORMED_KMS = [name for name in KMS_FILES if "malformed" not in name]
MALFORMED_KMS = [name for name in KMS_FILES if "malformed" in name]
SCHEDULED = "scheduled-reconcile.json"
DR_KEY = CMK.replace("1234abcd", "5678efab")  # neither sample key
ALERT_KEY = KeyRef("111122223333", "us-east-1", "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a")
ALERT_PATH = AlertPathSettings(ALERT_KEY, "arn:aws:sns:us-east-1:111122223333:fallback")


def guard_outcome(raw: Any, settings: Settings) -> tuple[str, str]:
    """(outcome, vaults named) of the key guard, with daily/hourly/monthly under ``CMK``."""
    world = make_world(settings)
    keys = {"daily": CMK, "hourly": CMK, "monthly": CMK, "dr": DR_KEY}
    alerts = RecordingKeyAlerts()
    guard = KeyGuard(
        settings,
        FakeVaultKeys(keys),
        world.reconciler,
        alerts,
        world.clock,
        alert_path=ALERT_PATH,
        fallback=alerts,
    )
    outcome = guard.guard(parse_key_event(raw), deadline=None)
    return f"key-guard:{outcome.kind.value}", ",".join(outcome.vaults)


def test_the_samples_cover_every_key_operation_and_a_rejection() -> None:
    names = {read_event(name)["detail"]["eventName"] for name in WELL_FORMED_KMS}
    assert names == {
        "ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy", "DeleteImportedKeyMaterial",
        "RevokeGrant", "RetireGrant",
    }  # fmt: skip
    assert MALFORMED_KMS


@pytest.mark.parametrize("name", WELL_FORMED_KMS)
def test_given_a_kms_sample_when_checked_then_it_has_the_documented_shape(name: str) -> None:
    assert cloudtrail_kms_problems(read_event(name)) == []


@pytest.mark.parametrize("name", MALFORMED_KMS)
def test_given_a_malformed_kms_sample_when_checked_then_the_shape_check_fails(name: str) -> None:
    assert cloudtrail_kms_problems(read_event(name)) != []


def test_given_the_scheduled_sample_when_checked_then_it_has_the_documented_shape() -> None:
    assert scheduled_event_problems(read_event(SCHEDULED)) == []
    assert EXPECTATIONS[SCHEDULED].expected == "reconcile:scheduled"


@pytest.mark.parametrize("name", KMS_FILES)
def test_given_a_kms_sample_when_guarded_then_the_readme_outcome_is_reached(
    name: str, settings: Settings
) -> None:
    expectation = EXPECTATIONS[name]
    if (reason := expectation.rejected_reason) is not None:
        with pytest.raises(InvalidEventError) as caught:
            parse_key_event(read_event(name))
        assert caught.value.reason == reason
        assert expectation.quoted_why in caught.value.message
        return
    assert guard_outcome(read_event(name), settings) == (expectation.expected, expectation.target)


# --- The checkers can fail ----------------------------------------------------------------------


def kms_sample() -> dict[str, Any]:
    sample: dict[str, Any] = copy.deepcopy(read_event("kms-schedule-key-deletion.json"))
    return sample


@pytest.mark.parametrize(
    "key", ["eventTime", "eventSource", "eventName", "requestID", "eventID", "userIdentity"]
)
def test_given_a_record_without_a_field_when_checked_then_it_fails(key: str) -> None:
    sample = kms_sample()
    del sample["detail"][key]
    assert cloudtrail_kms_problems(sample) != []


def test_given_a_record_from_another_service_when_checked_then_it_fails() -> None:
    sample = kms_sample()
    sample["detail"]["eventSource"] = "backup.amazonaws.com"
    assert any("eventSource" in p for p in cloudtrail_kms_problems(sample))


def test_given_a_key_named_by_alias_when_checked_then_it_fails() -> None:
    sample = kms_sample()
    sample["detail"]["requestParameters"]["keyId"] = "alias/backups"
    assert any("keyId" in p for p in cloudtrail_kms_problems(sample))


def test_given_a_failed_call_with_response_elements_when_checked_then_it_fails() -> None:
    sample = kms_sample()
    sample["detail"]["errorCode"] = "AccessDeniedException"
    assert any("responseElements" in p for p in cloudtrail_kms_problems(sample))


def test_given_a_record_in_another_region_when_checked_then_it_fails() -> None:
    sample = kms_sample()
    sample["detail"]["awsRegion"] = "eu-west-1"
    assert any("awsRegion" in p for p in cloudtrail_kms_problems(sample))


def test_given_a_scheduled_event_with_a_detail_when_checked_then_it_fails() -> None:
    sample = copy.deepcopy(read_event(SCHEDULED))
    sample["detail"] = {"vaults": ["daily"]}
    assert scheduled_event_problems(sample) != []


def test_given_a_scheduled_event_without_its_rule_when_checked_then_it_fails() -> None:
    sample = copy.deepcopy(read_event(SCHEDULED))
    sample["resources"] = []
    assert scheduled_event_problems(sample) != []
