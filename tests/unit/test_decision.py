"""The routing decision: data in, ``Decision`` out, a reason code for every outcome."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from core.copying.decision import (
    DestinationChoice,
    choose_destination,
    decide,
    fallback_from_lag,
    idempotency_token,
    screen_event,
    screen_recovery_point,
)
from core.kernel.config import LagPlanSelector, Settings
from core.kernel.copy_jobs import KeyManager
from core.kernel.lag_plans import LagOptIn, PlanIdentity, lag_opt_in, needs_lookup, plan_uses_lag
from core.kernel.models import (
    CopyDecision,
    Decision,
    Origin,
    Reason,
    SourceLifecycle,
    StorageClass,
    Target,
)
from tests.fakes import EBS_SNAPSHOT, copy_of, make_event, make_facts, make_settings
from tests.samples import (
    ACCOUNT,
    COPY_ROLE_ARN,
    LAG_PLAN_ID,
    LAG_VAULT_ARN,
    MANAGED_VAULT_ARN,
    PLAIN_PLAN_ID,
    REGION,
    vault_arn,
)

S3_RECOVERY_POINT = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:orders-archive-4f2a9c1e"
FSX_VAULT_ARN = vault_arn("fsx-copies")


def full_decision(
    settings: Settings, plan_uses_lag: bool = True, **changes: object
) -> Callable[..., Decision]:
    """Run the three stages like the use case does, with the given facts."""

    def run(**fact_changes: object) -> Decision:
        event = make_event(**changes)
        skip = screen_event(event, settings)
        if skip is not None:
            return skip
        arn = event.recovery_point_arn or EBS_SNAPSHOT
        skip = screen_recovery_point(event, arn, settings)
        if skip is not None:
            return skip
        return decide(event, make_facts(arn, **fact_changes), plan_uses_lag, settings)

    return run


# One scenario per way of reaching each reason; the last test checks every Reason is here.
SCENARIOS: dict[str, tuple[Reason, Callable[[Settings], Decision]]] = {
    "ebs from a LAG plan": (
        Reason.COPY_TO_LAG,
        lambda s: full_decision(s)(),
    ),
    "rds from a LAG plan": (
        Reason.COPY_TO_SERVICE_KEY,
        lambda s: full_decision(s, resource_type="RDS")(),
    ),
    "rds with dr-region placement": (
        Reason.COPY_TO_DR_SERVICE_KEY,
        lambda _: full_decision(
            make_settings(SERVICE_KEY_PLACEMENT="dr-region"), resource_type="RDS"
        )(),
    ),
    "rds without service-key vaults": (
        Reason.SKIP_NO_SERVICE_KEY_VAULT,
        lambda _: full_decision(make_settings(SERVICE_KEY_VAULTS="none"), resource_type="RDS")(),
    ),
    "s3 from a plan that does not opt in": (
        Reason.COPY_TO_MANAGED,
        lambda s: full_decision(
            s, False, resource_type="S3", recovery_point_arn=S3_RECOVERY_POINT
        )(),
    ),
    "fsx with a destination override": (
        Reason.COPY_TO_OVERRIDE,
        lambda _: full_decision(
            make_settings(DESTINATION_OVERRIDES=json.dumps({"FSx": FSX_VAULT_ARN})),
            resource_type="FSx",
        )(),
    ),
    "running job": (
        Reason.SKIP_NOT_COMPLETED,
        lambda s: full_decision(s, state="RUNNING")(),
    ),
    "failed job": (
        Reason.SKIP_NOT_COMPLETED,
        lambda s: full_decision(s, state="FAILED")(),
    ),
    "vault that is not a source": (
        Reason.SKIP_OUT_OF_SCOPE,
        lambda s: full_decision(s, vault_name="team-b-vault")(),
    ),
    "another account": (
        Reason.SKIP_OUT_OF_SCOPE,
        lambda s: full_decision(s, account="444455556666")(),
    ),
    "another region": (
        Reason.SKIP_OUT_OF_SCOPE,
        lambda s: full_decision(s, region="eu-west-1")(),
    ),
    "copy completed into the LAG vault": (
        Reason.SKIP_DESTINATION_VAULT,
        lambda s: full_decision(s, origin=Origin.COPY_JOB, vault_name="lag")(),
    ),
    "copy completed into the managed vault": (
        Reason.SKIP_DESTINATION_VAULT,
        lambda s: full_decision(s, origin=Origin.COPY_JOB, vault_name="orchestrator-managed-key")(),
    ),
    "continuous recovery point": (
        Reason.SKIP_CONTINUOUS,
        lambda s: full_decision(
            s,
            resource_type="RDS",
            recovery_point_arn=f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:continuous:db-x",
        )(),
    ),
    "recovery point in cold storage": (
        Reason.SKIP_COLD,
        lambda s: full_decision(s)(storage_class=StorageClass.COLD),
    ),
    "dynamodb without advanced features": (
        Reason.SKIP_NOT_COPYABLE,
        lambda s: full_decision(
            s,
            resource_type="DynamoDB",
            resource_arn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders",
            recovery_point_arn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders/backup/017-a",
        )(),
    ),
    "rds multi-az cluster": (
        Reason.SKIP_NOT_COPYABLE,
        lambda s: full_decision(
            s,
            resource_type="RDS",
            resource_arn=f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:orders",
            recovery_point_arn=f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:awsbackup:job-1",
        )(),
    ),
    "redshift serverless": (
        Reason.SKIP_NOT_COPYABLE,
        lambda s: full_decision(s, resource_type="Redshift Serverless")(),
    ),
    "temporary recovery point of a backup-to-LAG rule": (
        Reason.SKIP_NATIVE_LAG_TEMPORARY,
        lambda s: full_decision(s)(
            lifecycle=SourceLifecycle(delete_after_event="DELETE_AFTER_COPY")
        ),
    ),
    "child job of a composite backup": (
        Reason.SKIP_COMPOSITE_CHILD,
        lambda s: full_decision(s, parent_job_id="parent-job-1")(),
    ),
    "member recovery point of a composite": (
        Reason.SKIP_COMPOSITE_CHILD,
        lambda s: full_decision(s)(
            parent_recovery_point_arn=f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:parent"
        ),
    ),
    "recovery point being deleted": (
        Reason.SKIP_NOT_AVAILABLE,
        lambda s: full_decision(s)(status="DELETING"),
    ),
    "partial recovery point": (
        Reason.SKIP_NOT_AVAILABLE,
        lambda s: full_decision(s)(status="PARTIAL"),
    ),
    "snapshot already under an AWS-managed key": (
        Reason.SKIP_SOURCE_KEY_INDEPENDENT,
        lambda s: decide(make_event(), make_facts(), True, s, source_key_manager=KeyManager.AWS),
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_given_a_scenario_when_decided_then_its_reason_is_given(
    settings: Settings, name: str
) -> None:
    # Given one scenario / When decided
    expected, run = SCENARIOS[name]
    decision = run(settings)
    # Then the reason matches, copies carry a request and skips carry none
    assert decision.reason is expected
    assert decision.explanation
    assert isinstance(decision, CopyDecision) is expected.is_copy
    assert (decision.target_label != "none") is expected.is_copy


def test_every_reason_code_is_reachable_by_some_scenario() -> None:
    # A new Reason without a scenario here is a decision path without a test.
    assert {reason for reason, _ in SCENARIOS.values()} == set(Reason)


# --- Target choice --------------------------------------------------------------------------


def test_given_a_lag_plan_and_a_lag_capable_type_when_decided_then_the_copy_goes_to_lag(
    settings: Settings,
) -> None:
    # Given EBS from a plan that opts in
    decision = copy_of(full_decision(settings)())
    # Then the request targets the LAG vault with the documented arguments
    assert decision.target is Target.LAG
    assert decision.request["DestinationBackupVaultArn"] == LAG_VAULT_ARN
    assert decision.request["RecoveryPointArn"] == EBS_SNAPSHOT
    assert decision.request["SourceBackupVaultName"] == "daily"
    assert decision.request["IamRoleArn"] == COPY_ROLE_ARN
    assert decision.request["Lifecycle"] == {"DeleteAfterDays": 30}


def test_given_a_lag_plan_and_a_type_that_is_not_lag_capable_then_the_managed_vault_says_why(
    settings: Settings,
) -> None:
    # Given S3 (fully managed) from a plan that opts in, with LAG turned off for S3
    settings = make_settings(SUPPORT_MATRIX_OVERRIDES='{"S3": {"lag": false}}')
    event = {"resource_type": "S3", "recovery_point_arn": S3_RECOVERY_POINT}
    # When decided
    decision = copy_of(full_decision(settings, **event)())
    # Then it goes to the managed vault, and the explanation names the type
    assert decision.target is Target.MANAGED
    assert decision.request["DestinationBackupVaultArn"] == MANAGED_VAULT_ARN
    assert decision.explanation == "S3 is not LAG-capable"


def test_given_a_plan_that_does_not_opt_in_when_decided_then_the_explanation_says_so(
    settings: Settings,
) -> None:
    event = {"resource_type": "S3", "recovery_point_arn": S3_RECOVERY_POINT}
    decision = copy_of(full_decision(settings, False, **event)())
    assert (decision.target, decision.explanation) == (Target.MANAGED, "plan does not opt into LAG")


def test_given_a_matrix_override_when_decided_then_rds_goes_to_lag() -> None:
    # Given an operator override: RDS is LAG-capable now
    settings = make_settings(SUPPORT_MATRIX_OVERRIDES='{"RDS": {"lag": true}}')
    # When decided / Then no code change was needed to route it to LAG
    assert copy_of(full_decision(settings, resource_type="RDS")()).target is Target.LAG


def test_given_a_destination_override_when_decided_then_it_wins_over_lag() -> None:
    # Given EBS from a LAG plan, but EBS overridden to its own vault with its own minimum
    settings = make_settings(
        DESTINATION_OVERRIDES=json.dumps({"EBS": {"vault_arn": FSX_VAULT_ARN, "min_days": 45}})
    )
    # When decided
    decision = copy_of(full_decision(settings)())
    # Then the override vault and its limits apply
    assert decision.target is Target.OVERRIDE
    assert decision.request["DestinationBackupVaultArn"] == FSX_VAULT_ARN
    assert decision.request["Lifecycle"] == {"DeleteAfterDays": 45}


def test_given_an_override_for_another_type_when_a_destination_is_chosen_then_it_is_ignored() -> (
    None
):
    settings = make_settings(DESTINATION_OVERRIDES=json.dumps({"FSx": FSX_VAULT_ARN}))
    route = choose_destination("EBS", True, settings)
    assert isinstance(route, DestinationChoice)
    assert (route.target, route.destination.vault_arn, route.reason) == (
        Target.LAG,
        LAG_VAULT_ARN,
        Reason.COPY_TO_LAG,
    )


def test_given_a_lag_copy_when_lag_refuses_it_then_the_fallback_goes_to_the_managed_vault(
    settings: Settings,
) -> None:
    # Given a LAG decision for S3 (fully managed)
    event = make_event(resource_type="S3", recovery_point_arn=S3_RECOVERY_POINT)
    facts = make_facts(S3_RECOVERY_POINT)
    lag = decide(event, facts, True, settings)
    # When LAG refused it and the fallback is decided (attempt 2)
    fallback = fallback_from_lag(event, facts, settings, attempt=2)
    # Then the copy goes to the managed vault, with its own token, and says it is a fallback
    assert fallback.reason is Reason.COPY_TO_MANAGED
    assert isinstance(fallback, CopyDecision)
    assert isinstance(lag, CopyDecision)
    assert fallback.request["DestinationBackupVaultArn"] == MANAGED_VAULT_ARN
    assert fallback.request["IdempotencyToken"] != lag.request["IdempotencyToken"]
    assert "fallback" in fallback.explanation


def test_given_a_skip_before_the_recovery_point_is_known_then_it_is_keyed_by_the_job(
    settings: Settings,
) -> None:
    # Given a running job whose event names no recovery point
    decision = screen_event(make_event(state="RUNNING", recovery_point_arn=None), settings)
    # Then the skip is still identifiable (by its job)
    assert decision is not None
    assert decision.recovery_point_arn == "job:b1e0c4a2-7d3f-4c8e-9a61-2f5d8e0b7c13"


def test_given_an_in_scope_event_when_screened_then_nothing_is_skipped(settings: Settings) -> None:
    event = make_event()
    assert screen_event(event, settings) is None
    assert screen_recovery_point(event, EBS_SNAPSHOT, settings) is None


# --- Plan opt-in -----------------------------------------------------------------------------


def test_given_a_plan_listed_by_id_when_asked_then_it_opts_in() -> None:
    selector = LagPlanSelector(plan_ids=frozenset({LAG_PLAN_ID}))
    assert plan_uses_lag(selector, PlanIdentity(LAG_PLAN_ID))
    assert not plan_uses_lag(selector, PlanIdentity(PLAIN_PLAN_ID))


def test_given_a_plan_listed_by_name_when_asked_then_it_opts_in() -> None:
    selector = LagPlanSelector(plan_names=frozenset({"finance-daily"}))
    assert plan_uses_lag(selector, PlanIdentity(PLAIN_PLAN_ID, name="finance-daily"))
    assert not plan_uses_lag(selector, PlanIdentity(PLAIN_PLAN_ID, name="finance-hourly"))


@pytest.mark.parametrize(
    ("tags", "opts_in"),
    [
        ({"backup:lag": "true"}, True),
        ({"backup:lag": "false"}, False),
        ({"backup:LAG": "true"}, False),
        ({}, False),
    ],
)
def test_given_a_plan_tag_when_asked_then_only_the_exact_key_and_value_opt_in(
    tags: dict[str, str], opts_in: bool
) -> None:
    selector = LagPlanSelector(tag=("backup:lag", "true"))
    assert plan_uses_lag(selector, PlanIdentity(PLAIN_PLAN_ID, name="x", tags=tags)) is opts_in


def test_given_an_on_demand_job_when_asked_then_it_never_opts_in() -> None:
    # Given every selector configured / When there is no plan / Then no LAG
    selector = LagPlanSelector(frozenset({LAG_PLAN_ID}), frozenset({"x"}), ("k", "v"))
    assert not plan_uses_lag(selector, None)
    assert not needs_lookup(selector, None)


@pytest.mark.parametrize(
    ("selector", "plan_id", "expected"),
    [
        (LagPlanSelector(plan_ids=frozenset({LAG_PLAN_ID})), PLAIN_PLAN_ID, False),
        (LagPlanSelector(plan_names=frozenset({"x"})), PLAIN_PLAN_ID, True),
        (LagPlanSelector(tag=("k", "v")), PLAIN_PLAN_ID, True),
        (LagPlanSelector(frozenset({LAG_PLAN_ID}), frozenset({"x"})), LAG_PLAN_ID, False),
    ],
    ids=["ids only", "names", "tag", "already listed by id"],
)
def test_given_a_selector_when_asked_then_a_lookup_is_needed_only_for_names_or_tags(
    selector: LagPlanSelector, plan_id: str, expected: bool
) -> None:
    assert needs_lookup(selector, plan_id) is expected


# --- Idempotency token -----------------------------------------------------------------------


def test_given_the_same_inputs_when_a_token_is_made_twice_then_it_is_the_same() -> None:
    # Redelivery of the same event must not start a twin copy job.
    first = idempotency_token(EBS_SNAPSHOT, LAG_VAULT_ARN, 1)
    assert idempotency_token(EBS_SNAPSHOT, LAG_VAULT_ARN, 1) == first


@pytest.mark.parametrize(
    "other",
    [
        (EBS_SNAPSHOT, LAG_VAULT_ARN, 2),
        (EBS_SNAPSHOT, MANAGED_VAULT_ARN, 1),
        (S3_RECOVERY_POINT, LAG_VAULT_ARN, 1),
    ],
    ids=["next attempt", "other destination", "other recovery point"],
)
def test_given_a_different_attempt_destination_or_recovery_point_then_the_token_differs(
    other: tuple[str, str, int],
) -> None:
    assert idempotency_token(*other) != idempotency_token(EBS_SNAPSHOT, LAG_VAULT_ARN, 1)


def test_given_a_long_recovery_point_arn_when_a_token_is_made_then_it_is_still_a_uuid() -> None:
    token = idempotency_token(EBS_SNAPSHOT * 10, LAG_VAULT_ARN, 1)
    assert str(uuid.UUID(token)) == token


def test_given_two_attempts_when_decided_then_each_request_has_its_own_token(
    settings: Settings,
) -> None:
    # Given the same recovery point decided for attempt 1 and attempt 2
    event, facts = make_event(), make_facts()
    first = copy_of(decide(event, facts, True, settings, attempt=1)).request
    again = copy_of(decide(event, facts, True, settings, attempt=1)).request
    second = copy_of(decide(event, facts, True, settings, attempt=2)).request
    # Then the same attempt repeats its token and the next attempt gets a new one
    assert first["IdempotencyToken"] == again["IdempotencyToken"]
    assert first["IdempotencyToken"] != second["IdempotencyToken"]


# --- LAG opt-in by vault (the DR vault: recovery points made by another Region's plans) --------

FOREIGN_PLAN_ID = "c0ffee00-1234-4abc-8def-0123456789ab"  # a plan of the primary Region


def test_given_a_vault_that_opts_in_when_its_plan_does_not_then_the_vault_decides() -> None:
    # Given the DR vault listed in LAG_SOURCE_VAULT_NAMES, and a plan no selector lists
    selector = LagPlanSelector(plan_ids=frozenset({LAG_PLAN_ID}))
    # When the opt-in of a recovery point in that vault is asked
    opt_in = lag_opt_in("dr", frozenset({"dr"}), selector, PlanIdentity(FOREIGN_PLAN_ID))
    # Then it follows LAG, and the rule that said so is named
    assert opt_in == LagOptIn(True, "vault dr opts in (LAG_SOURCE_VAULT_NAMES)")


def test_given_a_vault_that_opts_in_when_the_backup_was_on_demand_then_it_still_opts_in() -> None:
    assert lag_opt_in("dr", frozenset({"dr"}), LagPlanSelector(), None).uses_lag


def test_given_a_vault_that_does_not_opt_in_when_asked_then_the_plan_rule_applies() -> None:
    # Given only the DR vault opts in / When a daily recovery point of an unlisted plan is asked
    selector = LagPlanSelector(plan_ids=frozenset({LAG_PLAN_ID}))
    plain = lag_opt_in("daily", frozenset({"dr"}), selector, PlanIdentity(PLAIN_PLAN_ID))
    listed = lag_opt_in("daily", frozenset({"dr"}), selector, PlanIdentity(LAG_PLAN_ID))
    # Then its plan decides, in the plan rule's words
    assert plain == LagOptIn(False)
    assert listed == LagOptIn(True)


def test_given_a_plan_that_name_selectors_could_not_find_when_asked_then_the_reason_is_said() -> (
    None
):
    # Given selection by plan name, and a plan GetBackupPlan did not find (no name): a plan of
    # another Region, or a deleted one
    selector = LagPlanSelector(plan_names=frozenset({"finance-daily"}))
    # When asked
    opt_in = lag_opt_in("dr", frozenset(), selector, PlanIdentity(FOREIGN_PLAN_ID))
    # Then it is not opted in, and the explanation says why and how to opt it in
    assert not opt_in.uses_lag
    assert opt_in.why is not None
    assert f"plan {FOREIGN_PLAN_ID} is not in this Region" in opt_in.why
    assert "LAG_PLAN_IDS" in opt_in.why
    assert "LAG_SOURCE_VAULT_NAMES" in opt_in.why


def test_given_an_opt_in_by_vault_when_decided_then_an_ebs_copy_goes_to_lag_and_says_why() -> None:
    # Given an EBS copy in the DR vault, opted in by its vault
    settings = make_settings(LAG_SOURCE_VAULT_NAMES="dr")
    event = make_event(vault_name="dr", backup_plan_id=FOREIGN_PLAN_ID)
    why = "vault dr opts in (LAG_SOURCE_VAULT_NAMES)"
    # When decided
    decision = copy_of(decide(event, make_facts(), True, settings, lag_why=why))
    # Then it goes to the LAG vault, and the explanation names the vault rule
    assert (decision.reason, decision.target) == (Reason.COPY_TO_LAG, Target.LAG)
    assert decision.explanation == f"{why}; type is LAG-capable"


def test_given_an_opt_out_with_a_reason_when_decided_then_the_managed_copy_carries_it() -> None:
    why = "plan x is not in this Region"
    event = make_event(resource_type="S3", recovery_point_arn=S3_RECOVERY_POINT)
    facts = make_facts(S3_RECOVERY_POINT)
    decision = copy_of(decide(event, facts, False, make_settings(), lag_why=why))
    assert (decision.target, decision.explanation) == (Target.MANAGED, why)
