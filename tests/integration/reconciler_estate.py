"""A small estate on the local AWS Backup emulator for the reconciler tests (issue 6).

Source vaults under one customer managed key, the LAG and managed-key destinations, the ledger
table, the alert topic, and the two EventBridge rules of the live path (completed backups into a
copy queue, copy job changes into a tracking queue). ``deliver`` plays the live handlers: it
reads each queue and hands every event to the same use cases the Lambda functions call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
from botocore.config import Config

import emulator
from adapters.alerts import SnsAlerts
from adapters.backup import BackupGateway
from adapters.kms import KmsKeys
from adapters.ledger import DynamoLedger
from adapters.ledger_lookup import DynamoLedgerLookup
from adapters.sessions import AwsClients
from core.copying.copy_service import CopyService
from core.copying.recovery_point_events import parse_recovery_point_event
from core.kernel.config import Settings, load_settings
from core.kernel.ledger_states import LedgerEntry
from core.reconcile.reconciler import Reconciler
from core.reconcile.settings import ReconcileSettings
from core.tracking.copy_job_events import parse_copy_job_update
from core.tracking.key_verification import KeyVerifier
from core.tracking.tracking_service import TrackingService
from handlers.reconcile_wiring import build_reconciler
from localrun.samples import create_destination_vaults, create_tracking_ledger_table
from tests.samples import ACCOUNT, LEDGER_TABLE, REGION, SETTINGS_ENV, SOURCE_VAULTS

NO_RETRIES = Config(retries={"total_max_attempts": 1})
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/backup-copy-orchestrator-backup-role"


@dataclass
class Estate:
    env: dict[str, str]
    settings: Settings
    aws: AwsClients
    sqs: Any
    cmk: str
    copy_queue: str
    tracking_queue: str
    copies: CopyService = field(init=False)
    tracking: TrackingService = field(init=False)

    def __post_init__(self) -> None:
        backup = BackupGateway(self.aws.backup)
        ledger = DynamoLedger(self.aws.dynamodb, LEDGER_TABLE, clock=emulator.now)
        self.copies = CopyService(self.settings, backup, ledger)
        self.tracking = TrackingService(
            settings=self.settings,
            backup=backup,
            ledger=ledger,
            copies=self.copies.copier,
            keys=KeyVerifier(backup=backup, keys=KmsKeys(self.aws.kms)),
            alerts=SnsAlerts(self.aws.sns, self.settings.alert_topic_arn),
        )

    def configured(self, **env: str) -> Estate:
        """The same estate with some variables of the functions' environment replaced."""
        environment = {**self.env, **env}
        return replace(self, env=environment, settings=load_settings(environment))

    def reconciler(self, *, heal: bool = True, page_size: int = 100) -> Reconciler:
        options = ReconcileSettings(look_back_days=35, page_size=page_size)
        return build_reconciler(self.settings, options, self.aws, emulator.now, heal=heal)

    def deliver(self) -> int:
        """Play the live copy and tracking handlers until both queues are empty."""
        delivered = 0
        while batch := self._drain(self.copy_queue) + self._drain(self.tracking_queue):
            for queue, body in batch:
                if queue == self.copy_queue:
                    self.copies.protect(parse_recovery_point_event(body))
                else:
                    self.tracking.track(parse_copy_job_update(body))
                delivered += 1
        return delivered

    def copy_jobs_of(self, recovery_point_arn: str) -> list[dict[str, Any]]:
        answer = self.aws.backup.list_copy_jobs(BySourceRecoveryPointArn=recovery_point_arn)
        return list(answer["CopyJobs"])

    def recovery_points(self) -> list[str]:
        """Every finished recovery point in the source vaults."""
        return [
            point["RecoveryPointArn"]
            for vault in SOURCE_VAULTS
            for point in self.aws.backup.list_recovery_points_by_backup_vault(
                BackupVaultName=vault
            )["RecoveryPoints"]
            if point["Status"] == "COMPLETED"
        ]

    def entries(self, recovery_point_arn: str) -> list[LedgerEntry]:
        return DynamoLedgerLookup(self.aws.dynamodb, LEDGER_TABLE).entries_for(recovery_point_arn)

    def _drain(self, url: str) -> list[tuple[str, Any]]:
        messages: list[tuple[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                messages.append((url, json.loads(message["Body"])))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return messages


def build_estate(endpoint_url: str | None = None, **env: str) -> Estate:
    """Inside ``mock_aws()`` (MOTO_ACCOUNT_ID = ACCOUNT), or against an emulator server."""
    session = boto3.session.Session(region_name=REGION)

    def client(service: str) -> Any:
        return session.client(service, config=NO_RETRIES, endpoint_url=endpoint_url)

    aws = AwsClients(
        backup=client("backup"), dynamodb=client("dynamodb"), kms=client("kms"), sns=client("sns")
    )
    cmk = aws.kms.create_key(Description="source vaults")["KeyMetadata"]["Arn"]
    for vault in SOURCE_VAULTS:
        aws.backup.create_backup_vault(BackupVaultName=vault, EncryptionKeyArn=cmk)
    create_destination_vaults(aws.backup, aws.kms)
    aws.backup.create_logically_air_gapped_backup_vault(
        BackupVaultName="lag", MinRetentionDays=7, MaxRetentionDays=400
    )
    create_tracking_ledger_table(aws.dynamodb, LEDGER_TABLE)
    topic = aws.sns.create_topic(Name="backup-copy-alerts")["TopicArn"]
    sqs, events = client("sqs"), client("events")
    environment = {**_in_account(SETTINGS_ENV, _account_of(cmk)), "ALERT_TOPIC_ARN": topic, **env}
    settings = load_settings(environment)
    copy_queue = _queue_for(sqs, events, "copy", _completed_backups())
    tracking_queue = _queue_for(sqs, events, "tracking", _copy_changes(settings))
    return Estate(environment, settings, aws, sqs, cmk, copy_queue, tracking_queue)


def lag_plan(estate: Estate, vault: str, cron: str, days: int) -> str:
    """A backup plan (selection: every registered resource) into ``vault``; its id."""
    plan = estate.aws.backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": f"plan-{vault}",
            "Rules": [
                {
                    "RuleName": vault,
                    "TargetBackupVaultName": vault,
                    "ScheduleExpression": cron,
                    "Lifecycle": {"DeleteAfterDays": days},
                }
            ],
        }
    )
    return str(plan["BackupPlanId"])


