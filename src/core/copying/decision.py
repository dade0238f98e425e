"""Where the copy decision is made: data in, a ``CopyDecision`` or a ``SkipDecision`` out, a reason
code for every outcome.

The live handler, the reconciler, the local demo and ``copyctl plan`` all call these functions.
Screening is split so that the common skips cost no AWS call:
1. ``screen_event`` — from the event alone (state, scope, loops, composite children);
2. ``screen_recovery_point`` — from the recovery point ARN and type (continuous, not copyable);
3. ``decide`` — with the one ``DescribeRecoveryPoint`` answer and the plan's LAG opt-in: first
   ``skip_from_facts`` (what the recovery point itself is), then ``decide_screened`` (its key, its
   destination). The use case calls the two itself, to look up the plan and the key only for a
   recovery point its facts do not skip.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from core.copying.lifecycle import copy_lifecycle
from core.kernel.arns import is_continuous_recovery_point_arn
from core.kernel.config import Destination, Settings
from core.kernel.copy_jobs import KeyManager
from core.kernel.models import (
    CopyDecision,
    Decision,
    Reason,
    RecoveryPointEvent,
    RecoveryPointFacts,
    SkipDecision,
    StartCopyJobRequest,
    StorageClass,
    Target,
)
from core.kernel.recovery_points import FINISHED_STATUSES
from core.kernel.service_key_vaults import ServiceKeyPlacement

_DELETE_AFTER_COPY = "DELETE_AFTER_COPY"
_TOKEN_NAMESPACE = uuid.UUID("6f1c0d1e-55a4-4c1e-9a55-1d0c0b5e2a77")


def screen_event(event: RecoveryPointEvent, settings: Settings) -> SkipDecision | None:
    """A skip decided from the event alone, or None when the event is in scope."""
    if event.state != "COMPLETED":
        return _skip(event, Reason.SKIP_NOT_COMPLETED, f"job state is {event.state}")
    if (event.account, event.region) != (settings.account_id, settings.region):
        return _skip(
            event,
            Reason.SKIP_OUT_OF_SCOPE,
            f"vault is in {event.account}/{event.region}, "
            f"not {settings.account_id}/{settings.region}",
        )
    if event.vault_arn in settings.destination_vault_arns:
        return _skip(event, Reason.SKIP_DESTINATION_VAULT, "destination vaults are never sources")
    if event.vault_name not in settings.source_vault_names:
        return _skip(event, Reason.SKIP_OUT_OF_SCOPE, f"vault {event.vault_name} is not a source")
    if event.parent_job_id:
        return _skip(
            event,
            Reason.SKIP_COMPOSITE_CHILD,
            f"child of composite job {event.parent_job_id}: copied with its parent",
        )
    return None


def screen_recovery_point(
    event: RecoveryPointEvent, recovery_point_arn: str, settings: Settings
) -> SkipDecision | None:
    """A skip decided from the recovery point ARN and resource type, with no AWS call."""
    if is_continuous_recovery_point_arn(recovery_point_arn):
        # "Does not support continuous backups" (API_StartCopyJob.html)
        return _skip(
            event,
            Reason.SKIP_CONTINUOUS,
            "continuous recovery points cannot be copied",
            recovery_point_arn,
        )
    blocker = settings.matrix.copy_blocker(
        event.resource_type, event.resource_arn, recovery_point_arn
    )
    if blocker:
        return _skip(event, Reason.SKIP_NOT_COPYABLE, blocker, recovery_point_arn)
    return None


def decide(
    event: RecoveryPointEvent,
    facts: RecoveryPointFacts,
    plan_uses_lag: bool,
    settings: Settings,
    attempt: int = 1,
    *,
    source_key_manager: KeyManager | None = None,
    lag_why: str | None = None,
) -> Decision:
    """The copy (with its exact StartCopyJob request) or the skip, for a screened recovery point.

    ``plan_uses_lag``: the recovery point follows the LAG opt-in
    (``core.kernel.lag_plans.lag_opt_in``: by its plan, or by its vault); ``lag_why`` names
    the rule that decided it, when not the plan.

    ``source_key_manager``: who manages the key the source recovery point is encrypted with, when
    known. Under an AWS-managed key (an EBS snapshot under aws/ebs, say) the recovery point does
    not depend on any customer key, and a LAG vault would refuse the copy anyway
    (lag-vault-primary-backup.html: the source must be CMK-encrypted or unencrypted).
    """
    return skip_from_facts(event, facts) or decide_screened(
        event,
        facts,
        plan_uses_lag,
        settings,
        attempt,
        source_key_manager=source_key_manager,
        lag_why=lag_why,
    )


def decide_screened(
    event: RecoveryPointEvent,
    facts: RecoveryPointFacts,
    plan_uses_lag: bool,
    settings: Settings,
    attempt: int = 1,
    *,
    source_key_manager: KeyManager | None = None,
    lag_why: str | None = None,
) -> Decision:
    """``decide`` once ``skip_from_facts`` found no skip: the source key's skip, or the copy.

    For the caller that screened the facts itself (``RecoveryPointCopier``, to spare a skipped
    recovery point the plan lookup and the DescribeKey): the facts are screened once per event.
    """
    if source_key_manager is KeyManager.AWS:
        return _skip(
            event,
            Reason.SKIP_SOURCE_KEY_INDEPENDENT,
            f"already encrypted under the AWS-managed key {facts.encryption_key_arn}",
            facts.arn,
        )
    route = choose_destination(event.resource_type, plan_uses_lag, settings, lag_why=lag_why)
    if isinstance(route, NoDestination):
        return _skip(event, route.reason, route.why, facts.arn)
    request = copy_request(
        event, facts, route.destination, route.target, settings=settings, attempt=attempt
    )
    return CopyDecision(
        route.reason, route.why, facts.arn, event.resource_type, route.target, request
    )


def copy_request(
    event: RecoveryPointEvent,
    facts: RecoveryPointFacts,
    destination: Destination,
    target: Target,
    *,
    settings: Settings,
    attempt: int,
) -> StartCopyJobRequest:
    """The exact StartCopyJob arguments of ``attempt`` to ``destination``."""
    return StartCopyJobRequest(
        RecoveryPointArn=facts.arn,
        SourceBackupVaultName=event.vault_name,
        DestinationBackupVaultArn=destination.vault_arn,
        IamRoleArn=settings.copy_role_arn,
        IdempotencyToken=idempotency_token(facts.arn, destination.vault_arn, attempt),
        Lifecycle=copy_lifecycle(facts, destination, target),
    )


@dataclass(frozen=True, slots=True)
class DestinationChoice:
    """Where a recovery point's copy goes, and why."""

    target: Target
    destination: Destination
    reason: Reason
    why: str


