"""Settings are parsed once at cold start; every invalid variable is reported, all at once."""

from __future__ import annotations

import json

import pytest

from core.kernel.config import Destination, load_settings
from core.kernel.errors import ConfigError
from tests.samples import (
    ACCOUNT,
    COPY_ROLE_ARN,
    DR_SVC_EBS_VAULT_ARN,
    DR_SVC_RDS_VAULT_ARN,
    LAG_PLAN_ID,
    LAG_VAULT_ARN,
    MANAGED_VAULT_ARN,
    PARKING_QUEUE_URL,
    REGION,
    SVC_EBS_VAULT_ARN,
    SVC_RDS_VAULT_ARN,
    vault_arn,
)


def problems_of(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.reason == "invalid-config"
    return caught.value.problems


# --- A valid environment ----------------------------------------------------------------------


def test_given_the_documented_environment_when_loaded_then_every_value_is_read(
    settings_env: dict[str, str],
) -> None:
    # Given the environment of docs/contracts.md
    # When it is loaded
    settings = load_settings(settings_env)
    # Then the settings carry its values; account and Region come from the LAG vault ARN
    assert (settings.account_id, settings.region) == (ACCOUNT, REGION)
    assert settings.source_vault_names == {"hourly", "daily", "monthly", "dr"}
    assert settings.lag_vault == Destination(LAG_VAULT_ARN, 7, 400)
    assert settings.managed_vault == Destination(MANAGED_VAULT_ARN, 1, None)  # 0 = no limit
    assert settings.copy_role_arn == COPY_ROLE_ARN
    assert settings.lag_plans.plan_ids == {LAG_PLAN_ID}
    assert settings.lag_plans.plan_names == frozenset()
    assert settings.lag_plans.tag is None
    assert settings.ledger_table_name == "backup-copy-ledger"
    assert settings.parking_queue_url == PARKING_QUEUE_URL
    assert settings.max_copy_attempts == 4
    assert settings.destination_vault_arns == {
        LAG_VAULT_ARN,
        MANAGED_VAULT_ARN,
        SVC_RDS_VAULT_ARN,
        SVC_EBS_VAULT_ARN,
        DR_SVC_RDS_VAULT_ARN,
        DR_SVC_EBS_VAULT_ARN,
    }


def test_given_lists_with_spaces_and_empty_items_when_loaded_then_they_are_cleaned(
    settings_env: dict[str, str],
) -> None:
    # Given comma-separated lists written by hand
    settings_env["SOURCE_VAULT_NAMES"] = " hourly, daily ,,monthly,"
    settings_env["LAG_SOURCE_VAULT_NAMES"] = ""  # "dr" is no source here
    settings_env["LAG_PLAN_IDS"] = "id1, ,id2"
    # When loaded / Then items are trimmed and blanks dropped
    settings = load_settings(settings_env)
    assert settings.source_vault_names == {"hourly", "daily", "monthly"}
    assert settings.lag_plans.plan_ids == {"id1", "id2"}


def test_given_plan_names_and_a_tag_when_loaded_then_plans_need_a_lookup(
    settings_env: dict[str, str],
) -> None:
    # Given plans selected by name and by tag
    settings_env["LAG_PLAN_NAMES"] = "finance-daily,legal-monthly"
    settings_env["LAG_PLAN_TAG"] = " backup:lag = true "
    # When loaded
    selector = load_settings(settings_env).lag_plans
    # Then both selectors are read and a plan lookup is needed
    assert selector.plan_names == {"finance-daily", "legal-monthly"}
    assert selector.tag == ("backup:lag", "true")
    assert selector.needs_plan_lookup


def test_given_only_plan_ids_when_loaded_then_no_plan_lookup_is_needed(
    settings_env: dict[str, str],
) -> None:
    assert not load_settings(settings_env).lag_plans.needs_plan_lookup


def test_given_a_lag_minimum_below_seven_days_when_loaded_then_it_is_raised_to_seven(
    settings_env: dict[str, str],
) -> None:
    # Given a LAG vault minimum that AWS would never accept (LAG vaults need at least 7 days)
    settings_env["LAG_VAULT_MIN_RETENTION_DAYS"] = "3"
    # When loaded / Then the floor is 7
    assert load_settings(settings_env).lag_vault.min_retention_days == 7


def test_given_no_retention_limits_when_loaded_then_the_defaults_apply(
    settings_env: dict[str, str],
) -> None:
    # Given no retention variables and no attempt bound
    for name in (
        "LAG_VAULT_MIN_RETENTION_DAYS",
        "LAG_VAULT_MAX_RETENTION_DAYS",
        "MANAGED_VAULT_MIN_RETENTION_DAYS",
        "MANAGED_VAULT_MAX_RETENTION_DAYS",
        "MAX_COPY_ATTEMPTS",
    ):
        del settings_env[name]
    # When loaded
    settings = load_settings(settings_env)
    # Then LAG keeps its 7-day floor, the managed vault 1 day, neither has a maximum
    assert settings.lag_vault == Destination(LAG_VAULT_ARN, 7, None)
    assert settings.managed_vault == Destination(MANAGED_VAULT_ARN, 1, None)
    assert settings.max_copy_attempts == 4


# --- Overrides ----------------------------------------------------------------------------------


def test_given_a_destination_override_when_loaded_then_that_type_has_its_own_vault(
    settings_env: dict[str, str],
) -> None:
    # Given FSx sent to its own vault with its own limits
    fsx_vault = vault_arn("fsx-copies")
    settings_env["DESTINATION_OVERRIDES"] = json.dumps(
        {"FSx": {"vault_arn": fsx_vault, "min_days": 14, "max_days": 90}}
    )
    # When loaded
    settings = load_settings(settings_env)
    # Then the override is a destination (and therefore never a source)
    assert settings.destination_overrides == {"FSx": Destination(fsx_vault, 14, 90)}
    assert fsx_vault in settings.destination_vault_arns


def test_given_an_override_as_a_bare_vault_arn_when_loaded_then_default_limits_apply(
    settings_env: dict[str, str],
) -> None:
    settings_env["DESTINATION_OVERRIDES"] = json.dumps({"EFS": vault_arn("efs-copies")})
    assert load_settings(settings_env).destination_overrides == {
        "EFS": Destination(vault_arn("efs-copies"), 1, None)
    }


def test_given_a_support_matrix_override_when_loaded_then_the_matrix_changes(
    settings_env: dict[str, str],
) -> None:
    # Given an operator who learned that RDS is now LAG-capable, and that Timestream is not copyable
    settings_env["SUPPORT_MATRIX_OVERRIDES"] = json.dumps(
        {"RDS": {"lag": True}, "Timestream": {"copyable": False}}
    )
    # When loaded
    matrix = load_settings(settings_env).matrix
    # Then the matrix reflects it, and says it was overridden
    assert matrix.is_lag_capable("RDS")
    assert matrix.support("RDS").overridden
    assert matrix.copy_blocker("Timestream", "arn:aws:timestream:x", "arn:aws:backup:x") != ""


# --- Invalid environments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("SOURCE_VAULT_NAMES", "", "SOURCE_VAULT_NAMES is required"),
        ("SOURCE_VAULT_NAMES", " , ", "SOURCE_VAULT_NAMES is required"),
        ("LAG_VAULT_ARN", "", "LAG_VAULT_ARN is required"),
        ("MANAGED_VAULT_ARN", "", "MANAGED_VAULT_ARN is required"),
        ("COPY_ROLE_ARN", "", "COPY_ROLE_ARN is required"),
        ("LAG_VAULT_ARN", "lag", "LAG_VAULT_ARN is not an ARN"),
        (
            "LAG_VAULT_ARN",
            f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:lag",
            "not a backup vault",
        ),
        ("MANAGED_VAULT_ARN", f"arn:aws:s3:::{ACCOUNT}-managed", "not a backup vault"),
        ("COPY_ROLE_ARN", vault_arn("role"), "COPY_ROLE_ARN is not an iam ARN"),
        (
            "LAG_VAULT_MAX_RETENTION_DAYS",
            "5",
            "LAG_VAULT: max retention 5 is below min retention 7",
        ),
        ("MANAGED_VAULT_MIN_RETENTION_DAYS", "seven", "MANAGED_VAULT_MIN_RETENTION_DAYS must be"),
        ("MAX_COPY_ATTEMPTS", "0", "MAX_COPY_ATTEMPTS must be an integer ≥ 1"),
        ("MAX_COPY_ATTEMPTS", "-3", "MAX_COPY_ATTEMPTS must be an integer ≥ 1"),
        ("MAX_COPY_ATTEMPTS", "²", "MAX_COPY_ATTEMPTS must be an integer ≥ 1"),
        ("LAG_PLAN_TAG", "backup-lag", "LAG_PLAN_TAG must look like key=value"),
        ("LAG_PLAN_TAG", "=true", "LAG_PLAN_TAG must look like key=value"),
        ("DESTINATION_OVERRIDES", "{EFS:", "DESTINATION_OVERRIDES is not valid JSON"),
        ("DESTINATION_OVERRIDES", "[]", "DESTINATION_OVERRIDES must be a JSON object"),
        ("DESTINATION_OVERRIDES", '{"EFS": {"min_days": 1}}', "needs a vault_arn"),
        ("DESTINATION_OVERRIDES", '{"EFS": {"vault_arn": "efs"}}', "vault_arn is not an ARN"),
        (
            "DESTINATION_OVERRIDES",
            json.dumps({"EFS": {"vault_arn": vault_arn("efs"), "min_days": "a"}}),
            "min_days must be a whole number of days",
        ),
        (
            "DESTINATION_OVERRIDES",
            json.dumps({"EFS": {"vault_arn": vault_arn("efs"), "max_days": None}}),
            "max_days must be a whole number of days",
        ),
        (
            "DESTINATION_OVERRIDES",
            json.dumps({"EFS": {"vault_arn": vault_arn("efs"), "min_days": 30, "max_days": 10}}),
            "max retention 10 is below min retention 30",
        ),
        (
            "DESTINATION_OVERRIDES",
            json.dumps({"EFS": vault_arn("efs", account="444455556666")}),
            "is not in account 111122223333",
        ),
        ("SUPPORT_MATRIX_OVERRIDES", "nope", "SUPPORT_MATRIX_OVERRIDES is not valid JSON"),
        ("SUPPORT_MATRIX_OVERRIDES", '{"RDS": {"lga": true}}', "may set only ['copyable'"),
        ("SUPPORT_MATRIX_OVERRIDES", '{"RDS": true}', "may set only ['copyable'"),
        ("SUPPORT_MATRIX_OVERRIDES", '{"RDS": {"lag": "false"}}', "flags must be true or false"),
        ("SUPPORT_MATRIX_OVERRIDES", '{"RDS": {"service_key": "rds"}}', "service_key must be"),
        ("MANAGED_VAULT_ARN", vault_arn("managed", region="eu-west-1"), "Region us-east-1"),
        ("MANAGED_VAULT_ARN", vault_arn("managed", account="444455556666"), "account 1111"),
        ("SERVICE_KEY_VAULTS", "rds,fsx", "SERVICE_KEY_VAULTS names services without a known"),
        ("SERVICE_KEY_PLACEMENT", "both", "SERVICE_KEY_PLACEMENT must be one of"),
        ("DR_VAULT_ARN", "arn:aws:s3:::bucket", "DR_VAULT_ARN is not a backup vault"),
        (
            "DR_VAULT_ARN",
            vault_arn("orchestrator-dr", account="444455556666", region="us-west-2"),
            "rule: cross-account copies under AWS managed keys are not supported",
        ),
        (
            "DR_VAULT_ARN",
            vault_arn("orchestrator-backup", region="us-west-2"),
            "DR_VAULT_ARN's name must end in '-dr'",
        ),
        ("MANAGED_VAULT_ARN", vault_arn("managed"), "MANAGED_VAULT_ARN's name must end in"),
    ],
)
def test_given_one_invalid_variable_when_loaded_then_a_config_error_names_it(
    settings_env: dict[str, str], name: str, value: str, problem: str
) -> None:
    # Given one invalid variable
    settings_env[name] = value
    # When loaded / Then a ConfigError (never another exception) names the problem
    problems = problems_of(settings_env)
    assert any(problem in p for p in problems), problems


