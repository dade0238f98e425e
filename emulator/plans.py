"""Scheduled backups: when the simulated clock passes a plan rule's cron, the rule backs up every
registered resource its plan's selections pick (assigning-resources.html), into its target vault,
with its lifecycle, and starts its copy actions when the backup completes. Of rules of one plan
whose time frames overlap, only the one with the longest retention runs
(plan-options-and-configuration.html; ``rules.outranks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from emulator import arns, cron, rules
from emulator.backend import EmulatorBackend, all_backends
from emulator.jobs import start_backup_job
from emulator.models import BackupJob, ResourceInfo, Selection

_TAG_PREFIX = "aws:ResourceTag/"


@dataclass(frozen=True, slots=True)
class Firing:
    at: datetime
    backend: EmulatorBackend
    plan: Any
    rule: dict[str, Any]


def firings(after: datetime, until: datetime) -> list[Firing]:
    """Every plan rule firing in (after, until] that AWS Backup would run, in time order.

    A firing whose time frame overlaps one of a rule of the same plan that outranks it does not
    run (``rules.outranks``, plan-options-and-configuration.html).
    """
    found: list[Firing] = []
    for backend in all_backends():
        for plan in list(backend.moto.plans.values()):
            if plan.deletion_date is not None:
                continue
            plan_rules = plan.backup_plan.get("Rules", [])
            for index, rule in enumerate(plan_rules):
                for at in _fire_times(rule, after, until):
                    if not _shadowed(plan_rules, index, at):
                        found.append(Firing(at, backend, plan, rule))
    return sorted(found, key=lambda firing: firing.at)


def _fire_times(rule: dict[str, Any], after: datetime, until: datetime) -> list[datetime]:
    return list(
        cron.fire_times(
            rule["ScheduleExpression"],
            rule.get("ScheduleExpressionTimezone", "Etc/UTC"),
            after,
            until,
        )
    )


def _shadowed(plan_rules: list[dict[str, Any]], index: int, at: datetime) -> bool:
    """Whether another rule of the plan has a time frame overlapping [at, at + window) and wins."""
    rule = plan_rules[index]
    own_end = at + timedelta(minutes=rules.start_window_minutes(rule))
    for other_index, other in enumerate(plan_rules):
        if other_index == index or not rules.outranks(
            other, rule, listed_first=other_index < index
        ):
            continue
        window = timedelta(minutes=rules.start_window_minutes(other))
        # [t, t + window) overlaps [at, own_end) when at - window < t < own_end
        candidates = _fire_times(other, at - window, own_end - timedelta(microseconds=1))
        if any(t > at - window for t in candidates):
            return True
    return False


def run(firing: Firing) -> list[BackupJob]:
    backend, plan, rule = firing.backend, firing.plan, firing.rule
    chosen: dict[str, str] = {}
    for selection in backend.plan_selections(plan.backup_plan_id):
        for resource in backend.resources.values():
            if selects(selection, resource):
                chosen.setdefault(resource.arn, selection.body["IamRoleArn"])
    return [
        start_backup_job(
            backend,
            vault_name=rule["TargetBackupVaultName"],
            resource_arn=resource_arn,
            iam_role_arn=role,
            lifecycle=rule.get("Lifecycle"),
            created_by=_creator(backend, plan, rule),
            copy_actions=rule.get("CopyActions"),
        )
        for resource_arn, role in chosen.items()
    ]


def _creator(backend: EmulatorBackend, plan: Any, rule: dict[str, Any]) -> dict[str, str]:
    return {
        "BackupPlanId": plan.backup_plan_id,
        "BackupPlanArn": arns.plan_arn(
            backend.region_name, backend.account_id, plan.backup_plan_id
        ),
        "BackupPlanName": plan.backup_plan["BackupPlanName"],
        "BackupPlanVersion": plan.version_id,
        "BackupRuleId": rule["RuleId"],
        "BackupRuleName": rule["RuleName"],
        "BackupRuleCron": rule["ScheduleExpression"],
        "BackupRuleTimezone": rule.get("ScheduleExpressionTimezone", "Etc/UTC"),
    }


def selects(selection: Selection, resource: ResourceInfo) -> bool:
    """assigning-resources.html: (Resources OR ListOfTags) AND Conditions, minus NotResources."""
    body = selection.body
    if any(fnmatchcase(resource.arn, pattern) for pattern in body.get("NotResources") or []):
        return False
    patterns, tag_matches = body.get("Resources") or [], body.get("ListOfTags") or []
    picked = any(fnmatchcase(resource.arn, pattern) for pattern in patterns) or any(
        resource.tags.get(_tag_key(t["ConditionKey"])) == t["ConditionValue"] for t in tag_matches
    )
    if not patterns and not tag_matches:
        picked = bool(body.get("Conditions"))
    return picked and _conditions_hold(body.get("Conditions") or {}, resource.tags)


def _tag_key(condition_key: str) -> str:
    return condition_key.removeprefix(_TAG_PREFIX)


def _conditions_hold(conditions: dict[str, list[dict[str, str]]], tags: dict[str, str]) -> bool:
    tests = {
        "StringEquals": lambda value, wanted: value == wanted,
        "StringNotEquals": lambda value, wanted: value != wanted,
        "StringLike": lambda value, wanted: value is not None and fnmatchcase(value, wanted),
        "StringNotLike": lambda value, wanted: value is None or not fnmatchcase(value, wanted),
    }
    return all(
        tests[kind](tags.get(_tag_key(c["ConditionKey"])), c["ConditionValue"])
        for kind, entries in conditions.items()
        if kind in tests
        for c in entries
    )