@dataclass(frozen=True, slots=True)
class NoDestination:
    """No destination can take the recovery point: a skip with what to deploy."""

    reason: Reason
    why: str


def choose_destination(
    resource_type: str, plan_uses_lag: bool, settings: Settings, *, lag_why: str | None = None
) -> DestinationChoice | NoDestination:
    """Override; LAG when opted in and capable; the managed-key vault for fully managed types
    (and types the matrix does not know: verification judges); else the service-key vault."""
    override = settings.destination_overrides.get(resource_type)
    if override is not None:
        return DestinationChoice(
            Target.OVERRIDE, override, Reason.COPY_TO_OVERRIDE, f"override for {resource_type}"
        )
    lag_capable = settings.matrix.is_lag_capable(resource_type)
    if plan_uses_lag and lag_capable:
        why = f"{lag_why or 'plan opts in'}; type is LAG-capable"
        return DestinationChoice(Target.LAG, settings.lag_vault, Reason.COPY_TO_LAG, why)
    no_lag = f"{resource_type} is not LAG-capable" if plan_uses_lag else None
    no_lag = no_lag or lag_why or "plan does not opt into LAG"
    if settings.matrix.support(resource_type).fully_managed is not False:
        return DestinationChoice(
            Target.MANAGED, settings.managed_vault, Reason.COPY_TO_MANAGED, no_lag
        )
    return service_key_route(resource_type, settings, no_lag)