def select(estate: Estate, plan_id: str, resources: list[str]) -> None:
    estate.aws.backup.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={"SelectionName": "chosen", "IamRoleArn": ROLE_ARN, "Resources": resources},
    )


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def _in_account(env: dict[str, str], account: str) -> dict[str, str]:
    """The sample environment in the account the AWS answering us uses (a server's default)."""
    return {name: value.replace(f":{ACCOUNT}:", f":{account}:") for name, value in env.items()}


def _completed_backups() -> dict[str, Any]:
    return {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change"],
        "detail": {"state": ["COMPLETED"], "backupVaultName": list(SOURCE_VAULTS)},
    }


def _copy_changes(settings: Settings) -> dict[str, Any]:
    return {
        "source": ["aws.backup"],
        "detail-type": ["Copy Job State Change"],
        "detail": {"destinationBackupVaultArn": sorted(settings.destination_vault_arns)},
    }


def _queue_for(sqs: Any, events: Any, name: str, pattern: dict[str, Any]) -> str:
    url: str = sqs.create_queue(QueueName=f"{name}-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    events.put_rule(Name=f"{name}-rule", EventPattern=json.dumps(pattern))
    events.put_targets(Rule=f"{name}-rule", Targets=[{"Id": "queue", "Arn": arn["QueueArn"]}])
    return url
