"""Parsing the CloudTrail record of a KMS call (pure): what is read, and precise rejections."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core.kernel.errors import InvalidEventError
from core.key_guard.kms_events import KeyRef, parse_key_event
from tests.samples import ACCOUNT, REGION, read_event

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = KeyRef(ACCOUNT, REGION, KEY_ID)
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"


def sample(name: str = "kms-schedule-key-deletion.json") -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(read_event(name))
    return event


def test_given_a_deletion_by_key_id_when_parsed_then_the_key_and_its_window_are_read() -> None:
    event = parse_key_event(sample())
    assert (event.event_name, event.key, event.key_arn) == ("ScheduleKeyDeletion", KEY, KEY_ARN)
    assert event.pending_window_days == 7
    assert event.event_time == datetime(2026, 10, 20, 9, 15, 2, tzinfo=UTC)
    assert event.actor == f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"
    assert event.error_code is None


def test_given_a_key_named_by_its_arn_when_parsed_then_it_is_the_same_key() -> None:
    event = parse_key_event(sample("kms-disable-key.json"))
    assert (event.event_name, event.key, event.pending_window_days) == ("DisableKey", KEY, None)


def test_given_a_failed_call_when_parsed_then_its_error_code_is_kept() -> None:
    event = parse_key_event(sample("kms-schedule-key-deletion-denied.json"))
    assert event.error_code == "AccessDeniedException"
    assert event.key_arn == KEY_ARN  # from resources[0], as responseElements is null


def test_given_a_multi_region_key_id_when_parsed_then_it_is_kept_whole() -> None:
    event = sample()
    event["detail"]["requestParameters"]["keyId"] = "mrk-1234abcd12ab34cd56ef1234567890ab"
    key = parse_key_event(event).key
    assert key == KeyRef(ACCOUNT, REGION, "mrk-1234abcd12ab34cd56ef1234567890ab")


def test_given_a_key_arn_when_read_as_a_key_then_aliases_and_other_arns_are_not_keys() -> None:
    assert KeyRef.from_arn(KEY_ARN) == KEY
    assert KeyRef.from_arn(f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/backup") is None
    assert KeyRef.from_arn(f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:daily") is None
    assert KeyRef.from_arn("not an arn") is None


Change = Callable[[dict[str, Any]], object]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(source="aws.backup"), "expected 'aws.kms'"),
        (lambda e: e.update({"detail-type": "KMS Key State Change"}), "expected 'AWS API Call"),
        (lambda e: e["detail"].update(eventSource="s3.amazonaws.com"), "kms.amazonaws.com"),
        (lambda e: e["detail"].update(eventName="Encrypt"), "'Encrypt' is not one of"),
        (lambda e: e["detail"].update(requestParameters=None), "requestParameters.keyId is"),
        (lambda e: e["detail"]["requestParameters"].pop("keyId"), "keyId is missing"),
        (
            lambda e: e["detail"]["requestParameters"].update(keyId="alias/backups"),
            "is an alias",
        ),
        (
            lambda e: e["detail"]["requestParameters"].update(
                keyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/backups"
            ),
            "is not a key ARN",
        ),
        (lambda e: e.update(account="12345"), "not a 12-digit account id"),
        (lambda e: e["detail"].update(eventTime="yesterday"), "eventTime is not an ISO-8601"),
        (lambda e: e.update(detail="{}"), "detail is not a JSON object"),
    ],
)
def test_given_a_malformed_event_when_parsed_then_the_first_problem_is_named(
    change: Change, message: str
) -> None:
    event = sample()
    change(event)
    with pytest.raises(InvalidEventError) as raised:
        parse_key_event(event)
    assert raised.value.reason == "malformed-event"
    assert message in raised.value.message


def test_given_something_that_is_not_an_event_when_parsed_then_it_is_rejected() -> None:
    with pytest.raises(InvalidEventError):
        parse_key_event(["not", "an", "event"])


# --- Imported key material and grants (DeleteImportedKeyMaterial, RevokeGrant, RetireGrant) ----

GRANT_ID = "abcde1237f76e4ba7987489ac329fbfba6ad343d6f7075dbd1ef191f0120514a"


def test_given_deleted_key_material_when_parsed_then_it_is_a_key_event_on_the_key() -> None:
    # Given the documented DeleteImportedKeyMaterial record (ct-deleteimportedkeymaterial.html)
    event = parse_key_event(sample("kms-delete-imported-key-material.json"))
    # Then it is read like the other key events, and it is no routine removal
    assert (event.event_name, event.key, event.key_arn) == (
        "DeleteImportedKeyMaterial",
        KEY,
        KEY_ARN,
    )
    assert not event.routine


def test_given_a_revoked_grant_when_parsed_then_the_key_and_the_grant_are_read() -> None:
    event = parse_key_event(sample("kms-revoke-grant.json"))
    assert (event.event_name, event.key, event.grant_id) == ("RevokeGrant", KEY, GRANT_ID)
    assert (event.by_aws_service, event.routine) == (False, False)


def test_given_a_retired_grant_without_request_parameters_when_parsed_then_key_is_resource() -> (
    None
):
    # Given the documented RetireGrant record: requestParameters null, the grant in
    # additionalEventData, the key only in resources (ct-retire-grant.html)
    event = parse_key_event(sample("kms-retire-grant.json"))
    # Then the key comes from resources, and a role of the account retiring it is no routine
    assert (event.key, event.key_arn, event.grant_id) == (KEY, KEY_ARN, GRANT_ID)
    assert not event.routine


def test_given_aws_backup_retiring_its_grant_when_parsed_then_it_is_routine() -> None:
    # Given a RetireGrant that AWS Backup made (userIdentity.invokedBy backup.amazonaws.com)
    event = parse_key_event(sample("kms-retire-grant-by-aws-backup.json"))
    # Then it is a routine removal
    assert (event.by_aws_service, event.routine) == (True, True)


def test_given_an_aws_service_identity_without_invoked_by_when_parsed_then_it_is_routine() -> None:
    raw = sample("kms-retire-grant.json")
    raw["detail"]["userIdentity"] = {"type": "AWSService", "accountId": ACCOUNT}
    assert parse_key_event(raw).routine


def test_given_an_aws_service_disabling_a_key_when_parsed_then_it_is_not_routine() -> None:
    # Given DisableKey made through a service (CloudFormation disabling a key, say)
    raw = sample("kms-disable-key.json")
    raw["detail"]["userIdentity"]["invokedBy"] = "cloudformation.amazonaws.com"
    # Then only grant removals can be routine: the key is still at risk
    event = parse_key_event(raw)
    assert (event.by_aws_service, event.routine) == (True, False)


def test_given_a_retired_grant_whose_record_names_no_key_when_parsed_then_it_is_rejected() -> None:
    raw = sample("kms-retire-grant.json")
    raw["detail"]["resources"] = []
    with pytest.raises(InvalidEventError) as raised:
        parse_key_event(raw)
    assert "resources must name the one key" in raised.value.message


def test_given_a_retired_grant_named_by_key_id_when_parsed_then_the_request_names_the_key() -> None:
    raw = sample("kms-retire-grant.json")
    raw["detail"]["requestParameters"] = {"keyId": KEY_ARN, "grantId": GRANT_ID}
    raw["detail"]["resources"] = []
    assert parse_key_event(raw).key == KEY
