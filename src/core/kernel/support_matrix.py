"""The LAG-vault and copy support matrix, as data with its source and date.

The matrix changes several times a year, so it ships as ``support_matrix.json`` and an operator can
override any entry through configuration (``SUPPORT_MATRIX_OVERRIDES``) without a code change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from core.kernel.arns import is_backup_recovery_point_arn
from core.kernel.errors import ConfigError

# The value of ``service_key`` where AWS's pages do not name the owning service's managed key.
UNKNOWN_SERVICE_KEY = "unknown"
# kms-alias.html: the aliases of AWS managed keys "always have the form aws/<service-name>".
_SERVICE_KEY = re.compile(r"aws/[a-z0-9-]+")


@dataclass(frozen=True, slots=True)
class TypeSupport:
    lag: bool
    copyable: bool
    # whatisbackup.html#full-management: a fully managed type's copy takes the destination vault's
    # key, aws/backup included. None: the matrix does not know the type.
    fully_managed: bool | None = None
    # encryption.html#copy-encryption: a type that is not fully managed copies only under "a CMK or
    # the managed key of the service that owns the underlying resource" (aws/rds, aws/ebs...).
    # None where none is needed (fully managed); UNKNOWN_SERVICE_KEY where AWS does not name it.
    service_key: str | None = None
    copyable_requires_fully_managed: bool = False
    not_copyable_resource_markers: tuple[str, ...] = ()
    note: str = ""
    overridden: bool = False


# A type the matrix does not know: try a copy to the managed-key vault and let verification judge.
UNKNOWN_TYPE = TypeSupport(
    lag=False,
    copyable=True,
    fully_managed=None,
    service_key=UNKNOWN_SERVICE_KEY,
    note="not in the matrix",
)


@dataclass(frozen=True, slots=True)
class SupportMatrix:
    source: str
    as_of: str
    types: Mapping[str, TypeSupport] = field(default_factory=dict)
    fully_managed_source: str = ""
    service_key_source: str = ""

    def support(self, resource_type: str) -> TypeSupport:
        return self.types.get(resource_type, UNKNOWN_TYPE)

    def is_lag_capable(self, resource_type: str) -> bool:
        return self.support(resource_type).lag

    def service_key_alias(self, resource_type: str) -> str | None:
        """The KMS alias (``alias/aws/rds``) of the key a vault for this type needs, when known."""
        key = self.support(resource_type).service_key
        return None if key in (None, UNKNOWN_SERVICE_KEY) else f"alias/{key}"

    def copy_blocker(self, resource_type: str, resource_arn: str, recovery_point_arn: str) -> str:
        """Why this recovery point cannot be copied at all, or '' when it can."""
        support = self.support(resource_type)
        if not support.copyable:
            return f"{resource_type} recovery points cannot be copied"
        if support.copyable_requires_fully_managed and not is_backup_recovery_point_arn(
            recovery_point_arn
        ):
            return f"{resource_type} backups without advanced features cannot be copied"
        for marker in support.not_copyable_resource_markers:
            if marker in resource_arn:
                return f"{resource_type} resources like {resource_arn} cannot be copied"
        return ""

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> SupportMatrix:
        types = dict(self.types)
        for resource_type, changes in overrides.items():
            base = types.get(resource_type, UNKNOWN_TYPE)
            fully_managed = changes.get("fully_managed", base.fully_managed)
            types[resource_type] = replace(
                base,
                lag=bool(changes.get("lag", base.lag)),
                copyable=bool(changes.get("copyable", base.copyable)),
                fully_managed=None if fully_managed is None else bool(fully_managed),
                service_key=_service_key(changes.get("service_key", base.service_key)),
                overridden=True,
            )
        return replace(self, types=types)


def load_default_matrix() -> SupportMatrix:
    text = (
        resources.files("core.kernel").joinpath("support_matrix.json").read_text(encoding="utf-8")
    )
    return parse_matrix(json.loads(text))


def parse_matrix(document: Mapping[str, Any]) -> SupportMatrix:
    try:
        types = {
            name: TypeSupport(
                lag=bool(entry["lag"]),
                copyable=bool(entry["copyable"]),
                fully_managed=_fully_managed(entry["fully_managed"]),
                service_key=_service_key(entry["service_key"]),
                copyable_requires_fully_managed=bool(
                    entry.get("copyable_requires_fully_managed", False)
                ),
                not_copyable_resource_markers=tuple(entry.get("not_copyable_resource_markers", ())),
                note=str(entry.get("note", "")),
            )
            for name, entry in document["resource_types"].items()
        }
        return SupportMatrix(
            str(document["source"]),
            str(document["as_of"]),
            types,
            fully_managed_source=str(document["fully_managed_source"]),
            service_key_source=str(document["service_key_source"]),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ConfigError([f"support matrix is malformed: {error!r}"]) from error


def _fully_managed(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"fully_managed must be true or false, got {value!r}")
    return value


def _service_key(value: object) -> str | None:
    """An AWS managed key alias without its ``alias/`` prefix, "unknown", or None."""
    if value is None:
        return None
    if isinstance(value, str) and (value == UNKNOWN_SERVICE_KEY or _SERVICE_KEY.fullmatch(value)):
        return value
    raise ValueError(
        f"service_key must be aws/<service>, {UNKNOWN_SERVICE_KEY!r} or null, got {value!r}"
    )
