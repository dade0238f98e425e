"""The service-key vaults' ARNs, derived by the template's naming rule, never typed by hand.

A stack named ``<Name>`` has ``<Name>-managed-key`` and, per service key it provisions,
``<Name>-svc-rds`` / ``<Name>-svc-ebs`` beside it; its dr stack (same Name) has ``<Name>-dr`` and
the same ``-svc-`` vaults in the DR Region. So the ARNs follow from MANAGED_VAULT_ARN and
DR_VAULT_ARN (docs/service-key-vaults.md, section 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from core.kernel.arns import parse_arn

MANAGED_VAULT_SUFFIX = "-managed-key"
DR_VAULT_SUFFIX = "-dr"
# The service (ServiceKeyVaults' items) → its AWS managed key, as the support matrix names it.
SERVICE_KEYS: Mapping[str, str] = {"rds": "aws/rds", "ebs": "aws/ebs"}


class ServiceKeyPlacement(StrEnum):
    SAME_REGION = "same-region"  # this Region first ([open]: verified), then the DR Region
    DR_REGION = "dr-region"  # the DR Region only (cross-Region copies are re-encrypted)


def sibling_vault_arn(vault_arn: str, suffix: str, service: str) -> str | None:
    """``<Name><suffix>`` → ``<Name>-svc-<service>`` in the same account and Region; None when
    the vault's name does not end in ``suffix`` (the naming rule does not apply)."""
    arn = parse_arn(vault_arn, field="vault")
    name = arn.resource_id
    if not name.endswith(suffix) or len(name) == len(suffix):
        return None
    base = name[: -len(suffix)]
    return (
        f"arn:{arn.partition}:backup:{arn.region}:{arn.account}:backup-vault:{base}-svc-{service}"
    )


def service_key_vault_arns(
    vault_arn: str, suffix: str, services: Iterable[str]
) -> dict[str, str] | None:
    """Service key (``aws/rds``) → its vault's ARN beside ``vault_arn``; None if the rule fails."""
    arns: dict[str, str] = {}
    for service in sorted(services):
        derived = sibling_vault_arn(vault_arn, suffix, service)
        if derived is None:
            return None
        arns[SERVICE_KEYS[service]] = derived
    return arns