def test_given_several_invalid_variables_when_loaded_then_all_are_reported_at_once(
    settings_env: dict[str, str],
) -> None:
    # Given five independent mistakes
    settings_env.update(
        {
            "SOURCE_VAULT_NAMES": "",
            "COPY_ROLE_ARN": "backup-role",
            "MAX_COPY_ATTEMPTS": "many",
            "LAG_PLAN_TAG": "lag",
            "DESTINATION_OVERRIDES": "{",
        }
    )
    # When loaded
    problems = problems_of(settings_env)
    # Then each one is reported, in one error, so one deploy fixes them all
    assert len(problems) == 5, problems
    for name in (
        "SOURCE_VAULT_NAMES",
        "COPY_ROLE_ARN",
        "MAX_COPY_ATTEMPTS",
        "LAG_PLAN_TAG",
        "DESTINATION_OVERRIDES",
    ):
        assert any(name in problem for problem in problems), (name, problems)


# --- Service-key vaults (the naming rule) ---------------------------------------------------------


def test_given_service_key_vaults_when_loaded_then_their_arns_follow_the_naming_rule(
    settings_env: dict[str, str],
) -> None:
    # Given rds and ebs, same-Region placement, a managed-key vault and a DR vault by the rule
    settings = load_settings(settings_env)
    # Then each service key has a vault beside each, with the managed-key vault's retention
    assert {key: d.vault_arn for key, d in settings.service_key_vaults.items()} == {
        "aws/rds": SVC_RDS_VAULT_ARN,
        "aws/ebs": SVC_EBS_VAULT_ARN,
    }
    assert {key: d.vault_arn for key, d in settings.dr_service_key_vaults.items()} == {
        "aws/rds": DR_SVC_RDS_VAULT_ARN,
        "aws/ebs": DR_SVC_EBS_VAULT_ARN,
    }
    assert settings.service_key_vaults["aws/rds"].min_retention_days == 1
    assert (
        settings.dr_service_key_vault_for(SVC_RDS_VAULT_ARN)
        == (settings.dr_service_key_vaults["aws/rds"])
    )


