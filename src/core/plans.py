"""Which backup plans opt into the LAG vault (``use_logically_air_gapped_vault``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.config import LagPlanSelector


@dataclass(frozen=True, slots=True)
class PlanIdentity:
    plan_id: str
    name: str | None = None
    tags: Mapping[str, str] | None = None


def plan_uses_lag(selector: LagPlanSelector, plan: PlanIdentity | None) -> bool:
    """On-demand jobs (no plan) never opt in; a plan opts in by id, by name or by tag."""
    if plan is None:
        return False
    if plan.plan_id in selector.plan_ids:
        return True
    if plan.name is not None and plan.name in selector.plan_names:
        return True
    if selector.tag is not None and plan.tags is not None:
        key, value = selector.tag
        return plan.tags.get(key) == value
    return False


def needs_lookup(selector: LagPlanSelector, plan_id: str | None) -> bool:
    """Only a plan not already listed by id, with name or tag selectors configured, costs a call."""
    return plan_id is not None and plan_id not in selector.plan_ids and selector.needs_plan_lookup
