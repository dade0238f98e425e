"""BackupGateway against botocore's AWS Backup model: exact requests, parsed answers, error mapping.

The Stubber validates every request against the service model, and every stubbed answer too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from botocore.validate import ParamValidator

from adapters.aws_errors import translated
from adapters.backup import BackupGateway
from core.copying.copy_service import CopyService
from core.copying.decision import fallback_from_lag
from core.copying.recovery_point_events import parse_recovery_point_event
from core.kernel.config import Settings
from core.kernel.errors import InvalidEventError, PermanentError, RetryableError
from core.kernel.lag_plans import PlanIdentity
from core.kernel.models import (
    CopyDecision,
    CopyLifecycle,
    RecoveryPointEvent,
    SourceLifecycle,
    StartCopyJobRequest,
    StorageClass,
)
from tests.fakes import EBS_SNAPSHOT, FakeBackup, FakeLedger, copy_of
from tests.samples import (
    ACCOUNT,
    COPY_ROLE_ARN,
    LAG_PLAN_ID,
    LAG_VAULT_ARN,
    REGION,
    event_file_names,
    read_event,
)

CREATED = datetime(2026, 10, 5, 7, 20, 11, tzinfo=UTC)
PLAN_ARN = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:{LAG_PLAN_ID}"


@pytest.fixture
def client() -> Any:
    return boto3.client("backup", region_name=REGION)


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def gateway(client: Any) -> BackupGateway:
    return BackupGateway(client)


def copy_request(lifecycle: CopyLifecycle) -> StartCopyJobRequest:
    return StartCopyJobRequest(
        RecoveryPointArn=EBS_SNAPSHOT,
        SourceBackupVaultName="daily",
        DestinationBackupVaultArn=LAG_VAULT_ARN,
        IamRoleArn=COPY_ROLE_ARN,
        IdempotencyToken="0b3c9a52-3f1e-5d7a-9b1c-2e4f6a8b0c1d",
        Lifecycle=lifecycle,
    )


# --- DescribeBackupJob -----------------------------------------------------------------------


def test_given_a_backup_job_when_its_recovery_point_is_asked_then_describe_backup_job_answers(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    # Given AWS knows the job's recovery point
    stubber.add_response(
        "describe_backup_job",
        {"BackupJobId": "job-1", "RecoveryPointArn": EBS_SNAPSHOT, "State": "COMPLETED"},
        expected_params={"BackupJobId": "job-1"},
    )
    # When asked / Then the ARN is returned
    assert gateway.recovery_point_of_job("job-1") == EBS_SNAPSHOT


def test_given_a_job_without_a_recovery_point_when_asked_then_it_is_a_permanent_error(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    stubber.add_response(
        "describe_backup_job", {"BackupJobId": "job-1"}, expected_params={"BackupJobId": "job-1"}
    )
    with pytest.raises(PermanentError) as caught:
        gateway.recovery_point_of_job("job-1")
    assert caught.value.reason == "no-recovery-point"


def test_given_a_job_not_found_yet_when_asked_then_it_is_retried(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    # A job AWS does not know yet may still be settling in: retry, do not park
    stubber.add_client_error(
        "describe_backup_job", "ResourceNotFoundException", http_status_code=404
    )
    with pytest.raises(RetryableError):
        gateway.recovery_point_of_job("job-1")


# --- DescribeRecoveryPoint -------------------------------------------------------------------


def test_given_a_recovery_point_when_described_then_every_fact_is_read(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    # Given DescribeRecoveryPoint's full answer
    stubber.add_response(
        "describe_recovery_point",
        {
            "RecoveryPointArn": EBS_SNAPSHOT,
            "BackupVaultName": "daily",
            "Status": "COMPLETED",
            "StorageClass": "WARM",
            "CreationDate": CREATED,
            "Lifecycle": {
                "DeleteAfterDays": 120,
                "MoveToColdStorageAfterDays": 30,
                "DeleteAfterEvent": "DELETE_AFTER_COPY",
            },
            "CalculatedLifecycle": {"DeleteAt": datetime(2027, 2, 2, tzinfo=UTC)},
            "EncryptionKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1",
            "ParentRecoveryPointArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:parent",
            "IsParent": False,
        },
        expected_params={"BackupVaultName": "daily", "RecoveryPointArn": EBS_SNAPSHOT},
    )
    # When described
    facts = gateway.describe_recovery_point("daily", EBS_SNAPSHOT)
    # Then the domain facts carry it
    assert facts.arn == EBS_SNAPSHOT
    assert (facts.status, facts.storage_class) == ("COMPLETED", StorageClass.WARM)
    assert facts.lifecycle == SourceLifecycle(120, 30, "DELETE_AFTER_COPY")
    assert facts.creation_date == CREATED
    assert facts.delete_at == datetime(2027, 2, 2, tzinfo=UTC)
    assert facts.encryption_key_arn == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k-1"
    assert facts.parent_recovery_point_arn is not None
    assert facts.is_parent is False


def test_given_a_sparse_answer_when_described_then_defaults_are_warm_and_forever(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    # Given an answer without lifecycle, storage class or status
    stubber.add_response(
        "describe_recovery_point",
        {"RecoveryPointArn": EBS_SNAPSHOT, "CreationDate": CREATED},
        expected_params={"BackupVaultName": "daily", "RecoveryPointArn": EBS_SNAPSHOT},
    )
    # When described
    facts = gateway.describe_recovery_point("daily", EBS_SNAPSHOT)
    # Then it is a warm, completed recovery point kept forever
    assert (facts.status, facts.storage_class) == ("COMPLETED", StorageClass.WARM)
    assert facts.lifecycle == SourceLifecycle()
    assert facts.delete_at is None


def test_given_a_cold_recovery_point_when_described_then_its_storage_class_is_cold(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    stubber.add_response(
        "describe_recovery_point",
        {"RecoveryPointArn": EBS_SNAPSHOT, "CreationDate": CREATED, "StorageClass": "COLD"},
    )
    assert gateway.describe_recovery_point("daily", EBS_SNAPSHOT).storage_class is StorageClass.COLD


# --- StartCopyJob ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lifecycle",
    [
        CopyLifecycle(DeleteAfterDays=30),
        CopyLifecycle(DeleteAfterDays=365, MoveToColdStorageAfterDays=30),
    ],
    ids=["warm", "with cold transition"],
)
def test_given_a_copy_request_when_started_then_start_copy_job_gets_exactly_it(
    stubber: Stubber, gateway: BackupGateway, lifecycle: CopyLifecycle
) -> None:
    # Given a decided request
    request = copy_request(lifecycle)
    stubber.add_response(
        "start_copy_job",
        {"CopyJobId": "copy-job-1", "CreationDate": CREATED, "IsParent": False},
        expected_params=dict(request),
    )
    # When started / Then AWS received exactly those arguments and the job id comes back
    assert gateway.start_copy_job(request) == "copy-job-1"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("Throttling", 400),
        ("LimitExceededException", 400),
        ("ServiceUnavailableException", 503),
        ("InternalFailure", 500),
        ("SomethingNew", 502),
    ],
)
def test_given_a_transient_aws_error_when_starting_a_copy_then_it_is_retryable(
    stubber: Stubber, gateway: BackupGateway, code: str, status: int
) -> None:
    # Given AWS answers with a throttling, quota or 5xx error
    stubber.add_client_error("start_copy_job", code, http_status_code=status)
    # When starting / Then the domain sees a RetryableError carrying the AWS code
    with pytest.raises(RetryableError) as caught:
        gateway.start_copy_job(copy_request(CopyLifecycle(DeleteAfterDays=30)))
    assert caught.value.reason == code
    assert caught.value.message.startswith(f"StartCopyJob: {code}")


@pytest.mark.parametrize(
    "code",
    [
        "InvalidRequestException",
        "InvalidParameterValueException",
        "MissingParameterValueException",
        "ResourceNotFoundException",
    ],
)
def test_given_a_request_error_when_starting_a_copy_then_it_is_permanent(
    stubber: Stubber, gateway: BackupGateway, code: str
) -> None:
    stubber.add_client_error("start_copy_job", code, "no", http_status_code=400)
    with pytest.raises(PermanentError) as caught:
        gateway.start_copy_job(copy_request(CopyLifecycle(DeleteAfterDays=30)))
    assert not isinstance(caught.value, RetryableError)
    assert caught.value.reason == code


# --- GetBackupPlan + ListTags ----------------------------------------------------------------


def test_given_a_plan_id_when_its_identity_is_asked_then_name_and_tags_are_read(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    # Given a plan and its tags
    stubber.add_response(
        "get_backup_plan",
        {
            "BackupPlanId": LAG_PLAN_ID,
            "BackupPlanArn": PLAN_ARN,
            "BackupPlan": {
                "BackupPlanName": "finance-daily",
                "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "daily"}],
            },
        },
        expected_params={"BackupPlanId": LAG_PLAN_ID},
    )
    stubber.add_response(
        "list_tags", {"Tags": {"backup:lag": "true"}}, expected_params={"ResourceArn": PLAN_ARN}
    )
    # When asked / Then one GetBackupPlan and one ListTags (on the plan's ARN) give its identity
    assert gateway.plan_identity(LAG_PLAN_ID) == PlanIdentity(
        LAG_PLAN_ID, "finance-daily", {"backup:lag": "true"}
    )


def test_given_a_plan_with_many_tags_when_its_identity_is_asked_then_every_page_is_read(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    # Given a plan whose tags span two ListTags pages
    stubber.add_response(
        "get_backup_plan",
        {"BackupPlanArn": PLAN_ARN, "BackupPlan": {"BackupPlanName": "p", "Rules": []}},
        expected_params={"BackupPlanId": LAG_PLAN_ID},
    )
    stubber.add_response(
        "list_tags",
        {"Tags": {"team": "a"}, "NextToken": "page-2"},
        expected_params={"ResourceArn": PLAN_ARN},
    )
    stubber.add_response(
        "list_tags",
        {"Tags": {"backup:lag": "true"}},
        expected_params={"ResourceArn": PLAN_ARN, "NextToken": "page-2"},
    )
    # When asked / Then the tag on the second page counts
    assert gateway.plan_identity(LAG_PLAN_ID).tags == {"team": "a", "backup:lag": "true"}


def test_given_a_plan_deleted_since_its_backup_when_asked_then_it_is_known_by_id_only(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    # Given the plan no longer exists
    stubber.add_client_error("get_backup_plan", "ResourceNotFoundException", http_status_code=404)
    # When asked / Then no error: the plan opts into LAG only if listed by id
    assert gateway.plan_identity(LAG_PLAN_ID) == PlanIdentity(LAG_PLAN_ID)


def test_given_a_throttled_plan_lookup_when_asked_then_it_is_retryable(
    stubber: Stubber, gateway: BackupGateway
) -> None:
    stubber.add_client_error("get_backup_plan", "ThrottlingException", http_status_code=400)
    with pytest.raises(RetryableError):
        gateway.plan_identity(LAG_PLAN_ID)


# --- Network and SDK errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (EndpointConnectionError(endpoint_url="https://backup.us-east-1.amazonaws.com"), "network"),
        (ReadTimeoutError(endpoint_url="https://backup.us-east-1.amazonaws.com"), "network"),
    ],
    ids=["connect", "read timeout"],
)
def test_given_a_network_failure_when_translated_then_it_is_retryable(
    error: Exception, reason: str
) -> None:
    with pytest.raises(RetryableError) as caught, translated("StartCopyJob"):
        raise error
    assert caught.value.reason == reason


# --- Every request the decision code makes is valid for the service model ---------------------

START_COPY_JOB = boto3.client("backup", region_name=REGION).meta.service_model.operation_model(
    "StartCopyJob"
)


def model_errors(request: dict[str, Any]) -> str:
    report = ParamValidator().validate(request, START_COPY_JOB.input_shape)
    return report.generate_report() if report.has_errors() else ""


def fixture_events() -> dict[str, RecoveryPointEvent]:
    """Every event the events/ files hold (SQS bodies included) that parses."""
    events: dict[str, RecoveryPointEvent] = {}
    for name in event_file_names():
        raw = read_event(name)
        candidates = [record["body"] for record in raw["Records"]] if "Records" in raw else [raw]
        for index, candidate in enumerate(candidates):
            try:
                document = json.loads(candidate) if isinstance(candidate, str) else candidate
                events[f"{name}#{index}"] = parse_recovery_point_event(document)
            except (json.JSONDecodeError, InvalidEventError):
                continue
    return events


def copy_requests_of_fixtures(settings: Settings) -> dict[str, StartCopyJobRequest]:
    """The request of every copy decision, and of its managed-vault fallback."""
    backup = FakeBackup()
    requests: dict[str, StartCopyJobRequest] = {}
    for label, event in fixture_events().items():
        decision = CopyService(settings, backup, FakeLedger()).plan(event)
        if not isinstance(decision, CopyDecision):
            continue
        requests[label] = decision.request
        facts = backup.describe_recovery_point(
            event.vault_name, decision.request["RecoveryPointArn"]
        )
        fallback = copy_of(fallback_from_lag(event, facts, settings, attempt=2)).request
        requests[f"{label} fallback"] = fallback
    return requests


def test_given_every_fixture_when_decided_then_each_start_copy_job_request_fits_the_model(
    settings: Settings,
) -> None:
    # Given every copy request the decision code makes for the events/ samples
    requests = copy_requests_of_fixtures(settings)
    assert len(requests) >= 10
    # When validated against botocore's StartCopyJob input shape / Then none has an error
    problems = {name: model_errors(dict(request)) for name, request in requests.items()}
    assert {name: text for name, text in problems.items() if text} == {}


def test_given_every_fixture_when_decided_then_lag_copies_fit_the_lag_retention_range(
    settings: Settings,
) -> None:
    # A LAG copy outside the vault's [min, max] retention fails (lag-vault-primary-backup.html).
    lag = settings.lag_vault
    days = {
        name: request["Lifecycle"]["DeleteAfterDays"]
        for name, request in copy_requests_of_fixtures(settings).items()
        if request["DestinationBackupVaultArn"] == lag.vault_arn
    }
    assert days, "no fixture leads to a LAG copy"
    assert lag.max_retention_days is not None
    assert all(lag.min_retention_days <= d <= lag.max_retention_days for d in days.values()), days


@pytest.mark.parametrize(
    "broken",
    [
        {"Lifecycle": {"DeleteAfterDays": "30"}},
        {"Lifecycle": {"DeleteAfterDays": 30, "ColdAfter": 1}},
        {"IamRoleArn": None},
        {"Attempt": 1},
    ],
    ids=["days as text", "unknown lifecycle key", "no role", "unknown argument"],
)
def test_given_a_request_that_breaks_the_model_when_validated_then_it_is_reported(
    broken: dict[str, Any],
) -> None:
    # The validator above is not vacuous: it catches wrong types, unknown and missing keys.
    request: dict[str, Any] = {**copy_request(CopyLifecycle(DeleteAfterDays=30)), **broken}
    request = {key: value for key, value in request.items() if value is not None}
    assert model_errors(request) != ""
