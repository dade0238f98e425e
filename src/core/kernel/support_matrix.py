"""The LAG-vault and copy support matrix, as data with its source and date.

The matrix changes several times a year, so it ships as ``support_matrix.json`` and an operator can
override any entry through configuration (``SUPPORT_MATRIX_OVERRIDES``) without a code change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from core.kernel.arns import is_backup_recovery_point_arn
from core.kernel.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TypeSupport:
    lag: bool
    copyable: bool
    copyable_requires_fully_managed: bool = False
    not_copyable_resource_markers: tuple[str, ...] = ()
    note: str = ""
    overridden: bool = False


# A type the matrix does not know: try a copy to the managed-key vault and let verification judge.
UNKNOWN_TYPE = TypeSupport(lag=False, copyable=True, note="not in the matrix")


@dataclass(frozen=True, slots=True)
class SupportMatrix:
    source: str
    as_of: str
    types: Mapping[str, TypeSupport] = field(default_factory=dict)

    def support(self, resource_type: str) -> TypeSupport:
        return self.types.get(resource_type, UNKNOWN_TYPE)

    def is_lag_capable(self, resource_type: str) -> bool:
        return self.support(resource_type).lag

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
            types[resource_type] = replace(
                base,
                lag=bool(changes.get("lag", base.lag)),
                copyable=bool(changes.get("copyable", base.copyable)),
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
                copyable_requires_fully_managed=bool(
                    entry.get("copyable_requires_fully_managed", False)
                ),
                not_copyable_resource_markers=tuple(entry.get("not_copyable_resource_markers", ())),
                note=str(entry.get("note", "")),
            )
            for name, entry in document["resource_types"].items()
        }
        return SupportMatrix(str(document["source"]), str(document["as_of"]), types)
    except (KeyError, TypeError, AttributeError) as error:
        raise ConfigError([f"support matrix is malformed: {error!r}"]) from error
