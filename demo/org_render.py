"""The organization day's report: one row per instance (account, Region, role), one per Region,
and the promises of every instance; as text or as JSON."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from typing import Any

from demo.org import InstanceResult, OrgResult
from demo.org_view import OrgView


@dataclass(slots=True)
class Totals:
    instances: int = 0
    resources: int = 0
    recovery_points: int = 0
    protected: int = 0
    in_flight: int = 0
    unprotected: int = 0
    lost: int = 0
    copies_completed: int = 0
    copies_failed: int = 0
    promises_broken: int = 0

    def add(self, other: Totals) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


def instance_totals(result: InstanceResult) -> Totals:
    by_type = result.report.by_type
    copies = result.report.copy_status
    protected = sum(row.protected for row in by_type)
    in_flight = sum(row.in_flight for row in by_type)
    unprotected = sum(row.unprotected for row in by_type)
    lost = sum(row.lost for row in by_type)
    return Totals(
        instances=1,
        resources=len(result.estate),
        recovery_points=protected + in_flight + unprotected + lost,
        protected=protected,
        in_flight=in_flight,
        unprotected=unprotected,
        lost=lost,
        copies_completed=sum(row.copies_completed for row in copies),
        copies_failed=sum(row.copies_failed for row in copies),
        promises_broken=sum(1 for check in result.promises if not check.kept),
    )


def by_region(result: OrgResult) -> dict[tuple[str, str], Totals]:
    regions: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for item in result.instances:
        regions[(item.instance.region, item.instance.role)].add(instance_totals(item))
    return dict(sorted(regions.items()))


_COLUMNS = (
    ("resources", "Res"),
    ("recovery_points", "Points"),
    ("protected", "Protected"),
    ("in_flight", "InFlight"),
    ("unprotected", "Unprot"),
    ("lost", "Lost"),
    ("copies_completed", "CopiesOK"),
    ("copies_failed", "CopiesFail"),
)


def _figures(totals: Totals) -> str:
    return " ".join(f"{getattr(totals, name):>{len(title)}}" for name, title in _COLUMNS)


def _titles() -> str:
    return " ".join(title for _, title in _COLUMNS)


def render_org_text(result: OrgResult) -> str:
    run = result.run
    lines = [
        f"Organization day on the emulator: {run['accounts']} member accounts in one OU "
        f"(management account {run['management_account']} is never a target), "
        f"{run['instances']} stack instances",
    ]
    for name, regions in run["regions"].items():
        parameters = ", ".join(f"{k}={v!r}" for k, v in run["stack_set_parameters"][name].items())
        lines.append(f"  stack set {name} -> {', '.join(regions)}: {parameters}")
    lines += [
        f"  {run['start']} -> {run['end']}, {run['resources_per_primary_instance']} resources per "
        f"primary instance, seed {run['seed']}, faults {run['faults']}; deployed in "
        f"{run['deploy_seconds']} s, {run['wall_seconds']} s in all",
        "",
        "Per instance",
        f"  {'Account':<12} {'Region':<14} {'Role':<7} {_titles()} Promises",
    ]
    for item in result.instances:
        instance = item.instance
        kept = "kept" if item.promises_kept else "BROKEN"
        lines.append(
            f"  {instance.account:<12} {instance.region:<14} {instance.role:<7} "
            f"{_figures(instance_totals(item))} {kept}"
        )
    lines += ["", "Per Region", f"  {'Region':<14} {'Role':<7} {'Inst':>4} {_titles()}"]
    for (region, role), totals in by_region(result).items():
        lines.append(f"  {region:<14} {role:<7} {totals.instances:>4} {_figures(totals)}")
    lines += ["", "Promises, checked in every instance"]
    names = {check.name: check.promise for item in result.instances for check in item.promises}
    for name, promise in names.items():
        broken = [
            f"{item.instance.key}: {problem}"
            for item in result.instances
            for check in item.promises
            if check.name == name
            for problem in check.broken
        ]
        verdict = "kept in every instance" if not broken else f"BROKEN ({len(broken)})"
        lines.append(f"  {name}: {verdict} - {promise}")
        lines += [f"    {problem}" for problem in broken[:10]]
    if result.view is not None:
        lines += ["", *_view_lines(result.view)]
    lines.append("")
    lines.append("All promises kept." if result.promises_kept else "Some promises are BROKEN.")
    return "\n".join(lines) + "\n"


def _view_lines(view: OrgView) -> list[str]:
    document = view.document
    members = document.get("members", [])
    totals = ", ".join(f"{name} {n}" for name, n in sorted(document.get("totals", {}).items()))
    covered = "fully covered" if document.get("fully_covered") else "NOT fully covered"
    check = view.check
    verdict = "kept" if check.kept else f"BROKEN ({len(check.broken)})"
    return [
        "Organization view (from the management account, the monitoring account)",
        f"  copyctl {' '.join(view.argv)}",
        f"  exit {view.exit_code} ({covered}): {len(members)} member stacks in "
        f"{document.get('accounts', 0)} accounts and {document.get('regions', 0)} Regions, "
        f"{len(document.get('unreachable', []))} unreachable, {view.seconds:.1f} s",
        f"  organization total: {totals or '-'}",
        f"  {check.name}: {verdict} - {check.promise}",
        *(f"    {problem}" for problem in check.broken[:10]),
    ]


def org_report_dict(result: OrgResult) -> dict[str, Any]:
    return {
        "run": result.run,
        "promises_kept": result.promises_kept,
        "by_region": [
            {"region": region, "role": role, **asdict(totals)}
            for (region, role), totals in by_region(result).items()
        ],
        "instances": [_instance_dict(item) for item in result.instances],
        "org_view": _view_dict(result.view) if result.view else None,
    }


def _view_dict(view: OrgView) -> dict[str, Any]:
    return {
        "command": ["copyctl", *view.argv],
        "exit_code": view.exit_code,
        "promise": asdict(view.check) | {"kept": view.check.kept},
        "expected_totals": view.expected_totals,
        "status": view.document,
    }


def _instance_dict(item: InstanceResult) -> dict[str, Any]:
    report = item.report.as_dict()
    report.pop("recovery_points")  # per recovery point: the single-account report's detail
    return {
        "account": item.instance.account,
        "region": item.instance.region,
        "role": item.instance.role,
        "stack_name": item.instance.stack.stack_name,
        "totals": asdict(instance_totals(item)),
        "promises_kept": item.promises_kept,
        "promises": [asdict(check) | {"kept": check.kept} for check in item.promises],
        "report": report,
    }
