"""AWS Backup state moto lacks, per account and Region: recovery points, jobs, LAG vaults,
access policies, selections and the resources that can be backed up.

Vaults and plans stay in moto's own backend; this one adds to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from moto.backup.models import BackupBackend, Vault, backup_backends
from moto.core.base_backend import BackendDict, BaseBackend

from emulator import arns, kms, rules
from emulator.clock import as_utc
from emulator.control import control
from emulator.errors import (
    AlreadyExists,
    InvalidParameterValue,
    InvalidRequest,
    ResourceNotFound,
)
from emulator.models import (
    LAG_VAULT,
    BackupJob,
    CopyJob,
    RecoveryPoint,
    ResourceInfo,
    Selection,
    VaultExtras,
)


class EmulatorBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.vault_extras: dict[str, VaultExtras] = {}
        self.recovery_points: dict[str, dict[str, RecoveryPoint]] = {}
        self.backup_jobs: dict[str, BackupJob] = {}
        self.copy_jobs: dict[str, CopyJob] = {}
        self.selections: dict[str, Selection] = {}
        self.resources: dict[str, ResourceInfo] = {}
        self.idempotency: dict[str, tuple[str, tuple[Any, ...], datetime]] = {}

    # ---- vaults -------------------------------------------------------------------------------

    @property
    def moto(self) -> BackupBackend:
        return backup_backends[self.account_id][self.region_name]

    def vault(self, name: str) -> Vault:
        try:
            return self.moto.vaults[name]
        except KeyError:
            raise ResourceNotFound(f"Backup vault {name} does not exist.") from None

    def extras(self, name: str) -> VaultExtras:
        return self.vault_extras.setdefault(name, VaultExtras())

    def create_backup_vault(
        self, name: str, tags: dict[str, str] | None, key_arn: str | None, request_id: str | None
    ) -> Vault:
        # create-a-vault.html: a vault created without a key uses the AWS managed key aws/backup.
        key_arn = key_arn or kms.aws_managed_key_arn(
            self.account_id, self.region_name, rules.BACKUP_MANAGED_KEY_ALIAS
        )
        vault = self.moto.create_backup_vault(name, tags or {}, key_arn, request_id)  # type: ignore[arg-type]
        self.vault_extras[name] = VaultExtras()
        self.recovery_points[name] = {}
        return vault

    def create_lag_vault(
        self,
        name: str,
        *,
        tags: dict[str, str] | None,
        minimum: int,
        maximum: int,
        key_arn: str | None,
        request_id: str | None,
    ) -> Vault:
        _check_lag_retention(minimum, maximum)
        if name in self.moto.vaults:
            raise AlreadyExists(f"Backup vault with the same name {name} already exists")
        vault = self.moto.create_backup_vault(name, tags or {}, key_arn, request_id)  # type: ignore[arg-type]
        # logicallyairgappedvault.html: always locked in compliance mode.
        vault.locked = True
        vault.min_retention_days, vault.max_retention_days = minimum, maximum
        self.vault_extras[name] = VaultExtras(LAG_VAULT, None, key_arn)
        self.recovery_points[name] = {}
        return vault

    def vault_key(self, name: str) -> str:
        extras = self.extras(name)
        if extras.vault_type == LAG_VAULT:
            return extras.encryption_key_arn or kms.aws_owned_key_arn(self.region_name)
        return self.vault(name).encryption_key_arn or kms.aws_managed_key_arn(
            self.account_id, self.region_name, rules.BACKUP_MANAGED_KEY_ALIAS
        )

    def vault_key_type(self, name: str) -> str:
        extras = self.extras(name)
        if extras.vault_type == LAG_VAULT and not extras.encryption_key_arn:
            return rules.AWS_OWNED
        return rules.CUSTOMER_MANAGED

    def retention_range(self, name: str) -> tuple[int | None, int | None]:
        vault = self.vault(name)
        if not vault.locked:
            return None, None
        return vault.min_retention_days, vault.max_retention_days

    def vault_view(self, name: str) -> dict[str, Any]:
        vault = self.vault(name)
        extras = self.extras(name)
        view = vault.to_list_dict()
        view.update(
            VaultType=extras.vault_type,
            VaultState="AVAILABLE",
            EncryptionKeyArn=self.vault_key(name),
            EncryptionKeyType=self.vault_key_type(name),
            NumberOfRecoveryPoints=len(self.recovery_points.get(name, {})),
        )
        return view

    def list_vaults(self, vault_type: str | None) -> list[dict[str, Any]]:
        views = [self.vault_view(name) for name in self.moto.vaults]
        return [view for view in views if vault_type in (None, view["VaultType"])]

    def delete_backup_vault(self, name: str) -> None:
        self.vault(name)
        if self.recovery_points.get(name):
            raise InvalidRequest(
                f"Backup vault {name} cannot be deleted because it contains recovery points."
            )
        self.moto.delete_backup_vault(name)
        self.vault_extras.pop(name, None)
        self.recovery_points.pop(name, None)

    def put_access_policy(self, name: str, policy: str | None) -> None:
        self.vault(name)
        self.extras(name).access_policy = policy

    def access_policy(self, name: str) -> str:
        self.vault(name)
        policy = self.extras(name).access_policy
        if policy is None:
            raise ResourceNotFound(f"Backup vault {name} has no access policy.")
        return policy

    # ---- recovery points ----------------------------------------------------------------------

    def vault_points(self, name: str) -> dict[str, RecoveryPoint]:
        self.vault(name)
        return self.recovery_points.setdefault(name, {})

    def recovery_point(self, vault_name: str, arn: str) -> RecoveryPoint:
        point = self.vault_points(vault_name).get(arn)
        if point is None:
            raise ResourceNotFound(f"Recovery point {arn} not found in backup vault {vault_name}.")
        return point

    def add_recovery_point(self, point: RecoveryPoint) -> RecoveryPoint:
        self.vault_points(point.vault_name)[point.arn] = point
        control().note_lifecycle(list(point.calculated_lifecycle().values()))
        return point

    def all_recovery_points(self) -> Iterator[RecoveryPoint]:
        for points in self.recovery_points.values():
            yield from list(points.values())

    def list_recovery_points(self, vault_name: str, filters: dict[str, Any]) -> list[RecoveryPoint]:
        points = sorted(
            self.vault_points(vault_name).values(), key=lambda p: (p.creation_date, p.arn)
        )
        return [p for p in points if _matches_point(p, filters)]

    def points_of_resource(self, resource_arn: str) -> list[RecoveryPoint]:
        points = [p for p in self.all_recovery_points() if p.resource_arn == resource_arn]
        return sorted(points, key=lambda p: (p.creation_date, p.arn))

    def update_lifecycle(
        self, vault_name: str, arn: str, lifecycle: dict[str, Any]
    ) -> RecoveryPoint:
        point = self.recovery_point(vault_name, arn)
        error = rules.lifecycle_error(lifecycle)
        if error:
            raise InvalidParameterValue(error)
        minimum, maximum = self.retention_range(vault_name)
        if rules.retention_failure(lifecycle.get("DeleteAfterDays"), minimum, maximum):
            # vault-lock.html: a locked vault refuses a retention outside its range.
            raise InvalidRequest(rules.COPY_RETENTION_OUT_OF_RANGE.replace("Copy job failed. ", ""))
        if point.storage_class == "COLD" and "MoveToColdStorageAfterDays" in lifecycle:
            # API_UpdateRecoveryPointLifecycle.html: cold transition cannot change once in cold.
            raise InvalidRequest(
                "Cannot change the cold storage transition of a cold recovery point."
            )
        point.lifecycle = dict(lifecycle)
        control().note_lifecycle(list(point.calculated_lifecycle().values()))
        return point

    def delete_recovery_point(self, vault_name: str, arn: str, now: datetime) -> None:
        point = self.recovery_point(vault_name, arn)
        minimum, _ = self.retention_range(vault_name)
        if minimum is not None and now < point.creation_date + timedelta(days=minimum):
            # vault-lock.html: a locked vault keeps recovery points for at least MinRetentionDays.
            raise InvalidRequest(
                f"Recovery point {arn} is protected by the vault lock of {vault_name}."
            )
        del self.vault_points(vault_name)[arn]

    # ---- resources and selections ---------------------------------------------------------------

    def register_resource(self, info: ResourceInfo) -> ResourceInfo:
        self.resources[info.arn] = info
        return info

    def resource(self, resource_arn: str) -> ResourceInfo:
        known = self.resources.get(resource_arn)
        if known:
            return known
        try:
            resource_type = arns.resource_type_of(resource_arn)
        except ValueError as error:
            raise InvalidParameterValue(str(error)) from None
        return ResourceInfo(resource_arn, resource_type, None)

    def create_selection(
        self, plan_id: str, body: dict[str, Any], request_id: str | None, now: datetime
    ) -> Selection:
        self.plan(plan_id)
        selection_id = arns.new_uuid(control().ids)
        selection = Selection(selection_id, plan_id, body, now, request_id)
        self.selections[selection_id] = selection
        return selection

    def selection(self, plan_id: str, selection_id: str) -> Selection:
        selection = self.selections.get(selection_id)
        if selection is None or selection.plan_id != plan_id:
            raise ResourceNotFound(f"Backup selection {selection_id} not found in plan {plan_id}.")
        return selection

    def plan_selections(self, plan_id: str) -> list[Selection]:
        self.plan(plan_id)
        return [s for s in self.selections.values() if s.plan_id == plan_id]

    def plan(self, plan_id: str) -> Any:
        plan = self.moto.plans.get(plan_id)
        if plan is None or plan.deletion_date is not None:
            raise ResourceNotFound(f"Backup plan {plan_id} not found.")
        return plan

    # ---- jobs ---------------------------------------------------------------------------------

    def backup_job(self, job_id: str) -> BackupJob:
        try:
            return self.backup_jobs[job_id]
        except KeyError:
            raise ResourceNotFound(f"Backup job {job_id} not found.") from None

    def copy_job(self, job_id: str) -> CopyJob:
        try:
            return self.copy_jobs[job_id]
        except KeyError:
            raise ResourceNotFound(f"Copy job {job_id} not found.") from None

    def remembered_job(
        self, token: str | None, request: tuple[Any, ...], now: datetime
    ) -> str | None:
        """API_StartCopyJob.html: a repeated call with the same IdempotencyToken does nothing."""
        if not token or token not in self.idempotency:
            return None
        job_id, first_request, first_seen = self.idempotency[token]
        window = timedelta(seconds=control().config.idempotency_window_seconds)
        if now - first_seen > window:
            return None
        if first_request != request:
            raise InvalidRequest(
                f"IdempotencyToken {token} was already used with other parameters."
            )
        return job_id

    def remember_job(
        self, token: str | None, request: tuple[Any, ...], job_id: str, now: datetime
    ) -> None:
        if token:
            self.idempotency[token] = (job_id, request, now)


def _check_lag_retention(minimum: int, maximum: int) -> None:
    # API_CreateLogicallyAirGappedBackupVault.html: MinRetentionDays is at least 7.
    if minimum < 7:
        raise InvalidParameterValue("MinRetentionDays must be at least 7 days.")
    if maximum > 36500:
        raise InvalidParameterValue("MaxRetentionDays cannot exceed 36500 days.")
    if minimum > maximum:
        raise InvalidParameterValue("MinRetentionDays cannot be greater than MaxRetentionDays.")


def _matches_point(point: RecoveryPoint, filters: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "ByResourceArn": lambda v: point.resource_arn == v,
        "ByResourceType": lambda v: point.resource_type == v,
        "ByBackupPlanId": lambda v: (point.created_by or {}).get("BackupPlanId") == v,
        "ByCreatedBefore": lambda v: point.creation_date < as_utc(v),
        "ByCreatedAfter": lambda v: point.creation_date > as_utc(v),
        "ByParentRecoveryPointArn": lambda v: point.parent_recovery_point_arn == v,
    }
    return all(checks[name](value) for name, value in filters.items() if name in checks)


emulator_backends = BackendDict(EmulatorBackend, "backup")


def backend_for(account: str, region: str) -> EmulatorBackend:
    return emulator_backends[account][region]


def all_backends() -> Iterator[EmulatorBackend]:
    for account_backends in list(emulator_backends.values()):
        yield from list(account_backends.values())
