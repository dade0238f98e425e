"""moto's AWS Backup responses, extended with the calls it lacks.

moto finds the method from botocore's operation name in snake_case; ``ActionResult`` lets botocore's
model serialize the answer in the real AWS shape.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moto.backup.responses import BackupResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult, EmptyResult

from emulator import arns, jobs
from emulator.backend import EmulatorBackend, backend_for
from emulator.clock import as_utc
from emulator.control import STATE_LOCK, control
from emulator.errors import InvalidRequest, ServiceUnavailable, Throttling
from emulator.pagination import page

_JOB_FILTERS = {
    "ByResourceArn": "ResourceArn",
    "ByState": "State",
    "ByBackupVaultName": "BackupVaultName",
    "ByResourceType": "ResourceType",
    "ByDestinationVaultArn": "DestinationBackupVaultArn",
    "ByAccountId": "AccountId",
    "ByParentJobId": "ParentJobId",
    "BySourceRecoveryPointArn": "SourceRecoveryPointArn",
}
_POINT_FILTERS = (
    "ByResourceArn",
    "ByResourceType",
    "ByBackupPlanId",
    "ByCreatedBefore",
    "ByCreatedAfter",
    "ByParentRecoveryPointArn",
)


def _job_matches(job: dict[str, Any], filters: dict[str, Any]) -> bool:
    for name, value in filters.items():
        if name in _JOB_FILTERS and job.get(_JOB_FILTERS[name]) != value:
            return False
    return _dates_match(job, filters)


def _dates_match(job: dict[str, Any], filters: dict[str, Any]) -> bool:
    created, completed = job["CreationDate"], job.get("CompletionDate")
    bounds = {
        "ByCreatedBefore": lambda v: created < v,
        "ByCreatedAfter": lambda v: created > v,
        "ByCompleteBefore": lambda v: completed is not None and completed < v,
        "ByCompleteAfter": lambda v: completed is not None and completed > v,
    }
    return all(test(as_utc(filters[name])) for name, test in bounds.items() if name in filters)


def _throttled() -> TYPE_RESPONSE:
    """ThrottlingException is common to all AWS APIs, not in AWS Backup's model: built by hand."""
    body = json.dumps({"__type": Throttling.code, "message": Throttling.message})
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amzn-Errortype": Throttling.code}
    return 400, headers, body


