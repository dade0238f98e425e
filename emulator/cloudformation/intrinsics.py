"""CloudFormation intrinsic functions, evaluated against parameters, conditions and what has been
provisioned so far. Unknown references resolve to readable placeholders instead of failing:
the template is written by someone else, in parallel, and the emulator must keep up with it.

Source: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass
class Context:
    region: str
    account: str
    stack_name: str
    parameters: dict[str, Any]
    condition_definitions: dict[str, Any]
    mappings: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    condition_values: dict[str, bool] = field(default_factory=dict)
    # Custom resources left out (no function invoker), and whatever refers to them, transitively.
    custom_resources_skipped: set[str] = field(default_factory=set)

    def pseudo(self, name: str) -> Any:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/emulated"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        return values[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        return self.refs.get(name, f"{self.stack_name}-{name}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        known = self.attributes.get((logical_id, attribute))
        if known is not None:
            return known
        return (
            f"arn:aws:emulator:{self.region}:{self.account}:unprovisioned/{logical_id}/{attribute}"
        )

    def function(self, name: str) -> Callable[[Any, Context], Any] | None:
        """The intrinsic function a one-key mapping ``{name: argument}`` calls, if any."""
        return _FUNCTIONS.get(name)

    def condition(self, name: str) -> bool:
        if name not in self.condition_values:
            self.condition_values[name] = bool(evaluate(self.condition_definitions[name], self))
        return self.condition_values[name]


def evaluate(value: Any, context: Context) -> Any:
    """The value with every intrinsic function replaced by its result; AWS::NoValue removes keys."""
    if isinstance(value, list):
        items = [evaluate(item, context) for item in value]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        function = context.function(name)
        if function is not None:
            return function(argument, context)
    evaluated = {key: evaluate(item, context) for key, item in value.items()}
    return {key: item for key, item in evaluated.items() if item is not NO_VALUE}


def _sub(argument: Any, context: Context) -> str:
    template, variables = (argument, {}) if isinstance(argument, str) else argument
    local = {name: evaluate(item, context) for name, item in variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in local:
            return str(local[name])
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return str(context.get_att(logical_id, attribute))
        return str(context.ref(name))

    return _SUB_VARIABLE.sub(replace, template).replace("${!", "${")


def _get_att(argument: Any, context: Context) -> Any:
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    logical_id, attribute = (evaluate(part, context) for part in argument)
    return context.get_att(logical_id, attribute)


def _if(argument: Any, context: Context) -> Any:
    name, when_true, when_false = argument
    return evaluate(when_true if context.condition(name) else when_false, context)


def _join(argument: Any, context: Context) -> str:
    delimiter, items = argument
    return str(delimiter).join(str(item) for item in evaluate(items, context))


def _select(argument: Any, context: Context) -> Any:
    index, items = argument
    return evaluate(items, context)[int(evaluate(index, context))]


def _split(argument: Any, context: Context) -> list[str]:
    delimiter, text = argument
    return str(evaluate(text, context)).split(delimiter)


def _find_in_map(argument: Any, context: Context) -> Any:
    name, top, second = (evaluate(part, context) for part in argument)
    return copy.deepcopy(context.mappings[name][top][second])


def _equals(argument: Any, context: Context) -> bool:
    left, right = (evaluate(part, context) for part in argument)
    return str(left) == str(right)


_FUNCTIONS: dict[str, Callable[[Any, Context], Any]] = {
    "Ref": lambda argument, context: context.ref(evaluate(argument, context)),
    "Condition": lambda argument, context: context.condition(argument),
    "Fn::Sub": _sub,
    "Fn::GetAtt": _get_att,
    "Fn::If": _if,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::Equals": _equals,
    "Fn::Not": lambda argument, context: not evaluate(argument[0], context),
    "Fn::And": lambda argument, context: all(evaluate(item, context) for item in argument),
    "Fn::Or": lambda argument, context: any(evaluate(item, context) for item in argument),
    "Fn::Base64": lambda argument, context: base64.b64encode(
        str(evaluate(argument, context)).encode()
    ).decode(),
    "Fn::GetAZs": lambda _argument, context: [f"{context.region}{zone}" for zone in "abc"],
    "Fn::ImportValue": lambda argument, context: f"imported-{evaluate(argument, context)}",
    "Fn::ToJsonString": lambda argument, context: json.dumps(evaluate(argument, context)),
}


def references(value: Any) -> set[str]:
    """Logical ids a value refers to (Ref, GetAtt, Sub), for ordering the provisioning."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            found |= _references_of(key, item)
    return found


def _references_of(key: str, item: Any) -> set[str]:
    if key == "Ref" and isinstance(item, str):
        return {item}
    if key == "Fn::GetAtt":
        first = item.split(".", 1)[0] if isinstance(item, str) else item[0]
        return {first} if isinstance(first, str) else set()
    if key == "Fn::Sub":
        template = item if isinstance(item, str) else item[0]
        names = {name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(template)}
        return names | (references(item[1]) if isinstance(item, list) else set())
    return references(item)