@pytest.mark.parametrize("services", ["", "none"])
def test_given_no_service_key_vaults_when_loaded_then_none_are_derived(
    settings_env: dict[str, str], services: str
) -> None:
    settings_env["SERVICE_KEY_VAULTS"] = services
    settings = load_settings(settings_env)
    assert (settings.service_key_vaults, settings.dr_service_key_vaults) == ({}, {})


def test_given_dr_region_placement_when_loaded_then_only_the_dr_vaults_are_destinations(
    settings_env: dict[str, str],
) -> None:
    settings_env["SERVICE_KEY_PLACEMENT"] = "dr-region"
    settings = load_settings(settings_env)
    assert settings.service_key_vaults == {}
    assert set(settings.dr_service_key_vaults) == {"aws/rds", "aws/ebs"}


def test_given_dr_region_placement_without_a_dr_vault_when_loaded_then_it_is_refused(
    settings_env: dict[str, str],
) -> None:
    settings_env.update(SERVICE_KEY_PLACEMENT="dr-region", DR_VAULT_ARN="")
    assert problems_of(settings_env) == [
        "SERVICE_KEY_PLACEMENT=dr-region needs DR_VAULT_ARN "
        "(rule: the dr-region placement copies into the dr stack's vaults)"
    ]


# --- Loops between sources and destinations ----------------------------------------------------


