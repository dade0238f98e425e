"""Where ``copyctl demo --events`` replays events: template.yaml provisioned in the emulator, in
the account and Region the events name, once per stack role.

The ``events/`` fixtures (events/README.md) name their vaults ``hourly``, ``daily``,
``monthly``, ``dr``, ``lag``, ``orchestrator-managed-key`` and ``orchestrator-svc-*``; the
template names them ``<stack>-hourly`` … ``<stack>-managed-key``, and no single stack holds them
all: the primary stack has the first three, the DR stack the ``dr`` vault. So both roles are
provisioned side by side, and the fixtures' vault names are rewritten to the stacks'
(``vault_names``); accounts, Regions and every
other ARN stay as they are.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import emulator
from core.kernel.service_key_vaults import MANAGED_VAULT_SUFFIX, SERVICE_KEYS, sibling_vault_arn
from demo.run import DEFAULT_SEED, ROOT
from demo.stack import DemoStack, provision_stack
from emulator import arns
from localrun.runtime import FunctionSpec

FIXTURE_ACCOUNT = "111122223333"  # the account and Region of every events/ fixture
FIXTURE_REGION = "us-east-1"
# events/README.md: "plan 5b8d2c4e-… listed in LAG_PLAN_IDS"; a plan made outside the stack,
# so it opts in through the template's ExtraLagPlanIds, as a deployed plan elsewhere would.
FIXTURE_LAG_PLAN_ID = "5b8d2c4e-1f3a-4e6b-9c7d-0a1b2c3d4e5f"
COPY_HANDLER = "handlers.copy_handler.lambda_handler"
STACK_ROLES = ("primary", "dr")
# The fixtures' names of the destination vaults, by the variable that names the stack's vault.
FIXTURE_NAME = "orchestrator"  # the Name of the fixtures' stack (localrun.samples)
FIXTURE_DESTINATIONS = {"lag": "LAG_VAULT_ARN", f"{FIXTURE_NAME}-managed-key": "MANAGED_VAULT_ARN"}


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    template: Path = ROOT / "template.yaml"
    parameters: dict[str, str] = field(default_factory=dict)  # both stacks; StackRole is set
    stack_name: str = "backup-copy-demo"  # the primary's; the DR stack's gets "-dr"
    managed_vault_policy: str = "fail"
    seed: int = DEFAULT_SEED


@dataclass(slots=True)
class ReplayWorld:
    stacks: dict[str, DemoStack]  # stack role -> stack
    account: str
    region: str
    vault_names: dict[str, str]  # fixture vault name -> the stack's vault name
    runtime_stack: DemoStack  # every stack's functions, for one LambdaRuntime

    @property
    def primary(self) -> DemoStack:
        return self.stacks["primary"]

    def copy_functions(self) -> list[FunctionSpec]:
        return [s for s in self.runtime_stack.functions.values() if s.handler == COPY_HANDLER]

    def copy_function_for(self, vault_name: str | None) -> FunctionSpec:
        """The copy function whose stack protects ``vault_name``; the primary's otherwise."""
        functions = self.copy_functions()
        for spec in functions:
            if vault_name in _split(spec.environment.get("SOURCE_VAULT_NAMES", "")):
                return spec
        primary = {spec.name for spec in self.primary.functions.values()}
        return next(spec for spec in functions if spec.name in primary)

    def function_of_queue(self, queue_arn: str) -> tuple[FunctionSpec, str] | None:
        """The function an SQS event source feeds from ``queue_arn``, and the queue's URL."""
        for spec in self.runtime_stack.queue_functions:
            for source in spec.queues:
                if source.queue_arn == queue_arn:
                    return spec, source.queue_url
        return None

    def parking_queues(self) -> list[str]:
        urls = {
            s.environment.get("PARKING_QUEUE_URL", "")
            for s in self.runtime_stack.functions.values()
        }
        return sorted(url for url in urls if url)

    def ledger_tables(self) -> list[str]:
        return sorted(set(self.runtime_stack.tables.values()))

    def rule_label(self, rule_name: str) -> tuple[str, list[str]]:
        """A rule by its logical id in the template and its stack, with the provisioner's notes
        on it (targets moto cannot deliver to, such as a Lambda function, are not attached)."""
        for stack in self.stacks.values():
            for logical_id, rule in stack.provisioned.of_type("AWS::Events::Rule").items():
                if rule.ref == rule_name:
                    notes = stack.provisioned.notes
                    mine = [note for note in notes if note.startswith(f"{logical_id}:")]
                    return f"{logical_id} ({stack.stack_name})", mine
        return rule_name, []

    def summary(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "stacks": {role: stack.stack_name for role, stack in self.stacks.items()},
            "parameters": dict(self.primary.provisioned.parameters),
            "vault_names": dict(self.vault_names),
            "notes": list(self.runtime_stack.notes),
        }


