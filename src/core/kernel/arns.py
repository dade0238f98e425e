"""ARN parsing for the few ARN shapes the orchestrator reads."""

from __future__ import annotations

from dataclasses import dataclass

from core.kernel.errors import InvalidEventError

_ARN_PARTS = 6


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        return self.resource.split(":", 1)[0].split("/", 1)[0]

    @property
    def resource_id(self) -> str:
        for separator in (":", "/"):
            if separator in self.resource:
                return self.resource.split(separator, 1)[1]
        return self.resource


def parse_arn(value: object, *, field: str) -> Arn:
    if not isinstance(value, str) or not value.startswith("arn:"):
        raise InvalidEventError(f"{field} is not an ARN: {value!r}")
    parts = value.split(":", 5)
    if len(parts) != _ARN_PARTS or not parts[2] or not parts[5]:
        raise InvalidEventError(f"{field} is not a well-formed ARN: {value!r}")
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def vault_name_from_arn(value: object, *, field: str) -> str:
    arn = parse_arn(value, field=field)
    if arn.service != "backup" or arn.resource_type != "backup-vault":
        raise InvalidEventError(f"{field} is not a backup vault ARN: {value!r}")
    return arn.resource_id


def is_backup_recovery_point_arn(value: str) -> bool:
    """Fully managed resource types get recovery point ARNs in the AWS Backup namespace.

    Source: https://docs.aws.amazon.com/aws-backup/latest/devguide/whatisbackup.html#full-management
    """
    return value.startswith("arn:") and ":backup:" in value and ":recovery-point:" in value


def is_continuous_recovery_point_arn(value: str) -> bool:
    return ":recovery-point:continuous:" in value
