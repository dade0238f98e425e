"""Settings parsed and validated once at cold start (a bad config fails loudly, not at 3 a.m.)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.kernel.arns import Arn, parse_arn, vault_name_from_arn
from core.kernel.errors import ConfigError, OrchestratorError
from core.kernel.retry_delay import (
    DEFAULT_BASE_DELAY_SECONDS,
    DEFAULT_MAX_DELAY_SECONDS,
    MAX_DELAY_SECONDS,
)
from core.kernel.service_key_vaults import (
    SERVICE_KEYS,
    ServiceKeyPlacement,
    derive_service_key_vaults,
)
from core.kernel.support_matrix import SupportMatrix, load_default_matrix

# The longest retention AWS Backup accepts (vault lock MaxRetentionDays, about 100 years).
FOREVER_DAYS = 36500
LAG_MINIMUM_RETENTION_DAYS = 7
# A copy job may sit in CREATED for up to 2 hours while AWS retries system errors
# (recov-point-create-a-copy.html, "Copy job retry"); stuck means well past that.
DEFAULT_STUCK_AFTER_MINUTES = 240

# What SUPPORT_MATRIX_OVERRIDES may change per resource type (support_matrix.json's columns).
_MATRIX_OVERRIDE_FIELDS = frozenset({"lag", "copyable", "fully_managed", "service_key"})


@dataclass(frozen=True, slots=True)
class Destination:
    vault_arn: str
    min_retention_days: int
    max_retention_days: int | None  # None: the vault sets no upper bound

    @property
    def vault_name(self) -> str:
        return parse_arn(self.vault_arn, field="vault").resource_id


@dataclass(frozen=True, slots=True)
class LagPlanSelector:
    plan_ids: frozenset[str] = frozenset()
    plan_names: frozenset[str] = frozenset()
    tag: tuple[str, str] | None = None

    @property
    def needs_plan_lookup(self) -> bool:
        return bool(self.plan_names) or self.tag is not None


@dataclass(frozen=True, slots=True)
class Settings:
    account_id: str
    region: str
    source_vault_names: frozenset[str]
    lag_vault: Destination
    managed_vault: Destination
    copy_role_arn: str
    lag_plans: LagPlanSelector
    destination_overrides: Mapping[str, Destination]
    matrix: SupportMatrix
    # Source vaults whose every recovery point follows the LAG opt-in, whatever its plan: the DR
    # vault, whose recovery points carry plan ids of the primary Region
    # (core.kernel.lag_plans.lag_opt_in).
    lag_source_vault_names: frozenset[str] = frozenset()
    ledger_table_name: str = ""
    parking_queue_url: str = ""
    alert_topic_arn: str = ""
    max_copy_attempts: int = 4
    stuck_after_minutes: int = DEFAULT_STUCK_AFTER_MINUTES
    retry_base_delay_seconds: int = DEFAULT_BASE_DELAY_SECONDS  # core.kernel.retry_delay
    retry_max_delay_seconds: int = DEFAULT_MAX_DELAY_SECONDS
    service_key_placement: ServiceKeyPlacement = ServiceKeyPlacement.SAME_REGION
    # AWS managed key ("aws/rds") -> the vault under it, in this Region and in the DR Region
    # (core.kernel.service_key_vaults); a key without a vault has no entry.
    service_key_vaults: Mapping[str, Destination] = field(default_factory=dict)
    dr_service_key_vaults: Mapping[str, Destination] = field(default_factory=dict)
    dr_vault_arn: str = ""  # empty: no DR Region

    @property
    def destination_vault_arns(self) -> frozenset[str]:
        others = [
            *self.destination_overrides.values(),
            *self.service_key_vaults.values(),
            *self.dr_service_key_vaults.values(),
        ]
        own = {self.lag_vault.vault_arn, self.managed_vault.vault_arn}
        return frozenset(own | {destination.vault_arn for destination in others})

    def dr_service_key_vault_for(self, vault_arn: str) -> Destination | None:
        """The DR Region's vault under the same service key as this Region's ``vault_arn``."""
        for service_key, destination in self.service_key_vaults.items():
            if destination.vault_arn == vault_arn:
                return self.dr_service_key_vaults.get(service_key)
        return None


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build ``Settings`` from the function's environment, reporting every problem at once."""
    reader = _Reader(env)
    lag_vault = reader.destination("LAG_VAULT", minimum_floor=LAG_MINIMUM_RETENTION_DAYS)
    managed_vault = reader.destination("MANAGED_VAULT", minimum_floor=1)
    copy_role_arn = reader.arn("COPY_ROLE_ARN", service="iam")
    sources = reader.csv("SOURCE_VAULT_NAMES", required=True)
    overrides = reader.overrides("DESTINATION_OVERRIDES")
    matrix = reader.matrix("SUPPORT_MATRIX_OVERRIDES")
    lag_plans = LagPlanSelector(
        plan_ids=reader.csv("LAG_PLAN_IDS"),
        plan_names=reader.csv("LAG_PLAN_NAMES"),
        tag=reader.tag("LAG_PLAN_TAG"),
    )
    lag_sources = reader.csv("LAG_SOURCE_VAULT_NAMES")
    if sources and (strangers := sorted(lag_sources - sources)):
        reader.problems.append(
            f"LAG_SOURCE_VAULT_NAMES names vaults that are not sources: {strangers}"
        )
    max_attempts = reader.integer("MAX_COPY_ATTEMPTS", default=4, minimum=1)
    stuck_after = reader.integer(
        "STUCK_AFTER_MINUTES", default=DEFAULT_STUCK_AFTER_MINUTES, minimum=1
    )
    alert_topic_arn = reader.optional_arn("ALERT_TOPIC_ARN", service="sns")
    base_delay, max_delay = reader.retry_delays()
    services = reader.services("SERVICE_KEY_VAULTS")
    placement = reader.placement("SERVICE_KEY_PLACEMENT")
    dr_vault_arn = reader.text("DR_VAULT_ARN", required=False)
    if reader.problems or lag_vault is None or managed_vault is None or matrix is None:
        raise ConfigError(reader.problems)
    home = parse_arn(lag_vault.vault_arn, field="LAG_VAULT_ARN")
    reader.require_home(home, managed_vault, overrides)
    same_region, dr_region = reader.service_key_vaults(
        home, managed_vault, services, placement, dr_vault_arn
    )
    destination_names = {lag_vault.vault_name, managed_vault.vault_name}
    destination_names |= {destination.vault_name for destination in overrides.values()}
    destination_names |= {destination.vault_name for destination in same_region.values()}
    if looped := sorted(sources & destination_names):
        reader.problems.append(f"destination vaults cannot also be sources: {looped}")
    if reader.problems:
        raise ConfigError(reader.problems)
    return Settings(
        account_id=home.account,
        region=home.region,
        source_vault_names=sources,
        lag_vault=lag_vault,
        managed_vault=managed_vault,
        copy_role_arn=copy_role_arn,
        lag_plans=lag_plans,
        destination_overrides=overrides,
        matrix=matrix,
        lag_source_vault_names=lag_sources,
        ledger_table_name=env.get("LEDGER_TABLE_NAME", ""),
        parking_queue_url=env.get("PARKING_QUEUE_URL", ""),
        alert_topic_arn=alert_topic_arn,
        max_copy_attempts=max_attempts,
        stuck_after_minutes=stuck_after,
        retry_base_delay_seconds=base_delay,
        retry_max_delay_seconds=max_delay,
        service_key_placement=placement,
        service_key_vaults=same_region,
        dr_service_key_vaults=dr_region,
        dr_vault_arn=dr_vault_arn,
    )


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.env.get(name, "").strip()
        if required and not value:
            self.problems.append(f"{name} is required")
        return value

    def csv(self, name: str, *, required: bool = False) -> frozenset[str]:
        raw = self.text(name, required=required)
        items = frozenset(part.strip() for part in raw.split(",")) - {""}
        if required and raw and not items:
            self.problems.append(f"{name} is required")
        return items

    def integer(self, name: str, *, default: int, minimum: int) -> int:
        raw = self.text(name, required=False)
        if not raw:
            return default
        if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
            self.problems.append(f"{name} must be an integer ≥ {minimum}, got {raw!r}")
            return default
        return int(raw)

    def retry_delays(self) -> tuple[int, int]:
        """The backoff of transient copy failures: (first delay, longest delay) in seconds."""
        base = self.integer(
            "COPY_RETRY_BASE_DELAY_SECONDS", default=DEFAULT_BASE_DELAY_SECONDS, minimum=1
        )
        cap = self.integer(
            "COPY_RETRY_MAX_DELAY_SECONDS", default=DEFAULT_MAX_DELAY_SECONDS, minimum=1
        )
        if cap > MAX_DELAY_SECONDS:
            self.problems.append(
                f"COPY_RETRY_MAX_DELAY_SECONDS must be at most {MAX_DELAY_SECONDS} "
                f"(SQS hides a message for 12 hours at most), got {cap}"
            )
        if base > cap:
            self.problems.append(
                f"COPY_RETRY_BASE_DELAY_SECONDS ({base}) is above "
                f"COPY_RETRY_MAX_DELAY_SECONDS ({cap})"
            )
        return base, cap

    def arn(self, name: str, *, service: str) -> str:
        value = self.text(name)
        if value:
            try:
                if parse_arn(value, field=name).service != service:
                    self.problems.append(f"{name} is not an {service} ARN: {value!r}")
            except OrchestratorError as error:
                self.problems.append(error.message)
        return value

    def optional_arn(self, name: str, *, service: str) -> str:
        return self.arn(name, service=service) if self.text(name, required=False) else ""

    def destination(self, prefix: str, *, minimum_floor: int) -> Destination | None:
        vault_arn = self.text(f"{prefix}_ARN")
        if vault_arn and not self._is_vault_arn(f"{prefix}_ARN", vault_arn):
            return None
        low = self.integer(f"{prefix}_MIN_RETENTION_DAYS", default=minimum_floor, minimum=0)
        high = self.integer(f"{prefix}_MAX_RETENTION_DAYS", default=0, minimum=0)
        return self._destination(prefix, vault_arn, low, high, minimum_floor)

    def _destination(
        self, label: str, vault_arn: str, low: int, high: int, minimum_floor: int
    ) -> Destination | None:
        low = max(low, minimum_floor)
        if high and high < low:
            self.problems.append(f"{label}: max retention {high} is below min retention {low}")
        return Destination(vault_arn, low, high or None) if vault_arn else None

    def overrides(self, name: str) -> dict[str, Destination]:
        document = self._json_object(name)
        result: dict[str, Destination] = {}
        for resource_type, entry in document.items():
            spec = {"vault_arn": entry} if isinstance(entry, str) else entry
            if not isinstance(spec, Mapping) or not isinstance(spec.get("vault_arn"), str):
                self.problems.append(f"{name}[{resource_type!r}] needs a vault_arn")
                continue
            label = f"{name}[{resource_type!r}]"
            low = self._days(f"{label}.min_days", spec.get("min_days", 1))
            high = self._days(f"{label}.max_days", spec.get("max_days", 0))
            if not self._is_vault_arn(f"{label}.vault_arn", spec["vault_arn"]):
                continue
            if low is None or high is None:
                continue
            if destination := self._destination(label, spec["vault_arn"], low, high, 1):
                result[resource_type] = destination
        return result

    def _days(self, label: str, value: object) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problems.append(f"{label} must be a whole number of days ≥ 0, got {value!r}")
            return None
        return value

    def _is_vault_arn(self, label: str, value: str) -> bool:
        try:
            vault_name_from_arn(value, field=label)
        except OrchestratorError as error:
            self.problems.append(error.message)
            return False
        return True

    def matrix(self, name: str) -> SupportMatrix | None:
        overrides = self._json_object(name)
        for resource_type, entry in overrides.items():
            if not isinstance(entry, Mapping) or not set(entry) <= _MATRIX_OVERRIDE_FIELDS:
                self.problems.append(
                    f"{name}[{resource_type!r}] may set only {sorted(_MATRIX_OVERRIDE_FIELDS)}"
                )
                return None
            flags = {key: value for key, value in entry.items() if key != "service_key"}
            if not all(isinstance(value, bool) for value in flags.values()):
                self.problems.append(f"{name}[{resource_type!r}]: flags must be true or false")
                return None
        try:
            return load_default_matrix().with_overrides(overrides)
        except ConfigError as error:
            self.problems.extend(error.problems)
            return None
        except ValueError as error:
            self.problems.append(f"{name}: {error}")
            return None

    def tag(self, name: str) -> tuple[str, str] | None:
        raw = self.text(name, required=False)
        if not raw:
            return None
        key, separator, value = raw.partition("=")
        if not separator or not key.strip():
            self.problems.append(f"{name} must look like key=value, got {raw!r}")
            return None
        return key.strip(), value.strip()

    def require_home(
        self, home: Arn, managed: Destination, overrides: Mapping[str, Destination]
    ) -> None:
        """Every destination lives in the stack's own account and Region."""
        for destination in (managed, *overrides.values()):
            arn = parse_arn(destination.vault_arn, field="vault")
            if (arn.account, arn.region) != (home.account, home.region):
                self.problems.append(
                    f"{destination.vault_arn} is not in account {home.account}, "
                    f"Region {home.region}"
                )

    def services(self, name: str) -> frozenset[str]:
        """ServiceKeyVaults' items (``rds,ebs``); ``none`` or empty: no service-key vault."""
        services = self.csv(name) - {"none"}
        if unknown := sorted(services - set(SERVICE_KEYS)):
            self.problems.append(
                f"{name} names services without a known AWS managed key: {unknown} "
                f"(rule: one of {sorted(SERVICE_KEYS)})"
            )
            return frozenset()
        return services

    def placement(self, name: str) -> ServiceKeyPlacement:
        raw = self.text(name, required=False) or ServiceKeyPlacement.SAME_REGION.value
        try:
            return ServiceKeyPlacement(raw)
        except ValueError:
            choices = [placement.value for placement in ServiceKeyPlacement]
            self.problems.append(f"{name} must be one of {choices}, got {raw!r}")
            return ServiceKeyPlacement.SAME_REGION

    def service_key_vaults(
        self,
        home: Arn,
        managed: Destination,
        services: frozenset[str],
        placement: ServiceKeyPlacement,
        dr_vault_arn: str,
    ) -> tuple[dict[str, Destination], dict[str, Destination]]:
        """This Region's and the DR Region's service-key vaults, by the naming rule. They share
        the managed-key vault's policy and Vault Lock (template.yaml), so its retention range."""
        if dr_vault_arn and not self._is_vault_arn("DR_VAULT_ARN", dr_vault_arn):
            dr_vault_arn = ""
            placement = ServiceKeyPlacement.SAME_REGION  # reported above; no second problem
        derived = derive_service_key_vaults(
            home, managed.vault_arn, services, placement, dr_vault_arn
        )
        self.problems.extend(derived.problems)
        low, high = managed.min_retention_days, managed.max_retention_days

        def vaults(arns: dict[str, str]) -> dict[str, Destination]:
            return {key: Destination(arn, low, high) for key, arn in arns.items()}

        return vaults(derived.same_region), vaults(derived.dr_region)

    def _json_object(self, name: str) -> dict[str, Any]:
        raw = self.text(name, required=False) or "{}"
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as error:
            self.problems.append(f"{name} is not valid JSON: {error.msg}")
            return {}
        if not isinstance(document, dict):
            self.problems.append(f"{name} must be a JSON object")
            return {}
        return document
