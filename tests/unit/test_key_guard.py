"""The key guard against in-memory ports: which vaults, which alert, which copies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from core.kernel.config import Settings
from core.kernel.errors import PermanentError, RetryableError
from core.kernel.ledger_states import LedgerState
from core.key_guard.alert_path import AlertPathSettings
from core.key_guard.alerts import (
    alert_path_message,
    alert_path_subject,
    key_risk_message,
    key_risk_subject,
)
from core.key_guard.guard import ALERT_LIST_LIMIT, GuardOutcome, GuardOutcomeKind, KeyGuard
from core.key_guard.kms_events import KeyEvent, parse_key_event
from core.reconcile.coverage import Action, Standing
from core.reconcile.cursor import ReconcileCursor
from tests.reconcile_fakes import (
    CMK,
    NOW,
    OTHER_CMK,
    FakeVaultKeys,
    RecordingKeyAlerts,
    World,
    entry,
    listed,
    make_world,
)
from tests.samples import LAG_VAULT_ARN, read_event

DELETION = parse_key_event(read_event("kms-schedule-key-deletion.json"))  # the key CMK
OTHER_KEY_DELETION = parse_key_event(read_event("kms-schedule-key-deletion-other-key.json"))


@dataclass
class Guarded:
    world: World
    keys: FakeVaultKeys
    alerts: RecordingKeyAlerts
    guard: KeyGuard

    def run(self, event: KeyEvent = DELETION, seconds: float | None = None) -> GuardOutcome:
        deadline = self.world.clock.now + timedelta(seconds=seconds) if seconds else None
        return self.guard.guard(event, deadline)


@pytest.fixture
def guarded(settings: Settings) -> Guarded:
    """``daily`` is encrypted with CMK, the other source vaults with another key."""
    world = make_world(settings)
    keys = FakeVaultKeys({"daily": CMK, "hourly": OTHER_CMK, "monthly": None, "dr": OTHER_CMK})
    alerts = RecordingKeyAlerts()
    guard = KeyGuard(settings, keys, world.reconciler, alerts, world.clock, cursors=world.cursors)
    return Guarded(world, keys, alerts, guard)


def test_given_the_key_of_a_source_vault_when_guarded_then_one_alert_names_vault_and_points(
    guarded: Guarded,
) -> None:
    # Given daily holds two unprotected points and one protected, all under the key
    points = [listed(n) for n in range(3)]
    guarded.world.listing.vaults["daily"] = points
    guarded.world.ledger.put(entry(points[0], LAG_VAULT_ARN, LedgerState.PROTECTED))
    # When its key is scheduled for deletion
    outcome = guarded.run()
    # Then one alert names the vault and the two unprotected points, counting the protected one
    [alert] = guarded.alerts.published
    assert (outcome.kind, outcome.vaults, alert.vaults) == (
        GuardOutcomeKind.ALERTED,
        ("daily",),
        ("daily",),
    )
    assert [f.point.arn for f in alert.unprotected] == [points[1].arn, points[2].arn]
    assert alert.coverage.totals()[Standing.PROTECTED] == 1
    assert alert.scan_complete


def test_given_the_key_of_a_source_vault_when_guarded_then_its_points_are_copied_at_once(
    guarded: Guarded,
) -> None:
    guarded.world.listing.vaults["daily"] = [listed(n) for n in range(3)]
    outcome = guarded.run()
    assert outcome.heal is not None
    assert outcome.heal.actions == {Action.COPY_STARTED: 3}
    assert guarded.world.backup.calls["StartCopyJob"] == 3


def test_given_the_key_when_guarded_then_the_whole_vault_is_read_not_only_the_window(
    guarded: Guarded,
) -> None:
    guarded.world.listing.vaults["daily"] = [listed(1, age=timedelta(days=300))]
    guarded.run()
    assert set(guarded.world.listing.created_after_seen) == {None}
    assert guarded.world.backup.calls["StartCopyJob"] == 1


def test_given_points_under_other_keys_in_the_vault_when_guarded_then_they_are_left_out(
    guarded: Guarded,
) -> None:
    # Given an EBS snapshot in daily encrypted with its volume's own key, not the vault's
    guarded.world.listing.vaults["daily"] = [
        listed(1),
        listed(2, resource_type="EBS", encryption_key_arn=OTHER_CMK),
        listed(3, encryption_key_arn=None),  # no key said: the vault's
    ]
    guarded.run()
    [alert] = guarded.alerts.published
    assert [f.point.arn[-1] for f in alert.unprotected] == ["1", "3"]


def test_given_a_key_no_vault_uses_when_guarded_then_no_alert_and_nothing_read(
    guarded: Guarded, settings: Settings
) -> None:
    guarded.keys.keys = dict.fromkeys(settings.source_vault_names, OTHER_CMK)
    outcome = guarded.run()
    assert outcome.kind is GuardOutcomeKind.NOT_IN_USE
    assert guarded.alerts.published == []
    assert guarded.world.listing.requests == []


def test_given_a_key_only_recovery_points_use_when_guarded_then_their_vault_is_read(
    guarded: Guarded,
) -> None:
    # Given the last pass saw EBS snapshots in hourly under a key no vault uses
    ebs = listed(1, vault="hourly", resource_type="EBS", encryption_key_arn=CMK)
    guarded.world.listing.vaults["hourly"] = [ebs]
    guarded.keys.keys["daily"] = OTHER_CMK
    finished_pass = ReconcileCursor.first(("daily",), None, NOW).finished()
    guarded.world.cursors.stored = replace(
        finished_pass, last_key_usage={CMK: frozenset({"hourly"})}
    )
    # When that key is scheduled for deletion
    outcome = guarded.run()
    # Then the alert names hourly and the snapshot
    [alert] = guarded.alerts.published
    assert outcome.vaults == ("hourly",)
    assert [f.point.arn for f in alert.unprotected] == [ebs.arn]


def test_given_two_key_events_when_guarded_then_vault_keys_are_described_once(
    guarded: Guarded,
) -> None:
    guarded.run()
    guarded.run(OTHER_KEY_DELETION)
    assert set(guarded.keys.calls.values()) == {1}


def test_given_a_source_vault_that_does_not_exist_when_guarded_then_it_is_passed_over(
    guarded: Guarded,
) -> None:
    del guarded.keys.keys["monthly"]
    guarded.world.listing.vaults["daily"] = [listed(1)]
    assert guarded.run().vaults == ("daily",)


def test_given_no_permission_to_describe_vaults_when_guarded_then_it_fails_loudly(
    guarded: Guarded,
) -> None:
    def denied(vault_name: str) -> str | None:
        raise PermanentError("AccessDeniedException", "backup:DescribeBackupVault")

    guarded.keys.encryption_key_arn = denied  # type: ignore[method-assign]
    with pytest.raises(PermanentError):
        guarded.run()


def test_given_the_scan_failing_when_guarded_then_the_alert_still_goes_out(
    guarded: Guarded,
) -> None:
    listing = guarded.world.listing

    def throttled(*args: object, **kwargs: object) -> object:
        raise RetryableError("ThrottlingException", "ListRecoveryPointsByBackupVault: slow down")

    listing.recovery_point_pages = throttled  # type: ignore[method-assign,assignment]
    outcome = guarded.run()
    [alert] = guarded.alerts.published
    assert alert.vaults == ("daily",)
    assert alert.scan_error is not None
    assert "slow down" in key_risk_message(alert)
    assert (outcome.kind, outcome.heal) == (GuardOutcomeKind.ALERTED, None)


def test_given_many_unprotected_points_when_alerted_then_the_message_names_the_first_only(
    guarded: Guarded,
) -> None:
    guarded.world.listing.vaults["daily"] = [listed(n) for n in range(ALERT_LIST_LIMIT + 5)]
    guarded.run()
    [alert] = guarded.alerts.published
    assert len(alert.unprotected) == ALERT_LIST_LIMIT
    assert alert.unprotected_count == ALERT_LIST_LIMIT + 5
    assert f"the first {ALERT_LIST_LIMIT}" in key_risk_message(alert)


def test_given_a_deadline_when_guarded_then_the_scan_gets_half_and_the_copies_the_rest(
    guarded: Guarded,
) -> None:
    # Ten points, one second each to examine, ten seconds in all
    guarded.world.listing.vaults["daily"] = [listed(n) for n in range(10)]
    outcome = guarded.run(seconds=10)
    [alert] = guarded.alerts.published
    assert not alert.scan_complete
    assert outcome.survey is not None
    assert outcome.heal is not None
    assert outcome.survey.examined == 5
    assert outcome.heal.examined == 5


# --- the message ------------------------------------------------------------------------------


def test_given_an_alert_when_rendered_then_subject_and_message_say_what_to_do(
    guarded: Guarded,
) -> None:
    guarded.world.listing.vaults["daily"] = [listed(1)]
    guarded.run()
    [alert] = guarded.alerts.published
    subject, message = key_risk_subject(alert), key_risk_message(alert)
    assert subject.startswith("[HIGH] KMS ScheduleKeyDeletion")
    assert len(subject) < 100
    assert "Deletion waiting period: 7 days" in message
    assert "CancelKeyDeletion" in message
    assert listed(1).arn in message
    assert "#/backupvaults/details/daily" in message


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("kms-disable-key.json", "EnableKey"),
        ("kms-put-key-policy.json", "key policy"),
        ("kms-schedule-key-deletion-denied.json", "The call failed (AccessDeniedException)"),
    ],
)
def test_given_each_kind_of_key_event_when_alerted_then_the_advice_fits_it(
    guarded: Guarded, name: str, advice: str
) -> None:
    guarded.run(parse_key_event(read_event(name)))
    [alert] = guarded.alerts.published
    assert advice in key_risk_message(alert)


# --- Grants and imported key material ------------------------------------------------------------


def test_given_aws_backup_retiring_its_grant_when_guarded_then_nothing_is_read_or_alerted(
    guarded: Guarded,
) -> None:
    # Given AWS Backup retiring its own grant on the key of daily after a job
    routine = parse_key_event(read_event("kms-retire-grant-by-aws-backup.json"))
    guarded.world.listing.vaults["daily"] = [listed(0)]
    # When guarded
    outcome = guarded.run(routine)
    # Then it is routine: no alert, no vault key read, no copy
    assert outcome.kind is GuardOutcomeKind.ROUTINE
    assert guarded.alerts.published == []
    assert not guarded.keys.calls
    assert guarded.world.backup.started == []


@pytest.mark.parametrize(
    "name",
    ["kms-revoke-grant.json", "kms-retire-grant.json", "kms-delete-imported-key-material.json"],
)
def test_given_a_grant_or_key_material_removed_by_a_person_when_guarded_then_it_alerts(
    guarded: Guarded, name: str
) -> None:
    # Given daily's key, and a grant revoked or retired (or its key material deleted) by a role
    guarded.world.listing.vaults["daily"] = [listed(0)]
    outcome = guarded.run(parse_key_event(read_event(name)))
    # Then it is a key at risk, alerted with what to do
    [alert] = guarded.alerts.published
    assert (outcome.kind, alert.vaults) == (GuardOutcomeKind.ALERTED, ("daily",))
    assert "KMS" in key_risk_message(alert)
    assert alert.event.event_name in key_risk_subject(alert)


# --- The alert topic's own key -------------------------------------------------------------

ALERT_KEY_EVENT = parse_key_event(read_event("kms-disable-alert-topic-key.json"))


def _with_alert_path(guarded: Guarded) -> KeyGuard:
    path = AlertPathSettings(ALERT_KEY_EVENT.key, "arn:aws:sns:us-east-1:111122223333:fallback")
    return replace(guarded.guard, alert_path=path, fallback=guarded.alerts)


def test_given_the_alert_topics_key_disabled_when_guarded_then_the_fallback_topic_is_told(
    guarded: Guarded,
) -> None:
    # Given a guard that knows the alert topic's key and has a fallback topic
    guard = _with_alert_path(guarded)
    # When that key is disabled
    outcome = guard.guard(ALERT_KEY_EVENT, deadline=None)
    # Then one alert goes to the fallback topic, naming the alert topic; nothing else happens
    assert outcome.kind is GuardOutcomeKind.ALERT_PATH_AT_RISK
    [risk] = guarded.alerts.alert_path_risks
    assert (risk.event, risk.alert_topic_arn) == (ALERT_KEY_EVENT, guard.settings.alert_topic_arn)
    assert guarded.alerts.published == []
    assert not guarded.keys.calls


def test_given_the_alert_topics_key_at_risk_when_alerted_then_the_message_says_what_is_lost(
    guarded: Guarded,
) -> None:
    _with_alert_path(guarded).guard(ALERT_KEY_EVENT, deadline=None)
    [risk] = guarded.alerts.alert_path_risks
    subject, text = alert_path_subject(risk), alert_path_message(risk)
    assert subject.startswith("[HIGH] KMS DisableKey on the backup alert topic's key")
    assert len(subject) < 100
    assert risk.alert_topic_arn in text
    assert "EnableKey" in text
    assert "aws/sns" in text


def test_given_a_vault_key_when_guarded_with_an_alert_path_then_it_is_a_vault_alert_as_before(
    guarded: Guarded,
) -> None:
    guarded.world.listing.vaults["daily"] = [listed(0)]
    outcome = _with_alert_path(guarded).guard(DELETION, deadline=None)
    assert outcome.kind is GuardOutcomeKind.ALERTED
    assert guarded.alerts.alert_path_risks == []
