"""The next attempt of a failed copy (core.tracking.next_attempt): same vault, new token."""

from __future__ import annotations

from core.kernel.config import Settings
from core.kernel.copy_jobs import VaultRetention
from core.kernel.models import CopyDecision, Reason, SkipDecision, StorageClass, Target
from core.tracking.next_attempt import Route, retry_decision, route_for_vault, with_live_retention
from tests.fakes import EBS_SNAPSHOT, make_event, make_facts, make_settings
from tests.samples import LAG_VAULT_ARN, MANAGED_VAULT_ARN, vault_arn

OVERRIDE_VAULT = vault_arn("fsx-copies")


def lag_route(settings: Settings) -> Route:
    route = route_for_vault(LAG_VAULT_ARN, settings)
    assert route is not None
    return route


def test_given_each_destination_when_routed_then_its_target_is_known() -> None:
    settings = make_settings(DESTINATION_OVERRIDES=f'{{"FSx": "{OVERRIDE_VAULT}"}}')
    targets = {
        arn: route.target
        for arn in (LAG_VAULT_ARN, MANAGED_VAULT_ARN, OVERRIDE_VAULT)
        if (route := route_for_vault(arn, settings))
    }
    assert targets == {
        LAG_VAULT_ARN: Target.LAG,
        MANAGED_VAULT_ARN: Target.MANAGED,
        OVERRIDE_VAULT: Target.OVERRIDE,
    }


def test_given_a_source_vault_when_routed_then_it_is_not_a_destination(settings: Settings) -> None:
    assert route_for_vault(vault_arn("daily"), settings) is None


def test_given_a_retry_when_decided_then_it_keeps_the_destination_with_a_new_token(
    settings: Settings,
) -> None:
    # Given the copy of a daily EBS snapshot to the LAG vault
    event, facts = make_event(), make_facts()
    # When attempts 1 and 2 are decided
    first = retry_decision(event, facts, lag_route(settings), settings, attempt=1, why="first")
    second = retry_decision(event, facts, lag_route(settings), settings, attempt=2, why="again")
    # Then both go to the LAG vault, with different idempotency tokens
    assert isinstance(first, CopyDecision)
    assert isinstance(second, CopyDecision)
    assert second.reason is Reason.COPY_TO_LAG
    assert second.request["DestinationBackupVaultArn"] == LAG_VAULT_ARN
    assert first.request["IdempotencyToken"] != second.request["IdempotencyToken"]


def test_given_the_vaults_live_range_when_retried_then_the_lifecycle_fits_it(
    settings: Settings,
) -> None:
    # Given a source kept 30 days, and a LAG vault that really demands at least 45
    route = with_live_retention(lag_route(settings), VaultRetention(min_days=45, max_days=400))
    # When the retry is decided
    decision = retry_decision(make_event(), make_facts(), route, settings, attempt=2, why="r")
    # Then the copy is kept 45 days
    assert isinstance(decision, CopyDecision)
    assert decision.request["Lifecycle"] == {"DeleteAfterDays": 45}


def test_given_a_vault_without_a_reported_minimum_when_live_range_is_used_then_config_stays(
    settings: Settings,
) -> None:
    route = with_live_retention(lag_route(settings), VaultRetention(min_days=None, max_days=None))
    assert (route.destination.min_retention_days, route.destination.max_retention_days) == (7, None)


def test_given_a_source_gone_cold_when_retried_then_the_skip_is_returned(
    settings: Settings,
) -> None:
    facts = make_facts(EBS_SNAPSHOT, storage_class=StorageClass.COLD)
    decision = retry_decision(
        make_event(), facts, lag_route(settings), settings, attempt=2, why="r"
    )
    assert isinstance(decision, SkipDecision)
    assert decision.reason is Reason.SKIP_COLD