@pytest.mark.parametrize("destination", ["lag", "orchestrator-managed-key", "orchestrator-svc-rds"])
def test_given_a_destination_vault_listed_as_a_source_when_loaded_then_it_is_rejected(
    settings_env: dict[str, str], destination: str
) -> None:
    # Given a source list that includes a destination vault (its copies would be copied again)
    settings_env["SOURCE_VAULT_NAMES"] = f"daily,{destination}"
    settings_env["LAG_SOURCE_VAULT_NAMES"] = ""
    # When loaded / Then the loop is refused
    assert problems_of(settings_env) == [
        f"destination vaults cannot also be sources: ['{destination}']"
    ]


def test_given_an_override_vault_listed_as_a_source_when_loaded_then_it_is_rejected(
    settings_env: dict[str, str],
) -> None:
    # Given EFS copies sent into the source vault "monthly"
    settings_env["DESTINATION_OVERRIDES"] = json.dumps({"EFS": vault_arn("monthly")})
    # When loaded / Then the loop is refused like any other
    assert problems_of(settings_env) == ["destination vaults cannot also be sources: ['monthly']"]


# --- Source vaults that opt every recovery point into LAG (the DR vault) ----------------------


def test_given_lag_source_vaults_when_loaded_then_they_are_read(
    settings_env: dict[str, str],
) -> None:
    # Given the DR vault listed, with spaces and an empty item
    settings_env["LAG_SOURCE_VAULT_NAMES"] = " dr, "
    # When loaded / Then the list is read
    assert load_settings(settings_env).lag_source_vault_names == {"dr"}


def test_given_no_lag_source_vaults_when_loaded_then_no_vault_opts_in(
    settings_env: dict[str, str],
) -> None:
    settings_env.pop("LAG_SOURCE_VAULT_NAMES", None)
    assert load_settings(settings_env).lag_source_vault_names == frozenset()


def test_given_a_lag_source_vault_that_is_not_a_source_when_loaded_then_it_is_rejected(
    settings_env: dict[str, str],
) -> None:
    # Given a vault the stack does not protect (a typo, or another stack's vault)
    settings_env["LAG_SOURCE_VAULT_NAMES"] = "dr,team-b-vault"
    # When loaded / Then it is refused: it would opt nothing in, silently
    assert problems_of(settings_env) == [
        "LAG_SOURCE_VAULT_NAMES names vaults that are not sources: ['team-b-vault']"
    ]