def provision_world(options: ReplayOptions, account: str, region: str) -> ReplayWorld:
    """Both stack roles of the template, in the current moto mock (``replay_session``)."""
    emulator.install()
    emulator.configure(seed=options.seed, managed_vault_policy=options.managed_vault_policy)
    stacks = {
        role: provision_stack(
            options.template,
            {"ExtraLagPlanIds": FIXTURE_LAG_PLAN_ID, **options.parameters, "StackRole": role},
            stack_name=options.stack_name if role == "primary" else f"{options.stack_name}-{role}",
            region=region,
            account=account,
        )
        for role in STACK_ROLES
    }
    return ReplayWorld(stacks, account, region, _fixture_vault_names(stacks), _joined(stacks))


def _fixture_vault_names(stacks: dict[str, DemoStack]) -> dict[str, str]:
    """``daily`` -> ``<stack>-daily`` for each source vault; ``lag``, ``orchestrator-managed-key``
    and ``orchestrator-svc-*`` -> the primary stack's destination vaults."""
    names: dict[str, str] = {}
    for stack in stacks.values():
        environment = _copy_environment(stack)
        for vault in _split(environment.get("SOURCE_VAULT_NAMES", "")):
            names[vault.removeprefix(f"{stack.stack_name}-")] = vault
    primary = _copy_environment(stacks["primary"])
    for fixture_name, variable in FIXTURE_DESTINATIONS.items():
        if primary.get(variable):
            names[fixture_name] = arns.vault_name(primary[variable])
    # The service-key vaults, named after the managed-key vault (core.kernel.service_key_vaults).
    for service in SERVICE_KEYS:
        derived = sibling_vault_arn(primary["MANAGED_VAULT_ARN"], MANAGED_VAULT_SUFFIX, service)
        if derived is not None:
            names[f"{FIXTURE_NAME}-svc-{service}"] = arns.vault_name(derived)
    return names


def _copy_environment(stack: DemoStack) -> dict[str, str]:
    spec = next((s for s in stack.functions.values() if s.handler == COPY_HANDLER), None)
    if spec is None:
        raise ValueError(f"stack {stack.stack_name}: no function has the handler {COPY_HANDLER}")
    return spec.environment


def _joined(stacks: dict[str, DemoStack]) -> DemoStack:
    """One stack with every stack's functions and tables, each function named by its physical
    name (the logical ids repeat), so one LambdaRuntime plays Lambda for all of them."""
    primary = stacks["primary"]
    functions = {
        spec.name: dataclasses.replace(spec, logical_id=spec.name)
        for stack in stacks.values()
        for spec in stack.functions.values()
    }
    tables = {
        f"{stack.stack_name}/{logical_id}": name
        for stack in stacks.values()
        for logical_id, name in stack.tables.items()
    }
    notes = [f"{stack.stack_name}: {note}" for stack in stacks.values() for note in stack.notes]
    return DemoStack(
        primary.provisioned,
        functions,
        tables,
        primary.stack_name,
        primary.region,
        primary.account,
        notes,
    )


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]