def service_key_route(
    resource_type: str, settings: Settings, no_lag: str
) -> DestinationChoice | NoDestination:
    """A type AWS Backup does not fully manage copies only under "a CMK or the managed key of
    the service that owns the underlying resource", never aws/backup
    (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption)."""
    not_managed = f"{no_lag}; {resource_type} is not fully managed by AWS Backup"
    alias = settings.matrix.service_key_alias(resource_type)
    if alias is None:
        return NoDestination(
            Reason.SKIP_NO_SERVICE_KEY_VAULT,
            f"{not_managed} and the support matrix names no service key for it: set its "
            "service_key in SupportMatrixOverrides and deploy that service's vault",
        )
    key = alias.removeprefix("alias/")
    same_region = settings.service_key_vaults.get(key)
    if settings.service_key_placement is ServiceKeyPlacement.SAME_REGION and same_region:
        why = f"{not_managed}; copy under {key} in this Region"
        return DestinationChoice(Target.SERVICE_KEY, same_region, Reason.COPY_TO_SERVICE_KEY, why)
    dr_region = settings.dr_service_key_vaults.get(key)
    if dr_region is not None:
        why = f"{not_managed}; copy under {key} in the DR Region"
        return DestinationChoice(
            Target.DR_SERVICE_KEY, dr_region, Reason.COPY_TO_DR_SERVICE_KEY, why
        )
    return NoDestination(
        Reason.SKIP_NO_SERVICE_KEY_VAULT,
        f"{not_managed} and no vault under {key} is deployed: deploy with ServiceKeyVaults "
        f"including {key.removeprefix('aws/')}"
        + (" and a DrRegion" if not settings.dr_vault_arn else ""),
    )


def fallback_from_lag(
    event: RecoveryPointEvent, facts: RecoveryPointFacts, settings: Settings, attempt: int
) -> Decision:
    """The "optimistic copy": LAG refused this recovery point, so copy it where a recovery
    point outside the LAG opt-in would go (the managed-key or the service-key vault)."""
    decision = decide(event, facts, plan_uses_lag=False, settings=settings, attempt=attempt)
    if isinstance(decision, SkipDecision):
        return decision
    return replace(
        decision,
        explanation=f"LAG vault refused the copy; fallback: {decision.explanation}",
    )


def idempotency_token(recovery_point_arn: str, destination_vault_arn: str, attempt: int) -> str:
    """Deterministic per (recovery point, destination, attempt): redelivery cannot start a twin."""
    name = f"{recovery_point_arn}|{destination_vault_arn}|{attempt}"
    return str(uuid.uuid5(_TOKEN_NAMESPACE, name))


def skip_from_facts(event: RecoveryPointEvent, facts: RecoveryPointFacts) -> SkipDecision | None:
    """The skip a recovery point's own facts call for (status, storage class, ...), if any."""
    if facts.status not in FINISHED_STATUSES:
        return _skip(
            event, Reason.SKIP_NOT_AVAILABLE, f"recovery point is {facts.status}", facts.arn
        )
    if facts.storage_class is not StorageClass.WARM:
        # Recovery points in cold storage cannot be copied (API_StartCopyJob.html).
        return _skip(
            event,
            Reason.SKIP_COLD,
            f"recovery point is in {facts.storage_class} storage",
            facts.arn,
        )
    if facts.lifecycle.delete_after_event == _DELETE_AFTER_COPY:
        # Backup-to-LAG plan rules make a temporary recovery point and copy it themselves.
        return _skip(
            event,
            Reason.SKIP_NATIVE_LAG_TEMPORARY,
            "temporary recovery point of a backup-to-LAG rule: AWS copies it itself",
            facts.arn,
        )
    if facts.parent_recovery_point_arn:
        return _skip(
            event,
            Reason.SKIP_COMPOSITE_CHILD,
            f"member of composite {facts.parent_recovery_point_arn}: copied with its parent",
            facts.arn,
        )
    return None


def _skip(
    event: RecoveryPointEvent,
    reason: Reason,
    explanation: str,
    recovery_point_arn: str | None = None,
) -> SkipDecision:
    arn = recovery_point_arn or event.recovery_point_arn or f"job:{event.job_id}"
    return SkipDecision(reason, explanation, arn, event.resource_type)