class EmulatorBackupResponse(BackupResponse):
    @property
    def emulator(self) -> EmulatorBackend:
        return backend_for(self.current_account, self.region)

    def _parsed(self) -> dict[str, Any]:
        self.parse_parameters(self.normalized_request)
        return dict(self.params)

    def call_action(self) -> TYPE_RESPONSE:
        with STATE_LOCK:
            state = control()
            fault = state.faults.request_fault(self._get_action(), state.fault_rolls)
            if fault == "ThrottlingException":
                return _throttled()
            if fault == "ServiceUnavailableException":
                _, headers, body = self.serialized(ActionResult(ServiceUnavailable()))
                return 503, headers, body
            return super().call_action()

    def _now(self) -> datetime:
        return control().clock.now()

    # ---- vaults -------------------------------------------------------------------------------

    def create_backup_vault(self) -> ActionResult:  # type: ignore[override]
        p = self._parsed()
        vault = self.emulator.create_backup_vault(
            p["BackupVaultName"],
            p.get("BackupVaultTags"),
            p.get("EncryptionKeyArn"),
            p.get("CreatorRequestId"),
        )
        return ActionResult(
            {
                "BackupVaultName": vault.backup_vault_name,
                "BackupVaultArn": vault.backup_vault_arn,
                "CreationDate": vault.creation_date,
            }
        )

    def create_logically_air_gapped_backup_vault(self) -> ActionResult:
        p = self._parsed()
        vault = self.emulator.create_lag_vault(
            p["BackupVaultName"],
            tags=p.get("BackupVaultTags"),
            minimum=p["MinRetentionDays"],
            maximum=p["MaxRetentionDays"],
            key_arn=p.get("EncryptionKeyArn"),
            request_id=p.get("CreatorRequestId"),
        )
        return ActionResult(
            {
                "BackupVaultName": vault.backup_vault_name,
                "BackupVaultArn": vault.backup_vault_arn,
                "CreationDate": vault.creation_date,
                "VaultState": "AVAILABLE",
            }
        )

    def describe_backup_vault(self) -> ActionResult:
        return ActionResult(self.emulator.vault_view(self._parsed()["BackupVaultName"]))

    def list_backup_vaults(self) -> ActionResult:  # type: ignore[override]
        p = self._parsed()
        vaults = self.emulator.list_vaults(p.get("ByVaultType"))
        items, token = page(vaults, p.get("NextToken"), p.get("MaxResults"))
        return ActionResult({"BackupVaultList": items, "NextToken": token})

    def delete_backup_vault(self) -> EmptyResult:
        self.emulator.delete_backup_vault(self._parsed()["BackupVaultName"])
        return EmptyResult()

    def put_backup_vault_access_policy(self) -> EmptyResult:
        p = self._parsed()
        self.emulator.put_access_policy(p["BackupVaultName"], p.get("Policy"))
        return EmptyResult()

    def get_backup_vault_access_policy(self) -> ActionResult:
        name = self._parsed()["BackupVaultName"]
        policy = self.emulator.access_policy(name)
        arn = arns.vault_arn(self.region, self.current_account, name)
        return ActionResult({"BackupVaultName": name, "BackupVaultArn": arn, "Policy": policy})

    def delete_backup_vault_access_policy(self) -> EmptyResult:
        self.emulator.put_access_policy(self._parsed()["BackupVaultName"], None)
        return EmptyResult()

    # ---- recovery points ----------------------------------------------------------------------

    def describe_recovery_point(self) -> ActionResult:
        p = self._parsed()
        return ActionResult(
            self.emulator.recovery_point(p["BackupVaultName"], p["RecoveryPointArn"]).to_api()
        )

    def list_recovery_points_by_backup_vault(self) -> ActionResult:
        p = self._parsed()
        filters = {name: p[name] for name in _POINT_FILTERS if name in p}
        points = self.emulator.list_recovery_points(p["BackupVaultName"], filters)
        items, token = page(points, p.get("NextToken"), p.get("MaxResults"))
        return ActionResult(
            {"RecoveryPoints": [point.to_api() for point in items], "NextToken": token}
        )

    def list_recovery_points_by_resource(self) -> ActionResult:
        p = self._parsed()
        points = self.emulator.points_of_resource(p["ResourceArn"])
        items, token = page(points, p.get("NextToken"), p.get("MaxResults"))
        return ActionResult(
            {"RecoveryPoints": [point.to_api() for point in items], "NextToken": token}
        )

    def update_recovery_point_lifecycle(self) -> ActionResult:
        p = self._parsed()
        point = self.emulator.update_lifecycle(
            p["BackupVaultName"], p["RecoveryPointArn"], p.get("Lifecycle") or {}
        )
        return ActionResult(
            {
                "BackupVaultArn": point.vault_arn,
                "RecoveryPointArn": point.arn,
                "Lifecycle": point.lifecycle,
                "CalculatedLifecycle": point.calculated_lifecycle(),
            }
        )

    def delete_recovery_point(self) -> EmptyResult:
        p = self._parsed()
        self.emulator.delete_recovery_point(
            p["BackupVaultName"], p["RecoveryPointArn"], self._now()
        )
        return EmptyResult()

    # ---- jobs ---------------------------------------------------------------------------------

    def start_backup_job(self) -> ActionResult:
        p = self._parsed()
        if p.get("LogicallyAirGappedBackupVaultArn"):
            raise InvalidRequest(
                "The emulator does not back up straight into a logically air-gapped vault: seed a "
                "recovery point with delete_after_event='DELETE_AFTER_COPY' instead."
            )
        job = jobs.start_backup_job(
            self.emulator,
            vault_name=p["BackupVaultName"],
            resource_arn=p["ResourceArn"],
            iam_role_arn=p["IamRoleArn"],
            lifecycle=p.get("Lifecycle"),
            idempotency_token=p.get("IdempotencyToken"),
        )
        return ActionResult(
            {
                "BackupJobId": job.job_id,
                "RecoveryPointArn": job.recovery_point_arn,
                "CreationDate": job.creation_date,
                "IsParent": False,
            }
        )

    def describe_backup_job(self) -> ActionResult:
        job = self.emulator.backup_job(self._parsed()["BackupJobId"])
        return ActionResult(job.to_api())

    def list_backup_jobs(self) -> ActionResult:
        p = self._parsed()
        found = [job.to_api() for job in self.emulator.backup_jobs.values()]
        matching = [job for job in found if _job_matches(job, p)]
        items, token = page(matching, p.get("NextToken"), p.get("MaxResults"))
        return ActionResult({"BackupJobs": items, "NextToken": token})

    def start_copy_job(self) -> ActionResult:
        p = self._parsed()
        job = jobs.start_copy_job(
            self.emulator,
            recovery_point_arn=p["RecoveryPointArn"],
            source_vault_name=p["SourceBackupVaultName"],
            destination_vault_arn=p["DestinationBackupVaultArn"],
            iam_role_arn=p["IamRoleArn"],
            lifecycle=p.get("Lifecycle"),
            idempotency_token=p.get("IdempotencyToken"),
        )
        return ActionResult(
            {"CopyJobId": job.job_id, "CreationDate": job.creation_date, "IsParent": False}
        )

    def describe_copy_job(self) -> ActionResult:
        job = self.emulator.copy_job(self._parsed()["CopyJobId"])
        return ActionResult({"CopyJob": job.to_api()})

    def list_copy_jobs(self) -> ActionResult:
        p = self._parsed()
        found = [job.to_api() for job in self.emulator.copy_jobs.values()]
        matching = [job for job in found if _job_matches(job, p)]
        items, token = page(matching, p.get("NextToken"), p.get("MaxResults"))
        return ActionResult({"CopyJobs": items, "NextToken": token})

    # ---- selections ---------------------------------------------------------------------------

    def create_backup_selection(self) -> ActionResult:
        p = self._parsed()
        selection = self.emulator.create_selection(
            p["BackupPlanId"], p["BackupSelection"], p.get("CreatorRequestId"), self._now()
        )
        return ActionResult(
            {
                "SelectionId": selection.selection_id,
                "BackupPlanId": selection.plan_id,
                "CreationDate": selection.creation_date,
            }
        )

    def get_backup_selection(self) -> ActionResult:
        p = self._parsed()
        return ActionResult(self.emulator.selection(p["BackupPlanId"], p["SelectionId"]).to_api())

    def list_backup_selections(self) -> ActionResult:
        p = self._parsed()
        selections = self.emulator.plan_selections(p["BackupPlanId"])
        items, token = page(selections, p.get("NextToken"), p.get("MaxResults"))
        return ActionResult(
            {"BackupSelectionsList": [s.to_list_api() for s in items], "NextToken": token}
        )

    def delete_backup_selection(self) -> EmptyResult:
        p = self._parsed()
        selection = self.emulator.selection(p["BackupPlanId"], p["SelectionId"])
        del self.emulator.selections[selection.selection_id]
        return EmptyResult()
