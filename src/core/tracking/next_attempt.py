"""The next attempt of a failed copy: same destination, a new attempt number, maybe a new lifecycle.

A retry keeps the destination of the attempt that failed (the ledger entry is keyed by it), and
re-screens the source first: a recovery point that has since gone cold or been deleted cannot be
copied any more, whatever the reason of the failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.copying.decision import copy_request, skip_from_facts
from core.kernel.config import Destination, Settings
from core.kernel.copy_jobs import VaultRetention
from core.kernel.models import (
    CopyDecision,
    Decision,
    Reason,
    RecoveryPointEvent,
    RecoveryPointFacts,
    Target,
)

_REASONS = {
    Target.LAG: Reason.COPY_TO_LAG,
    Target.MANAGED: Reason.COPY_TO_MANAGED,
    Target.OVERRIDE: Reason.COPY_TO_OVERRIDE,
    Target.SERVICE_KEY: Reason.COPY_TO_SERVICE_KEY,
    Target.DR_SERVICE_KEY: Reason.COPY_TO_DR_SERVICE_KEY,
}


# The ledger reason of a key-dependent copy whose recovery point went on to the next placement.
FALLBACK_AFTER_KEY_DEPENDENT = "fallback-after-key-dependent"


@dataclass(frozen=True, slots=True)
class Route:
    """A destination the orchestrator copies to, and which kind of target it is."""

    target: Target
    destination: Destination


def route_for_vault(vault_arn: str, settings: Settings) -> Route | None:
    """The configured destination with this ARN, or None when the vault is not a destination."""
    if vault_arn == settings.lag_vault.vault_arn:
        return Route(Target.LAG, settings.lag_vault)
    if vault_arn == settings.managed_vault.vault_arn:
        return Route(Target.MANAGED, settings.managed_vault)
    others = (
        (Target.OVERRIDE, settings.destination_overrides),
        (Target.SERVICE_KEY, settings.service_key_vaults),
        (Target.DR_SERVICE_KEY, settings.dr_service_key_vaults),
    )
    for target, destinations in others:
        for destination in destinations.values():
            if vault_arn == destination.vault_arn:
                return Route(target, destination)
    return None


def with_live_retention(route: Route, live: VaultRetention) -> Route:
    """The route with the retention range the vault really enforces (DescribeBackupVault)."""
    destination = Destination(
        route.destination.vault_arn,
        live.min_days if live.min_days is not None else route.destination.min_retention_days,
        live.max_days,
    )
    return Route(route.target, destination)


def retry_decision(
    source: RecoveryPointEvent,
    facts: RecoveryPointFacts,
    route: Route,
    settings: Settings,
    *,
    attempt: int,
    why: str,
) -> Decision:
    """The copy request of ``attempt`` to ``route``, or the skip that now applies to the source."""
    skipped = skip_from_facts(source, facts)
    if skipped is not None:
        return skipped
    request = copy_request(
        source, facts, route.destination, route.target, settings=settings, attempt=attempt
    )
    return CopyDecision(
        _REASONS[route.target], why, facts.arn, source.resource_type, route.target, request
    )


def next_placement(route: Route, settings: Settings) -> Route | None:
    """Where a key-dependent copy's recovery point goes next: from a same-Region service-key
    vault (whose copy kept the source's customer managed key, which AWS does not rule out) to the
    DR Region's vault under the same service key, where the copy is re-encrypted with the
    destination key (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption).
    None when no placement is left."""
    if route.target is not Target.SERVICE_KEY:
        return None
    dr_vault = settings.dr_service_key_vault_for(route.destination.vault_arn)
    return None if dr_vault is None else Route(Target.DR_SERVICE_KEY, dr_vault)


def key_dependent_fallback(
    source: RecoveryPointEvent, facts: RecoveryPointFacts, placement: Route, settings: Settings
) -> Decision:
    """The copy to ``placement`` (``next_placement``) of a recovery point whose copy was found
    key-dependent."""
    why = f"{FALLBACK_AFTER_KEY_DEPENDENT}: the copy in this Region kept a customer managed key"
    return retry_decision(source, facts, placement, settings, attempt=1, why=why)
