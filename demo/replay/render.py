"""``copyctl demo --events`` as text: per event, how it was delivered, the copy function's
decision, the copy jobs and how they ended, the ledger entries, and any parked record."""

from __future__ import annotations

from typing import Any

from demo.replay.report import ItemReport, ReplayReport


def render_text(report: ReplayReport) -> str:
    lines = _header(report)
    for item in report.items:
        lines += ["", *_item(item)]
    leftovers = {kind: found for kind, found in report.unattributed.items() if found}
    if leftovers:
        lines += ["", "Changes no replayed event names:"]
        lines += [f"  {kind}: {len(found)}" for kind, found in leftovers.items()]
    lines += ["", *_footer(report)]
    return "\n".join(lines) + "\n"


def _header(report: ReplayReport) -> list[str]:
    world = report.world
    stacks = " and ".join(f"{name} ({role})" for role, name in world["stacks"].items())
    names = ", ".join(f"{fixture} → {vault}" for fixture, vault in world["vault_names"].items())
    return [
        "Events replayed on the local AWS Backup emulator (moto in-process, no AWS account)",
        f"template.yaml as stacks {stacks}, account {world['account']}, {world['region']}",
        f"vault names of the events → the stacks' vaults: {names}",
    ]


def _item(item: ItemReport) -> list[str]:
    title = f"{item.source} [{item.record}]" if item.record else item.source
    lines = [f"{title}: {item.description}"]
    lines += [f"  seeded: recovery point {arn}" for arn in item.seeded]
    lines += _delivery(item)
    lines += _decisions(item)
    lines += [f"  copy job {_copy_job(job)}" for job in item.copy_jobs] or ["  copy jobs: none"]
    lines += [f"  ledger: {_entry(entry)}" for entry in item.ledger] or ["  ledger: no change"]
    lines += [f"  parked: {_parked(parked)}" for parked in item.parked] or ["  parked: none"]
    lines += [f"  note: {note}" for note in item.notes]
    return lines


def _delivery(item: ItemReport) -> list[str]:
    lines = [f"  {item.delivery}"] if item.delivery != "routed" else []
    for route in item.routes:
        targets = ", ".join(_target(target) for target in route["targets"])
        lines.append(
            f"  routed: {route['rule']} → {targets or 'no target the emulator delivers to'}"
        )
        lines += [f"    {note}" for note in route["notes"]]
    if item.direct and "answer" in item.direct:
        answer = item.direct["answer"]
        shown = answer.get("outcome", answer) if isinstance(answer, dict) else answer
        lines.append(
            f"  invoked directly, as sam local invoke would: {item.direct['function']} → {shown}"
        )
    return lines


def _target(target: dict[str, Any]) -> str:
    if "function" in target:
        return f"{target['queue']} → {target['function']}"
    return str(target["arn"])


def _decisions(item: ItemReport) -> list[str]:
    lines = []
    for decision in item.decisions:
        target = decision["target"]
        arrow = f" → {target}" if target and target != "none" else ""
        lines.append(f"  decision: {decision['reason']}{arrow} ({decision['explanation']})")
    for parked in item.parked:
        if parked["reason"]:
            lines.append(f"  decision: rejected: {parked['reason']} ({parked['detail']})")
    return lines or ["  decision: none written to the ledger (a repeat, or no copy function ran)"]


def _copy_job(job: dict[str, Any]) -> str:
    text = f"{job['copy_job_id']}: {job['state']} into {_vault(job['destination_vault'])}"
    if job.get("status_message"):
        text += f" ({job['status_message']})"
    if job.get("destination_key"):
        text += f"; key {job['destination_key']}"
    if job.get("tracked_state"):
        text += f"; tracked: {job['tracked_state']}, {job['tracked_reason']}"
    return text


def _entry(entry: dict[str, Any]) -> str:
    destination = entry["DestinationVaultArn"]
    text = f"{entry['RecoveryPointArn']} → {_vault(destination)}: {entry.get('State')}"
    text += f", {entry.get('Reason')}"
    if entry.get("Explanation"):
        text += f" ({entry['Explanation']})"
    return text


def _parked(parked: dict[str, Any]) -> str:
    reason = parked["reason"] or "no RejectionReason: moved there by SQS after too many receives"
    return f"in {parked['queue']}: {reason}"


def _vault(arn: str) -> str:
    return arn.rsplit(":", 1)[-1] if arn.startswith("arn:") else arn


def _footer(report: ReplayReport) -> list[str]:
    run = report.run
    invocations = run["invocations"]["invocations"]
    counted = ", ".join(f"{name} {count}" for name, count in sorted(invocations.items()))
    lines = [f"Invocations: {counted or 'none'}; errors: {run['invocation_errors']}"]
    lines.append(f"managed_vault_policy: {run['managed_vault_policy']} (emulator setting)")
    if not run["quiescent"]:
        lines.append("The emulator did not come to rest: some work is unfinished.")
    lines += [f"note: {note}" for note in report.world["notes"]]
    return lines
