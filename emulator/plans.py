"""Scheduled backups: when the simulated clock passes a plan rule's cron, the rule backs up every
registered resource its plan's selections pick (assigning-resources.html), into its target vault,
with its lifecycle, and starts its copy actions when the backup completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from emulator import arns, cron
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
    """Every plan rule firing in (after, until], in time order."""
    found: list[Firing] = []
    for backend in all_backends():
        for plan in list(backend.moto.plans.values()):
            if plan.deletion_date is not None:
                continue
            for rule in plan.backup_plan.get("Rules", []):
                times = cron.fire_times(
                    rule["ScheduleExpression"],
                    rule.get("ScheduleExpressionTimezone", "Etc/UTC"),
                    after,
                    until,
                )
                found.extend(Firing(at, backend, plan, rule) for at in times)
    return sorted(found, key=lambda firing: firing.at)


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
