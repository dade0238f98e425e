"""The routing table of docs/service-key-vaults.md section 4, one test per row (pure core)."""

from __future__ import annotations

import json

from core.copying.decision import (
    DestinationChoice,
    NoDestination,
    choose_destination,
    decide,
    fallback_from_lag,
)
from core.kernel.config import Settings
from core.kernel.copy_jobs import KeyManager
from core.kernel.models import CopyDecision, Reason, SkipDecision, Target
from tests.fakes import make_event, make_facts, make_settings
from tests.samples import (
    DR_SVC_RDS_VAULT_ARN,
    LAG_VAULT_ARN,
    MANAGED_VAULT_ARN,
    SVC_EBS_VAULT_ARN,
    SVC_RDS_VAULT_ARN,
    vault_arn,
)

# A Region without a LAG vault: the plans cannot opt in, so the opt-in is off for every point.
NO_LAG_REGION = {"LAG_PLAN_IDS": "", "LAG_SOURCE_VAULT_NAMES": ""}


def chosen(resource_type: str, plan_uses_lag: bool, settings: Settings) -> DestinationChoice:
    route = choose_destination(resource_type, plan_uses_lag, settings)
    assert isinstance(route, DestinationChoice), route
    return route


def refused(resource_type: str, plan_uses_lag: bool, settings: Settings) -> NoDestination:
    route = choose_destination(resource_type, plan_uses_lag, settings)
    assert isinstance(route, NoDestination), route
    return route


def test_given_a_fully_managed_type_and_lag_when_routed_then_it_goes_to_lag(
    settings: Settings,
) -> None:
    route = chosen("S3", True, settings)
    assert (route.target, route.destination.vault_arn) == (Target.LAG, LAG_VAULT_ARN)


def test_given_a_fully_managed_type_whose_plan_does_not_opt_in_then_the_managed_vault(
    settings: Settings,
) -> None:
    route = chosen("S3", False, settings)
    assert (route.target, route.reason) == (Target.MANAGED, Reason.COPY_TO_MANAGED)
    assert route.destination.vault_arn == MANAGED_VAULT_ARN


def test_given_a_not_fully_managed_lag_capable_type_with_lag_then_it_goes_to_lag(
    settings: Settings,
) -> None:
    assert chosen("EBS", True, settings).target is Target.LAG
    assert chosen("Aurora", True, settings).target is Target.LAG


def test_given_rds_when_routed_then_it_goes_to_its_service_key_vault_in_this_region(
    settings: Settings,
) -> None:
    # Given RDS from a plan that opts in (RDS instances are not LAG-capable)
    route = chosen("RDS", True, settings)
    # Then the vault under aws/rds here, never the aws/backup vault
    assert (route.target, route.reason) == (Target.SERVICE_KEY, Reason.COPY_TO_SERVICE_KEY)
    assert route.destination.vault_arn == SVC_RDS_VAULT_ARN
    assert "RDS is not LAG-capable" in route.why
    assert "aws/rds" in route.why


def test_given_ebs_whose_plan_does_not_opt_in_then_it_goes_to_the_aws_ebs_vault(
    settings: Settings,
) -> None:
    route = chosen("EBS", False, settings)
    assert (route.target, route.destination.vault_arn) == (Target.SERVICE_KEY, SVC_EBS_VAULT_ARN)
    assert route.why.startswith("plan does not opt into LAG")


def test_given_a_region_without_lag_when_ec2_is_decided_then_it_goes_to_the_aws_ebs_vault() -> None:
    # Given a Region without a LAG vault (no plan can opt in)
    settings = make_settings(**NO_LAG_REGION)
    event = make_event(resource_type="EC2")
    # When the whole decision runs
    decision = decide(event, make_facts(), plan_uses_lag=False, settings=settings)
    # Then EC2 copies under aws/ebs, the EBS key AWS names for EC2
    assert isinstance(decision, CopyDecision)
    assert decision.request["DestinationBackupVaultArn"] == SVC_EBS_VAULT_ARN


