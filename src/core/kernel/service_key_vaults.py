"""The service-key vaults' ARNs, derived by the template's naming rule, never typed by hand.

A stack named ``<Name>`` has ``<Name>-managed-key`` and, per service key it provisions,
``<Name>-svc-rds`` / ``<Name>-svc-ebs`` beside it; its dr stack (same Name) has ``<Name>-dr`` and
the same ``-svc-`` vaults in the DR Region. So the ARNs follow from MANAGED_VAULT_ARN and
DR_VAULT_ARN (docs/service-key-vaults.md, section 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from core.kernel.arns import Arn, parse_arn

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


@dataclass(frozen=True, slots=True)
class DerivedVaults:
    """Service key -> vault ARN, in this Region and in the DR Region, and what was wrong."""

    same_region: dict[str, str] = field(default_factory=dict)
    dr_region: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def derive_service_key_vaults(
    home: Arn,
    managed_vault_arn: str,
    services: frozenset[str],
    placement: ServiceKeyPlacement,
    dr_vault_arn: str,
) -> DerivedVaults:
    """The vaults SERVICE_KEY_VAULTS asks for, by the naming rule, or the rule each input breaks."""
    problems: list[str] = []
    same: dict[str, str] | None = {}
    if placement is ServiceKeyPlacement.SAME_REGION:
        same = service_key_vault_arns(managed_vault_arn, MANAGED_VAULT_SUFFIX, services)
        if same is None:
            problems.append(
                f"MANAGED_VAULT_ARN's name must end in {MANAGED_VAULT_SUFFIX!r} to derive "
                f"the service-key vaults (rule: <Name>{MANAGED_VAULT_SUFFIX} -> "
                f"<Name>-svc-<service>), got {managed_vault_arn!r}"
            )
    dr = _dr_vaults(home, services, placement, dr_vault_arn, problems)
    return DerivedVaults(same or {}, dr or {}, problems)


def _dr_vaults(
    home: Arn,
    services: frozenset[str],
    placement: ServiceKeyPlacement,
    dr_vault_arn: str,
    problems: list[str],
) -> dict[str, str] | None:
    if not dr_vault_arn:
        if placement is ServiceKeyPlacement.DR_REGION:
            problems.append(
                "SERVICE_KEY_PLACEMENT=dr-region needs DR_VAULT_ARN "
                "(rule: the dr-region placement copies into the dr stack's vaults)"
            )
        return None
    dr = parse_arn(dr_vault_arn, field="DR_VAULT_ARN")
    if dr.account != home.account:
        # encryption.html#copy-encryption: cross-account copies of types AWS Backup does not
        # fully manage cannot use AWS managed keys, the service-key vaults' keys.
        problems.append(
            f"DR_VAULT_ARN must be in this stack's account {home.account} (rule: cross-account "
            f"copies under AWS managed keys are not supported), got {dr_vault_arn!r}"
        )
        return None
    derived = service_key_vault_arns(dr_vault_arn, DR_VAULT_SUFFIX, services)
    if derived is None:
        problems.append(
            f"DR_VAULT_ARN's name must end in {DR_VAULT_SUFFIX!r} (rule: <Name>-dr -> "
            f"<Name>-svc-<service>), got {dr_vault_arn!r}"
        )
    return derived
