"""Which backup plans opt into the LAG vault (``use_logically_air_gapped_vault``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.kernel.config import LagPlanSelector


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


@dataclass(frozen=True, slots=True)
class LagOptIn:
    """Whether a recovery point follows the LAG opt-in, and the rule that decided it."""

    uses_lag: bool
    why: str | None = None  # None: the plan rule, in decision.choose_destination's words


def lag_opt_in(
    vault_name: str,
    lag_source_vaults: frozenset[str],
    selector: LagPlanSelector,
    plan: PlanIdentity | None,
) -> LagOptIn:
    """The LAG opt-in of a recovery point in ``vault_name`` made by ``plan`` (None: on demand).

    A vault of ``lag_source_vaults`` opts in every recovery point it holds, whatever its plan:
    the DR vault's recovery points are copies made by the primary Region's plans, whose ids
    GetBackupPlan in the DR Region cannot resolve (a plan is a resource of one Region: its ARN
    names it, ``arn:aws:backup:<region>:<account>:backup-plan:<id>``; our reading, AWS states no
    rule for foreign ids). Elsewhere a plan that a name or tag selector needed but GetBackupPlan
    did not find (``plan.name`` is None: every plan has a name) is not opted in, and the
    decision says so - a deleted plan, or another Region's - instead of "does not opt in".
    """
    if vault_name in lag_source_vaults:
        return LagOptIn(True, f"vault {vault_name} opts in (LAG_SOURCE_VAULT_NAMES)")
    if plan_uses_lag(selector, plan):
        return LagOptIn(True)
    if plan is not None and plan.name is None and needs_lookup(selector, plan.plan_id):
        return LagOptIn(
            False,
            f"plan {plan.plan_id} is not in this Region (another Region's plan, or deleted): "
            "its name and tags are unknown here; list its id in LAG_PLAN_IDS, or its vault "
            "in LAG_SOURCE_VAULT_NAMES",
        )
    return LagOptIn(False)
