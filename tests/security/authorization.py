"""IAM facts: which action an AWS call needs, and what resources that action can be scoped to.

- The action of an operation is ``<signing name>:<operation name>`` from botocore's service model
  (e.g. ``backup:StartCopyJob``); every such action is checked to exist in the Service
  Authorization Reference, so an operation whose action is named differently cannot slip through.
- The Service Authorization Reference comes with cfn-lint (already pinned), as
  ``cfnlint/data/AdditionalSpecs/Policies.json``: per action, the resource types it supports
  (none: "*" is the only valid Resource) and their ARN formats.
  https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

import botocore.session
from botocore.model import ServiceModel

from tests.security.code_calls import AwsCall

# An operation with a parameter naming an IAM role hands that role to the service:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
_ROLE_PARAMETER = re.compile(r"RoleArn$")


@cache
def _reference() -> dict[str, Any]:
    text = (files("cfnlint.data.AdditionalSpecs") / "Policies.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def iam_prefix(service: str) -> str:
    return str(_service_model(service).signing_name)


def action_of(call: AwsCall) -> str:
    return f"{iam_prefix(call.service)}:{call.operation}"


def passes_a_role(call: AwsCall) -> bool:
    """Whether the operation takes a role ARN (then the caller needs iam:PassRole)."""
    shape = _service_model(call.service).operation_model(call.operation).input_shape
    return shape is not None and any(_ROLE_PARAMETER.search(name) for name in shape.members)


def receiving_service(call: AwsCall) -> str:
    """The service principal a role passed with this call is handed to."""
    return f"{iam_prefix(call.service)}.amazonaws.com"


def _action_entry(action: str) -> dict[str, Any] | None:
    prefix, _, name = action.partition(":")
    service = _reference().get(prefix.lower())
    if service is None:
        return None
    entry: dict[str, Any] | None = service["Actions"].get(name.lower())
    return entry


def exists(action: str) -> bool:
    return _action_entry(action) is not None


def expand(pattern: str) -> set[str]:
    """Every known action an action pattern (``backup:Delete*``) matches, lower-cased."""
    prefix, _, name = pattern.lower().partition(":")
    prefixes = fnmatch.filter(_reference(), prefix)
    return {
        f"{p}:{action}"
        for p in prefixes
        for action in fnmatch.filter(_reference()[p]["Actions"], name)
    }


def resource_types(action: str) -> list[str]:
    """The resource types (``queue``, ``backupVault``...) an action can be scoped to."""
    entry = _action_entry(action)
    if entry is None:
        raise LookupError(f"{action} is not in the Service Authorization Reference")
    return list(entry.get("Resources", []))


def resource_formats(action: str) -> list[str]:
    """ARN formats the action can be scoped to; empty when it has no resource-level permission."""
    entry = _action_entry(action)
    if entry is None:
        raise LookupError(f"{action} is not in the Service Authorization Reference")
    prefix = action.partition(":")[0].lower()
    resources = _reference()[prefix]["Resources"]
    return [
        arn_format
        for resource_type in entry.get("Resources", [])
        for arn_format in resources[resource_type.lower()]["ARNFormats"]
    ]


def fits(resource: str, arn_format: str, *, region: str, account: str) -> bool:
    """Whether a policy Resource is an ARN of that format in this partition, Region and account.

    Wildcards in the Resource stand for themselves: ``arn:aws:backup:*:...`` does not fit a
    format that pins the Region, which is the point.
    """
    pattern = ""
    for token in re.split(r"(\$\{[^}]+\}|\.\*|\*)", arn_format):
        if token == "${Partition}":
            pattern += "aws"
        elif token == "${Region}":
            pattern += re.escape(region)
        elif token == "${Account}":
            pattern += re.escape(account)
        elif token.startswith("${"):
            pattern += "[^:]*"
        elif token == ".*":
            pattern += ".*"
        elif token == "*":
            pattern += "[^:]*"
        else:
            pattern += re.escape(token)
    return re.fullmatch(pattern, resource.replace("*", "x")) is not None
