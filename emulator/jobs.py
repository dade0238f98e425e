"""Backup and copy jobs: how they are started, and what each step of their life does.

When a job may take a step (quotas, holds, the clock) is the scheduler's business, not this one's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulator import arns, kms, rules
from emulator.backend import EmulatorBackend, backend_for
from emulator.control import control
from emulator.errors import InvalidParameterValue, InvalidRequest
from emulator.events import publish_job_state
from emulator.models import LAG_VAULT, BackupJob, CopyJob, RecoveryPoint


def _duration(bounds: tuple[int, int]) -> timedelta:
    low, high = bounds
    return timedelta(seconds=control().durations.randint(low, high))


def _fail(job: BackupJob | CopyJob, message: str, now: datetime) -> None:
    job.state, job.status_message, job.completion_date = "FAILED", message, now
    _finished(job, now)


def _finished(job: BackupJob | CopyJob, now: datetime) -> None:
    control().active_jobs.finished(job)
    publish_job_state(job, now)


def _run(job: BackupJob | CopyJob, now: datetime) -> None:
    job.state, job.started_at = "RUNNING", now
    control().active_jobs.started(job)
    publish_job_state(job, now)


# ---- backup jobs -----------------------------------------------------------------------------


def start_backup_job(
    backend: EmulatorBackend,
    *,
    vault_name: str,
    resource_arn: str,
    iam_role_arn: str,
    lifecycle: dict[str, Any] | None,
    idempotency_token: str | None = None,
    created_by: dict[str, str] | None = None,
    copy_actions: list[dict[str, Any]] | None = None,
) -> BackupJob:
    state = control()
    now = state.clock.now()
    error = rules.lifecycle_error(lifecycle)
    if error:
        raise InvalidParameterValue(error)
    request = ("backup", vault_name, resource_arn, iam_role_arn, repr(lifecycle))
    remembered = backend.remembered_job(idempotency_token, request, now)
    if remembered:
        return backend.backup_job(remembered)
    backend.vault(vault_name)
    resource = backend.resource(resource_arn)
    advanced = state.config.dynamodb_advanced_features
    job = BackupJob(
        job_id=arns.new_uuid(state.ids),
        account=backend.account_id,
        region=backend.region_name,
        resource_arn=resource_arn,
        resource_type=resource.resource_type,
        iam_role_arn=iam_role_arn,
        creation_date=now,
        duration=_duration(state.config.backup_job_seconds),
        lifecycle=dict(lifecycle or {}),
        size_in_bytes=resource.size_in_bytes,
        created_by=created_by,
        vault_name=vault_name,
        vault_arn=arns.vault_arn(backend.region_name, backend.account_id, vault_name),
        vault_type=backend.extras(vault_name).vault_type,
        recovery_point_arn=arns.recovery_point_arn(
            resource.resource_type,
            resource_arn,
            region=backend.region_name,
            account=backend.account_id,
            rng=state.ids,
            dynamodb_advanced=advanced,
        ),
        plan_copy_actions=list(copy_actions or []),
    )
    backend.backup_jobs[job.job_id] = job
    state.active_jobs.add(job)
    backend.remember_job(idempotency_token, request, job.job_id, now)
    publish_job_state(job, now)
    return job


def begin_backup(job: BackupJob, now: datetime) -> None:
    backend = backend_for(job.account, job.region)
    if job.vault_name not in backend.moto.vaults:
        _fail(job, f"Backup job failed because backup vault {job.vault_arn} does not exist.", now)
        return
    minimum, maximum = backend.retention_range(job.vault_name)
    if rules.retention_failure(job.lifecycle.get("DeleteAfterDays"), minimum, maximum):
        _fail(job, rules.BACKUP_RETENTION_OUT_OF_RANGE, now)
        return
    _run(job, now)


def finish_backup(job: BackupJob, now: datetime) -> list[CopyJob]:
    """Complete (or fail) the job; return the copy jobs its plan rule's copy actions start."""
    state = control()
    rate = state.faults.backup_failure_rate
    if rate and state.fault_rolls.random() < rate:
        _fail(job, rules.TRANSIENT_BACKUP_FAILURE, now)
        return []
    backend = backend_for(job.account, job.region)
    backend.add_recovery_point(_backup_recovery_point(backend, job, now))
    job.state, job.completion_date = "COMPLETED", now
    _finished(job, now)
    copies = (_plan_copy(backend, job, action) for action in job.plan_copy_actions)
    return [copy for copy in copies if copy is not None]


