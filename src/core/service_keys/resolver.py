"""``Custom::ServiceKey``: the ARN of the AWS managed key behind ``alias/aws/<service>``.

A backup vault takes a key ARN, not an alias ("If you specify a key, you must specify its ARN, not
its alias",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-backup-backupvault.html),
and no intrinsic function turns an alias into a key ARN, so the template asks this custom resource.

CloudFormation's request and the reply (pure data in, data out; the handler sends the reply):
- Request fields RequestType (Create, Update, Delete), ResponseURL, StackId, RequestId,
  ResourceType, LogicalResourceId, ResourceProperties, and PhysicalResourceId on Update and Delete
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html).
- Reply fields Status (SUCCESS or FAILED), Reason ("Required if Status is FAILED"),
  PhysicalResourceId ("a non-empty string", "identical for all responses for the same resource";
  a different one on Update is a replacement: CloudFormation then deletes the old one), StackId,
  RequestId and LogicalResourceId copied from the request, Data (read with Fn::GetAtt); "The total
  size of the response body can't exceed 4096 bytes"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).

Create and Update describe the alias's key and accept it only if KMS says AWS manages it
(KeyManager AWS), it is Enabled, and it is a key of the stack's own account and Region; the key
ARN is the PhysicalResourceId, so an Update with the same alias is no change. Delete touches
nothing: the resource created nothing, and nobody can delete an AWS managed key anyway. Every
problem becomes a FAILED reply with its reason: the stack rolls back with KMS's own words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.kernel.arns import parse_arn
from core.kernel.errors import InvalidEventError, OrchestratorError, PermanentError

SUCCESS = "SUCCESS"
FAILED = "FAILED"
REQUEST_TYPES = frozenset({"Create", "Update", "Delete"})
# Fields every request carries (crpg-ref-requests.html, "Required: Yes").
ENVELOPE_FIELDS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")
# "The alias/aws/ prefix is reserved for AWS managed key"
# (https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html): only such an alias
# can name a key that nobody in the account can delete.
AWS_ALIAS = re.compile(r"^alias/aws/[a-zA-Z0-9_-]+$")
ALIAS_PROPERTY = "AliasName"
KEY_ARN_ATTRIBUTE = "KeyArn"
MAX_REPLY_BYTES = 4096
_MAX_REASON_CHARS = 1000


@dataclass(frozen=True, slots=True)
class KeyDescription:
    """What KMS DescribeKey says of a key: its ARN, who manages it, and its state."""

    arn: str
    key_manager: str
    key_state: str


class ServiceKeys(Protocol):
    """KMS DescribeKey on an alias (adapters.kms.AwsManagedKeys)."""

    def describe(self, alias_name: str) -> KeyDescription: ...


@dataclass(frozen=True, slots=True)
class ServiceKeyRequest:
    request_type: str
    stack_id: str
    request_id: str
    logical_resource_id: str
    physical_resource_id: str | None
    alias_name: str | None  # None only on Delete: a Delete never needs it


def response_url(event: object) -> str | None:
    """Where the reply goes, if the event says (even a malformed event may)."""
    url = event.get("ResponseURL") if isinstance(event, Mapping) else None
    return url if isinstance(url, str) and url else None


def parse_request(event: object) -> ServiceKeyRequest:
    if not isinstance(event, Mapping):
        raise InvalidEventError("the request is not a JSON object")
    for name in ENVELOPE_FIELDS:
        if not isinstance(event.get(name), str) or not event[name]:
            raise InvalidEventError(f"{name} is missing")
    request_type = event["RequestType"]
    if request_type not in REQUEST_TYPES:
        raise InvalidEventError(f"RequestType {request_type!r} is not Create, Update or Delete")
    physical = event.get("PhysicalResourceId")
    physical = physical if isinstance(physical, str) and physical else None
    if request_type != "Create" and physical is None:
        raise InvalidEventError(f"PhysicalResourceId is missing from a {request_type} request")
    alias = None if request_type == "Delete" else _alias_name(event.get("ResourceProperties"))
    return ServiceKeyRequest(
        request_type=request_type,
        stack_id=event["StackId"],
        request_id=event["RequestId"],
        logical_resource_id=event["LogicalResourceId"],
        physical_resource_id=physical,
        alias_name=alias,
    )


def _alias_name(properties: object) -> str:
    if not isinstance(properties, Mapping):
        raise InvalidEventError("ResourceProperties is missing")
    alias = properties.get(ALIAS_PROPERTY)
    if not isinstance(alias, str) or not alias:
        raise InvalidEventError(f"ResourceProperties.{ALIAS_PROPERTY} is missing")
    if not AWS_ALIAS.fullmatch(alias):
        raise InvalidEventError(
            f"{ALIAS_PROPERTY} {alias!r} is not an AWS managed key's alias (alias/aws/<service>)"
        )
    return alias


def resolve(event: object, keys: ServiceKeys) -> dict[str, Any]:
    """The reply to one CloudFormation request; a problem is a FAILED reply, never an error."""
    try:
        request = parse_request(event)
        if request.request_type == "Delete":
            return _reply(event, SUCCESS, request.physical_resource_id or "")
        alias = request.alias_name or ""
        key = keys.describe(alias)
        _check(key, alias, request)
    except OrchestratorError as error:
        return failed_reply(event, str(error))
    return _reply(event, SUCCESS, key.arn, data={KEY_ARN_ATTRIBUTE: key.arn})


def _check(key: KeyDescription, alias: str, request: ServiceKeyRequest) -> None:
    if key.key_manager != "AWS":
        raise PermanentError(
            "not-aws-managed",
            f"{alias} is {key.arn}, a key with KeyManager {key.key_manager or 'unknown'}: "
            "only an AWS managed key (KeyManager AWS) is out of the account's reach",
        )
    if key.key_state != "Enabled":
        raise PermanentError("key-not-enabled", f"{alias} is {key.arn} in state {key.key_state}")
    stack = parse_arn(request.stack_id, field="StackId")
    try:
        arn = parse_arn(key.arn, field="KeyMetadata.Arn")
    except InvalidEventError as error:
        raise PermanentError("not-a-key-arn", error.message) from error
    expected = (stack.partition, "kms", stack.region, stack.account, "key")
    if (arn.partition, arn.service, arn.region, arn.account, arn.resource_type) != expected:
        raise PermanentError(
            "foreign-key",
            f"{alias} is {key.arn}, not a key of this stack's account and Region "
            f"({stack.account}, {stack.region})",
        )


def failed_reply(event: object, reason: str) -> dict[str, Any]:
    """FAILED with the reason; the ids copied from the event as far as it has them."""
    physical = event.get("PhysicalResourceId") if isinstance(event, Mapping) else None
    logical = event.get("LogicalResourceId") if isinstance(event, Mapping) else None
    # A failed Create has no id yet: CloudFormation still needs a non-empty one, and later sends
    # a Delete with it (which succeeds without a call).
    fallback = f"{logical}-unresolved" if isinstance(logical, str) and logical else "unresolved"
    identifier = physical if isinstance(physical, str) and physical else fallback
    return _reply(event, FAILED, identifier, reason=reason or "unknown error")


def _reply(
    event: object,
    status: str,
    physical_resource_id: str,
    *,
    reason: str | None = None,
    data: dict[str, str] | None = None,
) -> dict[str, Any]:
    source = event if isinstance(event, Mapping) else {}
    reply: dict[str, Any] = {"Status": status, "PhysicalResourceId": physical_resource_id}
    for name in ("StackId", "RequestId", "LogicalResourceId"):
        value = source.get(name)
        reply[name] = value if isinstance(value, str) else ""
    if reason is not None:
        reply["Reason"] = reason[:_MAX_REASON_CHARS]
    if data:
        reply["Data"] = data
    return _within_size(reply)


def _within_size(reply: dict[str, Any]) -> dict[str, Any]:
    """Shorten the reason until the reply fits 4096 bytes (the ids are CloudFormation's own)."""
    while reply.get("Reason") and len(json.dumps(reply).encode()) > MAX_REPLY_BYTES:
        reply["Reason"] = reply["Reason"][: len(reply["Reason"]) // 2]
    return reply
