"""Parse the CloudTrail record of a KMS call that endangers a key, as EventBridge delivers it.

Shape: EventBridge "AWS API Call via CloudTrail" events carry the CloudTrail record in ``detail``
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html);
the KMS records are documented per operation, e.g.
https://docs.aws.amazon.com/kms/latest/developerguide/ct-schedule-key-deletion.html,
ct-disablekey.html, ct-put-key-policy.html, ct-deleteimportedkeymaterial.html,
ct-revoke-grant.html and ct-retire-grant.html: ``requestParameters.keyId`` is the key as the
caller named it (key ID or key ARN: these operations accept no alias), ``resources[].ARN`` and
(since December 2022) ``responseElements.keyId`` carry the key ARN. A call that failed still
produces a record, with ``errorCode``. The documented RetireGrant record has
``requestParameters`` null (the grant can be named by its token alone) and the grant ID in
``additionalEventData.grantId``: its key is the one in ``resources``.

Grants are removed routinely: AWS services that use a key through a grant (AWS Backup, EBS,
RDS, ...) retire it when their job is done. Such a removal is made *by an AWS service*: CloudTrail
sets ``userIdentity.invokedBy`` ("the name of the AWS service that made the request") or the
identity type ``AWSService`` ("the request was made by an AWS account that belongs to an AWS
service"; https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
A grant revoked or retired by a person or a role of the account is what takes a key away from
AWS Backup; the record does not name the grantee, so every such removal on a key in use counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.kernel import event_fields as fields
from core.kernel.arns import parse_arn
from core.kernel.errors import InvalidEventError, OrchestratorError

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
GRANT_REMOVALS = frozenset({"RevokeGrant", "RetireGrant"})
KEY_EVENT_NAMES = frozenset(
    {"ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy", "DeleteImportedKeyMaterial"}
    | GRANT_REMOVALS
)
AWS_SERVICE_IDENTITY = "AWSService"


@dataclass(frozen=True, slots=True)
class KeyRef:
    """A KMS key by what identifies it: account, Region and key ID (``mrk-…`` included)."""

    account: str
    region: str
    key_id: str

    @classmethod
    def from_arn(cls, value: str) -> KeyRef | None:
        """The key an ARN names; None for anything but ``arn:…:kms:…:key/…`` (an alias, say)."""
        try:
            arn = parse_arn(value, field="key")
        except OrchestratorError:
            return None
        if arn.service != "kms" or arn.resource_type != "key" or "/" not in arn.resource:
            return None
        return cls(arn.account, arn.region, arn.resource_id)


@dataclass(frozen=True, slots=True)
class KeyEvent:
    event_name: str
    key: KeyRef
    key_arn: str
    actor: str  # who called: userIdentity.arn, else its type
    event_time: datetime
    error_code: str | None  # the call failed: the key is unchanged, but someone tried
    pending_window_days: int | None  # ScheduleKeyDeletion only
    grant_id: str | None = None  # RevokeGrant, RetireGrant
    by_aws_service: bool = False  # the caller was an AWS service (invokedBy, or AWSService)

    @property
    def routine(self) -> bool:
        """A grant an AWS service removed itself (its job is done): no risk to the key."""
        return self.event_name in GRANT_REMOVALS and self.by_aws_service


def parse_key_event(raw: object) -> KeyEvent:
    """Parse one EventBridge event; raise ``InvalidEventError`` naming the first problem."""
    event = fields.mapping(raw, "event")
    if event.get("source") != "aws.kms":
        raise InvalidEventError(f"source is {event.get('source')!r}, expected 'aws.kms'")
    if event.get("detail-type") != CLOUDTRAIL_DETAIL_TYPE:
        raise InvalidEventError(
            f"detail-type is {event.get('detail-type')!r}, expected {CLOUDTRAIL_DETAIL_TYPE!r}"
        )
    detail = fields.mapping(event.get("detail"), "detail")
    if detail.get("eventSource") != "kms.amazonaws.com":
        raise InvalidEventError(
            f"detail.eventSource is {detail.get('eventSource')!r}, expected 'kms.amazonaws.com'"
        )
    name = fields.text(detail, "eventName")
    if name not in KEY_EVENT_NAMES:
        raise InvalidEventError(
            f"detail.eventName {name!r} is not one of {sorted(KEY_EVENT_NAMES)}"
        )
    account, region = fields.account(event), fields.text(event, "region")
    key = _key(detail, account, region, name)
    return KeyEvent(
        event_name=name,
        key=key,
        key_arn=_key_arn(detail, key),
        actor=_actor(detail),
        event_time=fields.timestamp(detail, "eventTime"),
        error_code=_optional_text(detail, "errorCode"),
        pending_window_days=_window(detail),
        grant_id=_grant_id(detail),
        by_aws_service=_by_aws_service(detail),
    )


def _key(detail: Mapping[str, Any], account: str, region: str, name: str) -> KeyRef:
    parameters = detail.get("requestParameters")
    if name == "RetireGrant" and not _names_a_key(parameters):
        return _resource_key(detail)
    if not isinstance(parameters, Mapping):
        raise InvalidEventError("detail.requestParameters.keyId is missing")
    key_id = parameters.get("keyId")
    if not isinstance(key_id, str) or not key_id.strip():
        raise InvalidEventError("detail.requestParameters.keyId is missing or not a string")
    if not key_id.startswith("arn:"):
        if key_id.startswith("alias/"):
            raise InvalidEventError(f"detail.requestParameters.keyId {key_id!r} is an alias")
        return KeyRef(account, region, key_id)
    key = KeyRef.from_arn(key_id)
    if key is None:
        raise InvalidEventError(f"detail.requestParameters.keyId {key_id!r} is not a key ARN")
    return key


def _names_a_key(parameters: object) -> bool:
    return isinstance(parameters, Mapping) and parameters.get("keyId") is not None


def _resource_key(detail: Mapping[str, Any]) -> KeyRef:
    """The key of a record whose request does not name it: the one key in ``resources``."""
    resources = detail.get("resources")
    arns = (
        [r.get("ARN") for r in resources if isinstance(r, Mapping)]
        if isinstance(resources, list)
        else []
    )
    keys = {key for arn in arns if isinstance(arn, str) and (key := KeyRef.from_arn(arn))}
    if len(keys) != 1:
        raise InvalidEventError("detail.resources must name the one key the grant was on")
    return keys.pop()


def _key_arn(detail: Mapping[str, Any], key: KeyRef) -> str:
    """The key's ARN as the record states it (resources, responseElements), if it agrees."""
    candidates: list[object] = []
    resources = detail.get("resources")
    if isinstance(resources, list):
        candidates += [r.get("ARN") for r in resources if isinstance(r, Mapping)]
    response = detail.get("responseElements")
    if isinstance(response, Mapping):
        candidates.append(response.get("keyId"))
    for candidate in candidates:
        if isinstance(candidate, str) and KeyRef.from_arn(candidate) == key:
            return candidate
    return f"arn:aws:kms:{key.region}:{key.account}:key/{key.key_id}"


def _actor(detail: Mapping[str, Any]) -> str:
    identity = detail.get("userIdentity")
    if not isinstance(identity, Mapping):
        return "unknown caller"
    for name in ("arn", "invokedBy", "type"):
        value = identity.get(name)
        if isinstance(value, str) and value:
            return value
    return "unknown caller"


def _by_aws_service(detail: Mapping[str, Any]) -> bool:
    identity = detail.get("userIdentity")
    if not isinstance(identity, Mapping):
        return False
    invoked_by = identity.get("invokedBy")
    return identity.get("type") == AWS_SERVICE_IDENTITY or (
        isinstance(invoked_by, str) and bool(invoked_by)
    )


def _grant_id(detail: Mapping[str, Any]) -> str | None:
    for container in (detail.get("requestParameters"), detail.get("additionalEventData")):
        if isinstance(container, Mapping) and (value := _optional_text(container, "grantId")):
            return value
    return None


def _window(detail: Mapping[str, Any]) -> int | None:
    parameters = detail.get("requestParameters")
    value = parameters.get("pendingWindowInDays") if isinstance(parameters, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_text(container: Mapping[str, Any], key: str) -> str | None:
    value = container.get(key)
    return value if isinstance(value, str) and value else None