def _backup_recovery_point(
    backend: EmulatorBackend, job: BackupJob, now: datetime
) -> RecoveryPoint:
    resource = backend.resource(job.resource_arn)
    fully_managed = rules.is_fully_managed(
        job.resource_type, dynamodb_advanced=control().config.dynamodb_advanced_features
    )
    # encryption.html: fully managed types take the vault's key; the others keep the resource's.
    key = backend.vault_key(job.vault_name)
    if not fully_managed and resource.encryption_key_arn:
        key = resource.encryption_key_arn
    job.encryption_key_arn = key
    return RecoveryPoint(
        arn=job.recovery_point_arn,
        vault_name=job.vault_name,
        vault_arn=job.vault_arn,
        vault_type=job.vault_type,
        resource_arn=job.resource_arn,
        resource_type=job.resource_type,
        creation_date=job.creation_date,
        completion_date=now,
        encryption_key_arn=key,
        encryption_key_type=rules.CUSTOMER_MANAGED,
        lifecycle=dict(job.lifecycle),
        iam_role_arn=job.iam_role_arn,
        created_by=job.created_by,
        size_in_bytes=job.size_in_bytes,
        fully_managed=fully_managed,
    )


def _plan_copy(backend: EmulatorBackend, job: BackupJob, action: dict[str, Any]) -> CopyJob | None:
    """The copy a plan rule's copy action starts; None for a recovery point AWS does not copy
    (DynamoDB without advanced features, say: recov-point-create-a-copy.html). AWS does not
    document what a plan's copy action does with one: here it starts no job."""
    try:
        return start_copy_job(
            backend,
            recovery_point_arn=job.recovery_point_arn,
            source_vault_name=job.vault_name,
            destination_vault_arn=action["DestinationBackupVaultArn"],
            iam_role_arn=job.iam_role_arn,
            lifecycle=action.get("Lifecycle"),
            created_by=job.created_by,
            created_by_backup_job_id=job.job_id,
        )
    except InvalidRequest:
        return None


# ---- copy jobs -------------------------------------------------------------------------------


def start_copy_job(
    backend: EmulatorBackend,
    *,
    recovery_point_arn: str,
    source_vault_name: str,
    destination_vault_arn: str,
    iam_role_arn: str,
    lifecycle: dict[str, Any] | None,
    idempotency_token: str | None = None,
    created_by: dict[str, str] | None = None,
    created_by_backup_job_id: str | None = None,
) -> CopyJob:
    state = control()
    now = state.clock.now()
    request = (
        recovery_point_arn,
        source_vault_name,
        destination_vault_arn,
        iam_role_arn,
        repr(lifecycle),
    )
    remembered = backend.remembered_job(idempotency_token, request, now)
    if remembered:
        return backend.copy_job(remembered)
    point = backend.recovery_point(source_vault_name, recovery_point_arn)
    _validate_copy_request(point, destination_vault_arn, lifecycle)
    job = CopyJob(
        job_id=arns.new_uuid(state.ids).upper(),
        account=backend.account_id,
        region=backend.region_name,
        resource_arn=point.resource_arn,
        resource_type=point.resource_type,
        iam_role_arn=iam_role_arn,
        creation_date=now,
        duration=_duration(state.config.copy_job_seconds),
        lifecycle=dict(lifecycle or {}),
        size_in_bytes=point.size_in_bytes,
        created_by=created_by,
        source_vault_arn=point.vault_arn,
        source_recovery_point_arn=point.arn,
        destination_vault_arn=destination_vault_arn,
        destination_vault_type=_vault_type_at(destination_vault_arn),
        fully_managed=point.fully_managed,
        created_by_backup_job_id=created_by_backup_job_id,
    )
    backend.copy_jobs[job.job_id] = job
    state.active_jobs.add(job)
    backend.remember_job(idempotency_token, request, job.job_id, now)
    publish_job_state(job, now)
    return job


def _validate_copy_request(
    point: RecoveryPoint, destination_vault_arn: str, lifecycle: dict[str, Any] | None
) -> None:
    try:
        parsed = arns.parse(destination_vault_arn)
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid DestinationBackupVaultArn: {destination_vault_arn}"
        ) from None
    if parsed.service != "backup" or not parsed.resource.startswith("backup-vault:"):
        raise InvalidParameterValue(f"Invalid DestinationBackupVaultArn: {destination_vault_arn}")
    error = rules.lifecycle_error(lifecycle)
    if error:
        raise InvalidParameterValue(error)
    rejection = rules.copy_request_rejection(_copy_source(point))
    if rejection:
        raise InvalidRequest(rejection)


def _copy_source(point: RecoveryPoint) -> rules.CopySource:
    return rules.CopySource(
        resource_type=point.resource_type,
        resource_arn=point.resource_arn,
        recovery_point_arn=point.arn,
        fully_managed=point.fully_managed,
        continuous=arns.is_continuous(point.arn),
        storage_class=point.storage_class,
        status=point.status,
        encryption_key_arn=point.encryption_key_arn,
        key_manager=kms.key_manager(point.encryption_key_arn),
    )


def _destination(vault_arn: str) -> tuple[EmulatorBackend, str] | None:
    parsed = arns.parse(vault_arn)
    backend = backend_for(parsed.account, parsed.region)
    name = arns.vault_name(vault_arn)
    return (backend, name) if name in backend.moto.vaults else None


def _vault_type_at(vault_arn: str) -> str:
    found = _destination(vault_arn)
    return found[0].extras(found[1]).vault_type if found else "BACKUP_VAULT"