def test_given_dr_region_placement_when_rds_is_routed_then_it_goes_to_the_dr_region() -> None:
    settings = make_settings(SERVICE_KEY_PLACEMENT="dr-region")
    route = chosen("RDS", False, settings)
    assert (route.target, route.reason) == (Target.DR_SERVICE_KEY, Reason.COPY_TO_DR_SERVICE_KEY)
    assert route.destination.vault_arn == DR_SVC_RDS_VAULT_ARN


def test_given_no_aws_rds_vault_when_rds_is_routed_then_a_skip_names_what_to_deploy() -> None:
    # Given stacks that provision only aws/ebs vaults (SERVICE_KEY_VAULTS names what both have)
    settings = make_settings(SERVICE_KEY_VAULTS="ebs")
    # Then RDS has no vault, and the skip names what to deploy
    route = refused("RDS", False, settings)
    assert route.reason is Reason.SKIP_NO_SERVICE_KEY_VAULT
    assert "ServiceKeyVaults including rds" in route.why


def test_given_dr_region_placement_without_service_keys_when_routed_then_a_skip() -> None:
    settings = make_settings(SERVICE_KEY_VAULTS="none", DR_VAULT_ARN="")
    route = refused("RDS", False, settings)
    assert "ServiceKeyVaults including rds and a DrRegion" in route.why


def test_given_an_unknown_service_key_without_lag_when_routed_then_a_skip_says_what_to_set(
    settings: Settings,
) -> None:
    # Given DocumentDB (not fully managed; the matrix does not name its key) outside LAG
    route = refused("DocumentDB", False, settings)
    # Then it is skipped, never sent to aws/backup, and the skip names the override to set
    assert route.reason is Reason.SKIP_NO_SERVICE_KEY_VAULT
    assert "service_key in SupportMatrixOverrides" in route.why


def test_given_an_unknown_service_key_with_lag_when_routed_then_lag(settings: Settings) -> None:
    assert chosen("DocumentDB", True, settings).target is Target.LAG


def test_given_a_matrix_override_naming_the_key_when_routed_then_its_vault() -> None:
    overrides = json.dumps({"DocumentDB": {"service_key": "aws/rds"}})
    settings = make_settings(SUPPORT_MATRIX_OVERRIDES=overrides)
    assert chosen("DocumentDB", False, settings).destination.vault_arn == SVC_RDS_VAULT_ARN


def test_given_a_type_the_matrix_does_not_know_when_routed_then_the_managed_vault_is_tried(
    settings: Settings,
) -> None:
    # Its copy is verified like any other: an unknown type is not refused on a guess
    assert chosen("NewService", False, settings).target is Target.MANAGED


def test_given_an_override_when_rds_is_routed_then_the_override_keeps_priority() -> None:
    override = vault_arn("rds-copies")
    settings = make_settings(DESTINATION_OVERRIDES=json.dumps({"RDS": override}))
    assert chosen("RDS", False, settings).destination.vault_arn == override


def test_given_a_source_under_an_aws_managed_key_when_decided_then_it_is_skipped(
    settings: Settings,
) -> None:
    event = make_event(resource_type="RDS")
    decision = decide(event, make_facts(), False, settings, source_key_manager=KeyManager.AWS)
    assert isinstance(decision, SkipDecision)
    assert decision.reason is Reason.SKIP_SOURCE_KEY_INDEPENDENT


def test_given_lag_refused_an_ebs_copy_when_it_falls_back_then_the_aws_ebs_vault(
    settings: Settings,
) -> None:
    # Given EBS whose LAG copy was refused
    fallback = fallback_from_lag(make_event(), make_facts(), settings, attempt=1)
    # Then the fallback is the aws/ebs vault, never aws/backup
    assert isinstance(fallback, CopyDecision)
    assert fallback.request["DestinationBackupVaultArn"] == SVC_EBS_VAULT_ARN
    assert fallback.explanation.startswith("LAG vault refused the copy; fallback:")


def test_given_lag_refused_and_no_service_key_vault_when_it_falls_back_then_a_skip() -> None:
    settings = make_settings(SERVICE_KEY_VAULTS="none")
    fallback = fallback_from_lag(make_event(), make_facts(), settings, attempt=1)
    assert isinstance(fallback, SkipDecision)
    assert fallback.reason is Reason.SKIP_NO_SERVICE_KEY_VAULT
