"""The use case against in-memory ports: what each outcome costs in AWS calls and ledger writes."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from core.copying import copy_service as copy_service_module
from core.copying import decision as decision_module
from core.copying.copy_service import CopyService, OutcomeKind, RecoveryPointCopier
from core.copying.decision import skip_from_facts
from core.kernel.config import Settings
from core.kernel.copy_jobs import KeyManager
from core.kernel.errors import PermanentError, RetryableError
from core.kernel.lag_plans import PlanIdentity
from core.kernel.ledger_states import LedgerState
from core.kernel.models import (
    CopyDecision,
    Reason,
    RecoveryPointEvent,
    RecoveryPointFacts,
    SkipDecision,
    StorageClass,
    Target,
)
from tests.fakes import (
    EBS_SNAPSHOT,
    NO_DESTINATION,
    FakeBackup,
    FakeLedger,
    ManualClock,
    copy_of,
    make_event,
    make_facts,
    make_settings,
)
from tests.samples import ACCOUNT, LAG_PLAN_ID, LAG_VAULT_ARN, PLAIN_PLAN_ID, REGION
from tests.tracking_fakes import FakeKeys

VISIBILITY_TIMEOUT = timedelta(seconds=360)  # CopyQueue in template.yaml
ONE_COPY = Counter({"DescribeRecoveryPoint": 1, "StartCopyJob": 1})


def service(
    settings: Settings, backup: FakeBackup | None = None, ledger: FakeLedger | None = None
) -> CopyService:
    return CopyService(
        settings=settings, backup=backup or FakeBackup(), ledger=ledger or FakeLedger()
    )


# --- A copy ----------------------------------------------------------------------------------


def test_given_an_in_scope_recovery_point_when_protected_then_a_copy_costs_two_calls(
    settings: Settings,
) -> None:
    # Given a completed EBS backup from a plan listed by id
    backup = FakeBackup()
    # When protected
    outcome = service(settings, backup).protect(make_event())
    # Then exactly one DescribeRecoveryPoint and one StartCopyJob were made
    assert outcome.kind is OutcomeKind.COPY_STARTED
    assert outcome.decision.reason is Reason.COPY_TO_LAG
    assert backup.calls == ONE_COPY
    assert backup.started == [copy_of(outcome.decision).request]
    assert outcome.copy_job_id == "copy-job-1"


def test_given_a_started_copy_when_the_ledger_is_read_then_it_records_the_copy_job(
    settings: Settings,
) -> None:
    # Given a copy that was started
    ledger = FakeLedger()
    service(settings, ledger=ledger).protect(make_event())
    # When the ledger entry for (recovery point, LAG vault) is read
    entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    # Then it was claimed and is STARTED with the copy job id, on attempt 1
    assert entry is not None
    assert (entry.state, entry.copy_job_id, entry.attempts) == (
        LedgerState.STARTED,
        "copy-job-1",
        1,
    )
    assert ledger.calls == Counter({"claim": 1, "mark_started": 1})


def test_given_an_event_without_a_recovery_point_when_protected_then_the_job_is_described(
    settings: Settings,
) -> None:
    # Given an event that does not name its recovery point
    event = make_event(recovery_point_arn=None)
    backup = FakeBackup(jobs={event.job_id: EBS_SNAPSHOT})
    # When protected
    outcome = service(settings, backup).protect(event)
    # Then one DescribeBackupJob found it, and the copy is of that recovery point
    assert backup.calls == ONE_COPY + Counter({"DescribeBackupJob": 1})
    assert isinstance(outcome.decision, CopyDecision)
    assert outcome.decision.request["RecoveryPointArn"] == EBS_SNAPSHOT


def test_given_a_copy_service_when_built_then_it_holds_a_copier_on_the_same_ports(
    settings: Settings,
) -> None:
    # Given the live path's ports
    backup, ledger, keys = FakeBackup(), FakeLedger(), FakeKeys()
    # When the copy service is built from them
    copy_service = CopyService(settings=settings, backup=backup, ledger=ledger, keys=keys)
    # Then it holds a copier (it is not one) that decides and copies through the same ports
    copier = copy_service.copier
    assert not isinstance(copy_service, RecoveryPointCopier)
    assert copier.settings is settings
    assert copier.backup is backup
    assert copier.ledger is ledger
    assert copier.keys is keys


def test_given_one_event_when_protected_then_its_recovery_point_facts_are_screened_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given skip_from_facts counted wherever the copy path may call it
    calls: list[str] = []

    def counted(event: RecoveryPointEvent, facts: RecoveryPointFacts) -> SkipDecision | None:
        calls.append(facts.arn)
        return skip_from_facts(event, facts)

    monkeypatch.setattr(copy_service_module, "skip_from_facts", counted)
    monkeypatch.setattr(decision_module, "skip_from_facts", counted)
    # When one in-scope event is protected (a copy: every stage of the decision runs)
    outcome = service(settings).protect(make_event())
    # Then the facts were screened once, not once by the use case and again by the decision
    assert outcome.kind is OutcomeKind.COPY_STARTED
    assert calls == [EBS_SNAPSHOT]


def test_given_a_known_recovery_point_when_the_copier_protects_it_then_no_job_is_described(
    settings: Settings,
) -> None:
    # Given a recovery point whose ARN is known (as the reconciler lists it), and a backup port
    # that cannot look a backup job up at all
    class NoJobLookup(FakeBackup):
        def recovery_point_of_job(self, backup_job_id: str) -> str:
            raise AssertionError("the copier never looks a backup job up")

    backup = NoJobLookup()
    copier = RecoveryPointCopier(settings, backup, FakeLedger())
    # When the copier protects it
    outcome = copier.protect_recovery_point(make_event(recovery_point_arn=None), EBS_SNAPSHOT)
    # Then the copy costs the same two calls as the live path's, of that recovery point
    assert outcome.kind is OutcomeKind.COPY_STARTED
    assert backup.calls == ONE_COPY
    assert backup.started[0]["RecoveryPointArn"] == EBS_SNAPSHOT


# --- Skips -----------------------------------------------------------------------------------

CONTINUOUS = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:continuous:db-orders-3c2b"


@pytest.mark.parametrize(
    ("changes", "reason", "state"),
    [
        ({"state": "RUNNING"}, Reason.SKIP_NOT_COMPLETED, LedgerState.SKIPPED),
        ({"vault_name": "team-b-vault"}, Reason.SKIP_OUT_OF_SCOPE, LedgerState.SKIPPED),
        ({"vault_name": "lag"}, Reason.SKIP_DESTINATION_VAULT, LedgerState.SKIPPED),
        ({"parent_job_id": "parent-1"}, Reason.SKIP_COMPOSITE_CHILD, LedgerState.SKIPPED),
        ({"recovery_point_arn": CONTINUOUS}, Reason.SKIP_CONTINUOUS, LedgerState.UNPROTECTABLE),
        (
            {"resource_type": "Redshift Serverless"},
            Reason.SKIP_NOT_COPYABLE,
            LedgerState.UNPROTECTABLE,
        ),
    ],
    ids=lambda value: getattr(value, "value", None),
)
def test_given_a_skip_from_the_event_alone_when_protected_then_aws_backup_is_not_called(
    settings: Settings, changes: dict[str, str], reason: Reason, state: LedgerState
) -> None:
    # Given an event that can be judged without AWS
    backup, ledger = FakeBackup(), FakeLedger()
    # When protected
    outcome = service(settings, backup, ledger).protect(make_event(**changes))
    # Then it is skipped for that reason, at no AWS Backup cost, and recorded once
    assert (outcome.kind, outcome.decision.reason) == (OutcomeKind.SKIPPED, reason)
    assert sum(backup.calls.values()) == 0
    entry = ledger.get(outcome.decision.recovery_point_arn, NO_DESTINATION)
    assert entry is not None
    assert (entry.state, entry.reason) == (state, reason.value)


def test_given_a_cold_recovery_point_when_protected_then_it_costs_one_describe_and_no_copy(
    settings: Settings,
) -> None:
    # Given a recovery point already in cold storage
    backup = FakeBackup(facts={EBS_SNAPSHOT: make_facts(storage_class=StorageClass.COLD)})
    ledger, keys = FakeLedger(), FakeKeys()
    copy_service = CopyService(settings=settings, backup=backup, ledger=ledger, keys=keys)
    # When protected
    outcome = copy_service.protect(make_event())
    # Then it is unprotectable, found with one DescribeRecoveryPoint (no DescribeKey), never claimed
    assert outcome.decision.reason is Reason.SKIP_COLD
    assert backup.calls == Counter({"DescribeRecoveryPoint": 1})
    assert keys.calls == Counter()
    entry = ledger.get(EBS_SNAPSHOT, NO_DESTINATION)
    assert entry is not None
    assert entry.state is LedgerState.UNPROTECTABLE
    assert ledger.calls["claim"] == 0


def test_given_a_snapshot_under_an_aws_managed_key_when_protected_then_it_is_protected_as_is(
    settings: Settings,
) -> None:
    # Given an EBS snapshot encrypted under aws/ebs (AWS-managed: no customer key to delete)
    aws_ebs = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/aws-ebs-managed"
    backup = FakeBackup(facts={EBS_SNAPSHOT: make_facts(encryption_key_arn=aws_ebs)})
    keys = FakeKeys(managers={aws_ebs: KeyManager.AWS})
    ledger = FakeLedger()
    copy_service = CopyService(settings=settings, backup=backup, ledger=ledger, keys=keys)
    # When protected twice
    outcome = copy_service.protect(make_event())
    copy_service.protect(make_event())
    # Then no copy is started, the ledger says protected, and KMS was asked once
    assert outcome.decision.reason is Reason.SKIP_SOURCE_KEY_INDEPENDENT
    assert backup.calls["StartCopyJob"] == 0
    entry = ledger.get(EBS_SNAPSHOT, NO_DESTINATION)
    assert entry is not None
    assert entry.state is LedgerState.PROTECTED
    assert keys.calls == Counter({aws_ebs: 1})


@pytest.mark.parametrize("manager", [KeyManager.CUSTOMER, None])
def test_given_a_snapshot_under_a_customer_or_unknown_key_when_protected_then_it_is_copied(
    settings: Settings, manager: KeyManager | None
) -> None:
    # Given a source key that is a CMK, or one KMS cannot describe
    key = make_facts().encryption_key_arn
    assert key is not None
    keys = FakeKeys(managers={key: manager} if manager else {})
    copy_service = CopyService(
        settings=settings, backup=FakeBackup(), ledger=FakeLedger(), keys=keys
    )
    # When protected / Then the copy goes ahead
    assert copy_service.protect(make_event()).kind is OutcomeKind.COPY_STARTED


# --- Duplicates ------------------------------------------------------------------------------


def test_given_a_copy_already_claimed_when_protected_again_then_no_copy_job_is_started(
    settings: Settings,
) -> None:
    # Given the ledger already holds a started copy of this recovery point to LAG
    backup, ledger = FakeBackup(), FakeLedger()
    first = service(settings, FakeBackup(), ledger).protect(make_event())
    # When another container protects the same recovery point
    outcome = service(settings, backup, ledger).protect(make_event())
    # Then it sees the claim and starts nothing
    assert outcome.kind is OutcomeKind.ALREADY_CLAIMED
    assert copy_of(outcome.decision).request == copy_of(first.decision).request
    assert backup.calls["StartCopyJob"] == 0


def test_given_the_same_event_twice_when_protected_then_one_copy_job_is_started(
    settings: Settings,
) -> None:
    # Given one container receiving the same event twice (at-least-once delivery)
    backup = FakeBackup()
    copy_service = service(settings, backup)
    # When both deliveries are protected
    kinds = [copy_service.protect(make_event()).kind for _ in range(2)]
    # Then one copy job was started
    assert kinds == [OutcomeKind.COPY_STARTED, OutcomeKind.ALREADY_CLAIMED]
    assert backup.calls["StartCopyJob"] == 1


def test_given_a_throttled_start_when_redelivered_then_the_retry_reuses_the_claim_and_token(
    settings: Settings,
) -> None:
    # Given StartCopyJob is throttled once
    backup = FakeBackup(start_errors=[RetryableError("ThrottlingException", "slow down")])
    clock = ManualClock()
    ledger = FakeLedger(clock=clock)
    copy_service = service(settings, backup, ledger)
    # When the first delivery fails and SQS redelivers
    with pytest.raises(RetryableError):
        copy_service.protect(make_event())
    planned = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    clock.advance(VISIBILITY_TIMEOUT)  # SQS hides the failed record this long
    outcome = copy_service.protect(make_event())
    # Then the claim stayed PLANNED in between, and the retry started the copy with the same token
    assert planned is not None
    assert planned.state is LedgerState.PLANNED
    assert outcome.kind is OutcomeKind.COPY_STARTED
    assert backup.calls["StartCopyJob"] == 2
    assert len(backup.started) == 1
    assert isinstance(outcome.decision, CopyDecision)
    token = outcome.decision.request["IdempotencyToken"]
    assert backup.started[0]["IdempotencyToken"] == token


def test_given_a_throttled_start_when_redelivered_at_once_then_the_copy_starts(
    settings: Settings,
) -> None:
    # Given StartCopyJob is throttled once (issue 14: a redelivery sooner than the claim's lease,
    # e.g. a short visibility timeout or a manual redrive, was dropped as "already claimed")
    backup = FakeBackup(start_errors=[RetryableError("ThrottlingException", "slow down")])
    ledger = FakeLedger(clock=ManualClock())
    copy_service = service(settings, backup, ledger)
    with pytest.raises(RetryableError):
        copy_service.protect(make_event())
    # When the record comes back at once / Then the released claim is taken and the copy starts
    outcome = copy_service.protect(make_event())
    assert ledger.calls["release_claim"] == 1
    assert outcome.kind is OutcomeKind.COPY_STARTED
    assert len(backup.started) == 1


def test_given_a_start_refused_for_good_when_protected_then_the_ledger_says_failed_and_why(
    settings: Settings,
) -> None:
    # Given AWS refuses the copy job with a permanent error
    refusal = PermanentError("InvalidParameterValueException", "StartCopyJob: bad lifecycle")
    ledger = FakeLedger()
    copy_service = service(settings, FakeBackup(start_errors=[refusal]), ledger)
    # When protected
    with pytest.raises(PermanentError):
        copy_service.protect(make_event())
    # Then the entry is FAILED with AWS's message, not left PLANNED as if in flight
    entry = ledger.get(EBS_SNAPSHOT, LAG_VAULT_ARN)
    assert entry is not None
    assert entry.state is LedgerState.FAILED
    assert entry.explanation == "StartCopyJob: bad lifecycle"


def test_given_a_fresh_claim_when_a_duplicate_delivery_arrives_then_it_starts_nothing(
    settings: Settings,
) -> None:
    # Given a delivery claimed the copy and is between its claim and StartCopyJob
    backup = FakeBackup()
    ledger = FakeLedger()
    event = make_event()
    decision = service(settings, backup, ledger).plan(event)
    assert ledger.claim(event, decision, 1)
    # When a duplicate delivery of the same event runs at the same time
    outcome = service(settings, backup, ledger).protect(event)
    # Then the ledger alone refuses it: no copy job, whatever the idempotency token's window
    assert outcome.kind is OutcomeKind.ALREADY_CLAIMED
    assert backup.calls["StartCopyJob"] == 0


# --- Plan lookups ----------------------------------------------------------------------------


def by_name_settings() -> Settings:
    return make_settings(LAG_PLAN_NAMES="finance-daily")


def test_given_plans_selected_by_name_when_two_events_share_a_plan_then_it_is_looked_up_once() -> (
    None
):
    # Given LAG opt-in by plan name, and a plan named "finance-daily"
    backup = FakeBackup(plans={PLAIN_PLAN_ID: PlanIdentity(PLAIN_PLAN_ID, "finance-daily", {})})
    copy_service = service(by_name_settings(), backup)
    # When two recovery points of that plan are protected by the same container
    first = copy_service.protect(make_event(backup_plan_id=PLAIN_PLAN_ID))
    second = copy_service.protect(
        make_event(
            backup_plan_id=PLAIN_PLAN_ID,
            recovery_point_arn=f"arn:aws:ec2:{REGION}::snapshot/snap-0ffffffffffffffff",
        )
    )
    # Then both go to LAG, and the plan cost one GetBackupPlan + one ListTags in all
    assert copy_of(first.decision).target is Target.LAG
    assert copy_of(second.decision).target is Target.LAG
    assert (backup.calls["GetBackupPlan"], backup.calls["ListTags"]) == (1, 1)


def test_given_two_different_plans_when_protected_then_each_is_looked_up() -> None:
    backup = FakeBackup()
    copy_service = service(by_name_settings(), backup)
    copy_service.protect(make_event(backup_plan_id="plan-a"))
    copy_service.protect(
        make_event(
            backup_plan_id="plan-b",
            recovery_point_arn=f"arn:aws:ec2:{REGION}::snapshot/snap-0eeeeeeeeeeeeeeee",
        )
    )
    assert backup.calls["GetBackupPlan"] == 2


def test_given_a_plan_tagged_for_lag_when_protected_then_it_goes_to_lag() -> None:
    # Given opt-in by tag, and a plan carrying it
    backup = FakeBackup(
        plans={PLAIN_PLAN_ID: PlanIdentity(PLAIN_PLAN_ID, "x", {"backup:lag": "true"})}
    )
    settings = make_settings(LAG_PLAN_TAG="backup:lag=true")
    # When protected / Then the tag routed it to LAG
    outcome = service(settings, backup).protect(make_event(backup_plan_id=PLAIN_PLAN_ID))
    assert outcome.decision.reason is Reason.COPY_TO_LAG


@pytest.mark.parametrize("plan_id", [LAG_PLAN_ID, None], ids=["listed by id", "on-demand"])
def test_given_a_plan_listed_by_id_or_no_plan_when_protected_then_no_plan_is_looked_up(
    plan_id: str | None,
) -> None:
    # Given name selectors configured, but a plan already listed by id (or no plan at all)
    backup = FakeBackup()
    # When protected / Then no plan lookup is made
    service(by_name_settings(), backup).protect(make_event(backup_plan_id=plan_id))
    assert backup.calls == ONE_COPY


# --- LAG opt-in by vault: the DR vault, whose plans are the primary Region's ---------------

FOREIGN_PLAN_ID = "c0ffee00-1234-4abc-8def-0123456789ab"


@pytest.mark.parametrize("resource_type", ["EBS", "Aurora"])
def test_given_a_dr_vault_that_opts_in_when_a_foreign_plan_s_copy_is_protected_then_lag(
    resource_type: str,
) -> None:
    # Given the DR vault in LAG_SOURCE_VAULT_NAMES, plan selectors by name (which would need a
    # lookup), and a recovery point made by a plan of another Region
    settings = make_settings(LAG_SOURCE_VAULT_NAMES="dr", LAG_PLAN_NAMES="finance-daily")
    backup = FakeBackup()
    event = make_event(vault_name="dr", backup_plan_id=FOREIGN_PLAN_ID, resource_type=resource_type)
    # When protected (the live path and the reconciler share this copier)
    outcome = service(settings, backup).protect(event)
    # Then it is copied to the LAG vault, and its plan was never looked up
    assert outcome.decision.reason is Reason.COPY_TO_LAG
    assert isinstance(outcome.decision, CopyDecision)
    assert outcome.decision.request["DestinationBackupVaultArn"] == LAG_VAULT_ARN
    assert backup.calls == ONE_COPY


def test_given_no_vault_opt_in_when_the_plan_is_not_found_then_the_decision_says_so() -> None:
    # Given the vault rule off, selection by plan name, and a plan GetBackupPlan cannot find
    settings = make_settings(LAG_PLAN_NAMES="finance-daily", LAG_SOURCE_VAULT_NAMES="")
    backup = FakeBackup(plans={FOREIGN_PLAN_ID: PlanIdentity(FOREIGN_PLAN_ID)})
    event = make_event(vault_name="dr", backup_plan_id=FOREIGN_PLAN_ID)
    # When protected
    outcome = service(settings, backup).protect(event)
    # Then it goes where an EBS point outside LAG goes (the aws/ebs vault), and the explanation
    # says the plan is not in this Region
    assert copy_of(outcome.decision).target is Target.SERVICE_KEY
    assert f"plan {FOREIGN_PLAN_ID} is not in this Region" in outcome.decision.explanation


def test_given_a_dr_copy_lag_refused_when_planned_again_then_the_vault_rule_does_not_apply() -> (
    None
):
    # Given the DR vault opts in, but the LAG vault refused this recovery point before
    settings = make_settings(LAG_SOURCE_VAULT_NAMES="dr")
    copier = RecoveryPointCopier(settings=settings, backup=FakeBackup(), ledger=FakeLedger())
    event = make_event(vault_name="dr", backup_plan_id=FOREIGN_PLAN_ID)
    # When planned without LAG (the retry of a refused copy)
    decision = copier.plan_recovery_point(event, EBS_SNAPSHOT, lag_allowed=False)
    # Then it goes where an EBS point outside LAG goes (the aws/ebs vault)
    assert copy_of(decision).target is Target.SERVICE_KEY


# --- Dry run ---------------------------------------------------------------------------------


def test_given_an_event_when_planned_then_nothing_is_started_or_written(
    settings: Settings,
) -> None:
    # Given a copyable recovery point
    backup, ledger = FakeBackup(), FakeLedger()
    # When only planned (copyctl plan)
    decision = service(settings, backup, ledger).plan(make_event())
    # Then the decision is the copy, but no copy job and no ledger write happened
    assert decision.reason is Reason.COPY_TO_LAG
    assert backup.calls == Counter({"DescribeRecoveryPoint": 1})
    assert sum(ledger.calls.values()) == 0