def _copy_target(backend: EmulatorBackend, name: str) -> rules.CopyTarget:
    extras = backend.extras(name)
    is_lag = extras.vault_type == LAG_VAULT
    key = backend.vault_key(name)
    own_key = extras.encryption_key_arn if is_lag else key
    minimum, maximum = backend.retention_range(name)
    return rules.CopyTarget(
        vault_arn=arns.vault_arn(backend.region_name, backend.account_id, name),
        is_lag=is_lag,
        encryption_key_arn=key,
        key_manager=kms.key_manager(own_key) if own_key else None,
        key_alias=kms.key_alias(own_key),
        min_retention_days=minimum,
        max_retention_days=maximum,
    )


def _source_point(job: CopyJob) -> RecoveryPoint | None:
    backend = backend_for(job.account, job.region)
    vault_name = arns.vault_name(job.source_vault_arn)
    return backend.recovery_points.get(vault_name, {}).get(job.source_recovery_point_arn)


def begin_copy(job: CopyJob, now: datetime) -> None:
    """CREATED → RUNNING, or FAILED when the destination refuses the copy."""
    point = _source_point(job)
    destination = _destination(job.destination_vault_arn)
    if point is None:
        _fail(
            job,
            f"Copy job failed because recovery point {job.source_recovery_point_arn} is gone.",
            now,
        )
        return
    if destination is None:
        _fail(
            job,
            f"Copy job failed because backup vault {job.destination_vault_arn} does not exist.",
            now,
        )
        return
    failure, outcome = _copy_outcome(point, job, *destination)
    if failure:
        _fail(job, failure, now)
        return
    job.destination_key_arn, job.destination_key_type = outcome.key_arn, outcome.key_type
    _run(job, now)


def _copy_outcome(
    point: RecoveryPoint, job: CopyJob, backend: EmulatorBackend, name: str
) -> tuple[str | None, rules.KeyOutcome]:
    config = control().config
    source, target = _copy_source(point), _copy_target(backend, name)
    failure = (
        rules.lag_failure(source, frozenset(config.lag_capable_types)) if target.is_lag else None
    )
    if not failure and rules.retention_failure(
        job.lifecycle.get("DeleteAfterDays"), target.min_retention_days, target.max_retention_days
    ):
        failure = rules.COPY_RETENTION_OUT_OF_RANGE
    outcome = rules.destination_key(
        source,
        target,
        aws_owned_key_arn=kms.aws_owned_key_arn(backend.region_name),
        policy=config.managed_vault_policy,
        service_key_policy=config.service_key_vault_policy,
        cross_region=job.region != backend.region_name,
    )
    return failure or outcome.failure, outcome


def finish_copy(job: CopyJob, now: datetime) -> None:
    """RUNNING → COMPLETED (the copy appears in the destination vault) or FAILED."""
    state = control()
    rate = state.faults.copy_failure_rate
    point = _source_point(job)
    destination = _destination(job.destination_vault_arn)
    if (rate and state.fault_rolls.random() < rate) or point is None or destination is None:
        _fail(job, rules.TRANSIENT_COPY_FAILURE, now)
        return
    copy = _copy_recovery_point(point, job, *destination, now)
    destination[0].add_recovery_point(copy)
    if state.config.aws_owned_key_in_kms and copy.encryption_key_type == rules.AWS_OWNED:
        kms.expose_aws_owned_key(destination[0].account_id, destination[0].region_name)
    job.destination_recovery_point_arn = copy.arn
    job.state, job.completion_date = "COMPLETED", now
    _finished(job, now)


def _copy_recovery_point(
    point: RecoveryPoint, job: CopyJob, backend: EmulatorBackend, name: str, now: datetime
) -> RecoveryPoint:
    vault_type = backend.extras(name).vault_type
    region, account, ids = backend.region_name, backend.account_id, control().ids
    if vault_type == LAG_VAULT or point.fully_managed:
        # Recovery points in a LAG vault sit in AWS Backup's own account: Backup-namespace ARNs.
        arn = arns.backup_recovery_point_arn(region, account, ids)
    else:
        arn = arns.recovery_point_arn(
            point.resource_type,
            point.resource_arn,
            region=region,
            account=account,
            rng=ids,
            dynamodb_advanced=False,
        )
    return RecoveryPoint(
        arn=arn,
        vault_name=name,
        vault_arn=arns.vault_arn(region, account, name),
        vault_type=vault_type,
        resource_arn=point.resource_arn,
        resource_type=point.resource_type,
        # API_Lifecycle.html: a copy keeps the source's creation date; retention counts from it.
        creation_date=point.creation_date,
        completion_date=now,
        encryption_key_arn=job.destination_key_arn,
        encryption_key_type=job.destination_key_type,
        lifecycle=dict(job.lifecycle),
        iam_role_arn=job.iam_role_arn,
        created_by=job.created_by,
        source_backup_vault_arn=job.source_vault_arn,
        size_in_bytes=point.size_in_bytes,
        fully_managed=point.fully_managed,
    )
