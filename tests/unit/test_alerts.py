"""Rendering alerts for SNS (core.kernel.alerts): one readable message per problem."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from copyctl.__main__ import build_parser
from core.kernel.alerts import (
    SUBJECT_MAX_CHARS,
    Alert,
    AlertKind,
    alert_for_entry,
    message,
    subject,
)
from core.kernel.ledger_states import LedgerEntry, LedgerState
from tests.samples import LAG_VAULT_ARN, REGION
from tests.tracking_fakes import CUSTOMER_KEY

SNAPSHOT = "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718"
VOLUME = "arn:aws:ec2:us-east-1:111122223333:volume/vol-050eba21ee4d3c001"
FAILED_ENTRY = LedgerEntry(
    recovery_point_arn=SNAPSHOT,
    destination_vault_arn=LAG_VAULT_ARN,
    state=LedgerState.FAILED,
    reason="retries-exhausted",
    attempts=4,
    copy_job_id="47C8EF56-74D8-059D-1301-C5BE1D5C926E",
    source_vault_name="hourly",
    resource_type="EBS",
    resource_arn=VOLUME,
    explanation="Rate exceeded (attempt 4 of 4)",
    updated_at=datetime(2026, 10, 12, 9, 0, tzinfo=UTC),
)


def failed_alert() -> Alert:
    return alert_for_entry(FAILED_ENTRY, AlertKind.COPY_FAILED, REGION)


def test_given_a_failed_copy_when_rendered_then_the_message_names_everything_to_act_on() -> None:
    text = message(failed_alert())
    for needed in (SNAPSHOT, VOLUME, "hourly", LAG_VAULT_ARN, "retries-exhausted", "Rate exceeded"):
        assert needed in text
    assert "47C8EF56-74D8-059D-1301-C5BE1D5C926E" in text


def test_given_a_failed_copy_when_rendered_then_it_names_the_copyctl_command_to_retry() -> None:
    # Given the advice of a copy-failed alert
    command = re.search(r"`copyctl ([^`]+)`", message(failed_alert()))
    assert command is not None
    # When copyctl parses the command it names / Then it exists and retries failed copies
    arguments = build_parser().parse_args(command.group(1).split())
    assert (arguments.command, arguments.retry_failed) == ("reconcile", True)


def test_given_an_alert_when_rendered_then_it_links_both_vaults_in_the_console() -> None:
    text = message(failed_alert())
    base = "https://console.aws.amazon.com/backup/home?region=us-east-1#/backupvaults/details/"
    assert f"{base}lag" in text
    assert f"{base}hourly" in text


def test_given_an_alert_when_its_subject_is_rendered_then_it_says_what_where_and_why() -> None:
    assert subject(failed_alert()) == "AWS Backup copy failed: EBS to lag (retries-exhausted)"


def test_given_a_very_long_reason_when_the_subject_is_rendered_then_it_fits_sns() -> None:
    # SNS: less than 100 characters, no line breaks or control characters
    alert = replace(failed_alert(), reason="x" * 300 + "\nsecond line", resource_type="Bäckup")
    text = subject(alert)
    assert len(text) <= SUBJECT_MAX_CHARS < 100
    assert text.endswith("...")
    assert text.isascii()
    assert text.isprintable()


def test_given_a_key_dependent_copy_when_rendered_then_the_key_is_named() -> None:
    entry = replace(
        FAILED_ENTRY,
        state=LedgerState.KEY_DEPENDENT,
        reason="key-customer-managed",
        destination_key_arn=CUSTOMER_KEY,
    )
    alert = alert_for_entry(entry, AlertKind.KEY_DEPENDENT, REGION)
    assert f"Destination key: {CUSTOMER_KEY}" in message(alert)
    assert "depends on a customer key" in subject(alert)


def test_given_a_stuck_copy_when_rendered_then_it_says_since_when() -> None:
    alert = alert_for_entry(
        replace(FAILED_ENTRY, state=LedgerState.STARTED), AlertKind.STUCK, REGION
    )
    assert "In this state since: 2026-10-12T09:00:00+00:00" in message(alert)
