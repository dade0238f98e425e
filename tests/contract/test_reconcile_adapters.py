"""The reconciler's adapters against botocore's models: exact requests, parsed answers, errors.

AWS Backup and SNS through a Stubber (it validates every request and answer against the service
model); the ledger reads and the cursor store against moto's DynamoDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from adapters.alerts import SnsAlerts
from adapters.ledger import DynamoLedger
from adapters.ledger_lookup import DynamoLedgerLookup
from adapters.reconcile_cursor import DynamoCursorStore
from adapters.recovery_points import BackupVaultKeys, RecoveryPointLister
from adapters.sessions import Connection, stack_outputs
from core.copying.decision import decide
from core.kernel.config import Settings
from core.kernel.errors import PermanentError, RetryableError
from core.kernel.ledger_states import LedgerState
from core.key_guard.alerts import KeyRiskAlert, key_risk_message, key_risk_subject
from core.key_guard.kms_events import parse_key_event
from core.reconcile.coverage import Coverage, Finding, Standing
from core.reconcile.cursor import ReconcileCursor
from localrun.samples import create_tracking_ledger_table
from tests.fakes import make_event, make_facts
from tests.reconcile_fakes import CMK, NOW, listed
from tests.samples import ACCOUNT, LAG_PLAN_ID, LEDGER_TABLE, REGION, read_event, vault_arn

CREATED = datetime(2026, 10, 20, 7, 20, tzinfo=UTC)
POINT_ARN = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:backup-copy-alerts"


def listed_item(arn: str = POINT_ARN, **changes: Any) -> dict[str, Any]:
    """One RecoveryPointByBackupVault, as AWS answers it."""
    item = {
        "RecoveryPointArn": arn,
        "BackupVaultName": "daily",
        "BackupVaultArn": vault_arn("daily"),
        "ResourceArn": "arn:aws:s3:::invoices",
        "ResourceType": "S3",
        "CreatedBy": {"BackupPlanId": LAG_PLAN_ID, "BackupRuleId": "rule-1"},
        "Status": "COMPLETED",
        "CreationDate": CREATED,
        "BackupSizeInBytes": 1024,
        "EncryptionKeyArn": CMK,
        "IsEncrypted": True,
    }
    return {**item, **changes}


@pytest.fixture
def backup() -> Any:
    return boto3.client("backup", region_name=REGION)


@pytest.fixture
def backup_stub(backup: Any) -> Iterator[Stubber]:
    with Stubber(backup) as stub:
        yield stub
        stub.assert_no_pending_responses()


# --- ListRecoveryPointsByBackupVault ------------------------------------------------------------


def test_given_a_look_back_bound_when_listed_then_the_request_filters_and_pages(
    backup: Any, backup_stub: Stubber
) -> None:
    # Given two pages
    after = CREATED - timedelta(days=35)
    backup_stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [listed_item()], "NextToken": "page-2"},
        {"BackupVaultName": "daily", "MaxResults": 100, "ByCreatedAfter": after},
    )
    backup_stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [listed_item(f"{POINT_ARN}-2")]},
        {
            "BackupVaultName": "daily",
            "MaxResults": 100,
            "ByCreatedAfter": after,
            "NextToken": "page-2",
        },
    )
    # When listed
    pages = list(
        RecoveryPointLister(backup).recovery_point_pages(
            "daily", created_after=after, start_token=None, page_size=100
        )
    )
    # Then each page knows the token that fetched it and the next one
    assert [(p.token, p.next_token) for p in pages] == [(None, "page-2"), ("page-2", None)]
    assert [p.items[0].arn for p in pages] == [POINT_ARN, f"{POINT_ARN}-2"]


def test_given_a_listed_item_when_read_then_every_field_the_reconciler_uses_is_kept(
    backup: Any, backup_stub: Stubber
) -> None:
    backup_stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [listed_item()]},
        {"BackupVaultName": "daily", "MaxResults": 10},
    )
    [page] = RecoveryPointLister(backup).recovery_point_pages(
        "daily", created_after=None, start_token=None, page_size=10
    )
    assert page.items == (
        listed(
            0,
            arn=POINT_ARN,
            resource_arn="arn:aws:s3:::invoices",
            creation_date=CREATED,
            size_in_bytes=1024,
        ),
    )


def test_given_an_on_demand_point_without_a_key_when_read_then_plan_and_key_are_none(
    backup: Any, backup_stub: Stubber
) -> None:
    item = listed_item()
    del item["CreatedBy"], item["EncryptionKeyArn"]
    backup_stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [item]},
        {"BackupVaultName": "daily", "MaxResults": 10},
    )
    [page] = RecoveryPointLister(backup).recovery_point_pages(
        "daily", created_after=None, start_token=None, page_size=10
    )
    assert (page.items[0].backup_plan_id, page.items[0].encryption_key_arn) == (None, None)


def test_given_a_saved_token_when_listed_then_the_walk_resumes_there_one_page_at_a_time(
    backup: Any, backup_stub: Stubber
) -> None:
    # Only one answer is stubbed: reading the first page must not ask for the second
    backup_stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [listed_item()], "NextToken": "page-4"},
        {"BackupVaultName": "daily", "MaxResults": 50, "NextToken": "page-3"},
    )
    pages = RecoveryPointLister(backup).recovery_point_pages(
        "daily", created_after=None, start_token="page-3", page_size=50
    )
    assert next(pages).next_token == "page-4"


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("AccessDeniedException", 403, PermanentError),
        ("ResourceNotFoundException", 404, PermanentError),
        ("InvalidParameterValueException", 400, PermanentError),
        ("ThrottlingException", 400, RetryableError),
        ("ServiceUnavailableException", 503, RetryableError),
    ],
)
def test_given_an_aws_error_when_listed_then_it_is_translated(
    backup: Any, backup_stub: Stubber, code: str, status: int, error: type[Exception]
) -> None:
    backup_stub.add_client_error(
        "list_recovery_points_by_backup_vault", code, "no", http_status_code=status
    )
    pages = RecoveryPointLister(backup).recovery_point_pages(
        "daily", created_after=None, start_token=None, page_size=10
    )
    with pytest.raises(error) as raised:
        next(pages)
    assert raised.value.reason == code  # type: ignore[attr-defined]


# --- DescribeBackupVault ------------------------------------------------------------------------


def test_given_a_vault_when_its_key_is_asked_then_describe_backup_vault_answers(
    backup: Any, backup_stub: Stubber
) -> None:
    backup_stub.add_response(
        "describe_backup_vault",
        {"BackupVaultName": "daily", "BackupVaultArn": vault_arn("daily"), "EncryptionKeyArn": CMK},
        {"BackupVaultName": "daily"},
    )
    assert BackupVaultKeys(backup).encryption_key_arn("daily") == CMK


def test_given_a_missing_vault_when_its_key_is_asked_then_a_permanent_error(
    backup: Any, backup_stub: Stubber
) -> None:
    backup_stub.add_client_error(
        "describe_backup_vault", "ResourceNotFoundException", "no vault", http_status_code=404
    )
    with pytest.raises(PermanentError) as raised:
        BackupVaultKeys(backup).encryption_key_arn("gone")
    assert raised.value.reason == "ResourceNotFoundException"


# --- the ledger: Query by recovery point, and the cursor ----------------------------------------


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_tracking_ledger_table(client, LEDGER_TABLE)
        yield client


def test_given_a_copy_and_a_skip_when_looked_up_then_both_entries_of_that_point_come_back(
    dynamodb: Any, settings: Settings
) -> None:
    # Given a copy claimed for one point, a skip for it, and a copy of another point
    ledger = DynamoLedger(dynamodb, LEDGER_TABLE)
    event = make_event()
    decision = decide(event, make_facts(), True, settings)
    ledger.claim(event, decision, 1)
    skip = decide(event, make_facts(status="EXPIRED"), True, settings)
    ledger.record_final(event, skip, LedgerState.SKIPPED)
    other = make_event(recovery_point_arn=POINT_ARN)
    ledger.claim(other, decide(other, make_facts(POINT_ARN), True, settings), 1)
    DynamoCursorStore(dynamodb, LEDGER_TABLE).save(
        ReconcileCursor.first(("daily",), None, NOW).saved()
    )
    # When the first point's entries are looked up
    entries = DynamoLedgerLookup(dynamodb, LEDGER_TABLE).entries_for(decision.recovery_point_arn)
    # Then exactly its two entries come back
    assert sorted((e.destination_vault_arn, e.state) for e in entries) == [
        ("-", LedgerState.SKIPPED),
        (settings.lag_vault.vault_arn, LedgerState.PLANNED),
    ]


def test_given_a_point_the_ledger_never_saw_when_looked_up_then_no_entry(dynamodb: Any) -> None:
    assert DynamoLedgerLookup(dynamodb, LEDGER_TABLE).entries_for(POINT_ARN) == []


def test_given_a_cursor_when_saved_then_it_loads_back_the_same(dynamodb: Any) -> None:
    coverage = Coverage()
    coverage.add(Finding(listed(1), Standing.PROTECTED, "lag", "key-aws-owned"))
    cursor = ReconcileCursor(
        vaults=("daily", "hourly"),
        created_after=NOW - timedelta(days=35),
        vault="hourly",
        page_token="opaque/token==",
        pass_started_at=NOW,
        coverage=coverage,
        last_key_usage={CMK: frozenset({"daily", "hourly"})},
        version=1,
    )
    store = DynamoCursorStore(dynamodb, LEDGER_TABLE)
    assert store.save(cursor)
    loaded = store.load()
    assert loaded is not None
    assert loaded.coverage.to_document() == coverage.to_document()
    assert (loaded.vaults, loaded.created_after, loaded.vault, loaded.page_token) == (
        cursor.vaults,
        cursor.created_after,
        cursor.vault,
        cursor.page_token,
    )
    assert (loaded.last_key_usage, loaded.version) == (cursor.last_key_usage, 1)


def test_given_two_runs_with_the_same_cursor_when_both_save_then_only_the_first_wins(
    dynamodb: Any,
) -> None:
    store = DynamoCursorStore(dynamodb, LEDGER_TABLE)
    store.save(ReconcileCursor.first(("daily",), None, NOW).saved())
    read_by_both = store.load()
    assert read_by_both is not None
    assert store.save(read_by_both.saved())
    assert not store.save(read_by_both.saved())


def test_given_no_cursor_when_loaded_then_none(dynamodb: Any) -> None:
    assert DynamoCursorStore(dynamodb, LEDGER_TABLE).load() is None


def test_given_a_saved_cursor_when_stuck_copies_are_queried_then_it_is_not_among_them(
    dynamodb: Any,
) -> None:
    # The cursor item has no State, so the StateUpdatedAtIndex never holds it
    DynamoCursorStore(dynamodb, LEDGER_TABLE).save(
        ReconcileCursor.first(("daily",), None, NOW).saved()
    )
    ledger = DynamoLedger(dynamodb, LEDGER_TABLE)
    assert ledger.in_progress_before(datetime.now(UTC) + timedelta(days=1)) == []


# --- SNS: the key guard's alert -----------------------------------------------------------------


def test_given_a_key_alert_when_published_then_one_publish_with_kind_and_severity() -> None:
    client = boto3.client("sns", region_name=REGION)
    alert = KeyRiskAlert(
        event=parse_key_event(read_event("kms-schedule-key-deletion.json")),
        region=REGION,
        vaults=("daily",),
        coverage=Coverage(),
        unprotected=(),
        scan_complete=True,
    )
    with Stubber(client) as stub:
        stub.add_response(
            "publish",
            {"MessageId": "m-1"},
            {
                "TopicArn": TOPIC,
                "Subject": key_risk_subject(alert),
                "Message": key_risk_message(alert),
                "MessageAttributes": {
                    "AlertKind": {"DataType": "String", "StringValue": "key-at-risk"},
                    "Severity": {"DataType": "String", "StringValue": "high"},
                },
            },
        )
        SnsAlerts(client, TOPIC).publish_key_risk(alert)
        stub.assert_no_pending_responses()


# --- CloudFormation: the stack's outputs ----------------------------------------------------------


def test_given_a_stack_when_its_outputs_are_read_then_each_output_comes_back_by_key() -> None:
    template = """{
      "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
      "Outputs": {
        "SourceVaultNames": {"Value": "hourly,daily"},
        "LedgerTableName": {"Value": "backup-copy-ledger"}
      }
    }"""
    with mock_aws():
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="orchestrator", TemplateBody=template
        )
        outputs = stack_outputs(Connection(region=REGION), "orchestrator")
    assert outputs == {"SourceVaultNames": "hourly,daily", "LedgerTableName": "backup-copy-ledger"}


def test_given_no_such_stack_when_its_outputs_are_read_then_a_permanent_error() -> None:
    with mock_aws(), pytest.raises(PermanentError) as raised:
        stack_outputs(Connection(region=REGION), "no-such-stack")
    assert raised.value.reason == "ValidationError"
