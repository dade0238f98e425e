"""CloudFormation StackSets on the emulator: moto's stack-set API, this package's provisioner.

moto 5.2.5 keeps stack sets, their operations and ListStackInstances, but a service-managed
instance becomes a hidden moto stack built by moto's own CloudFormation (which knows no
``AWS::Backup::*`` type), no member account can DescribeStacks it, the management account is
targeted when it sits in a target OU, only one level of child OUs is followed, and
ParameterOverrides replace the stack set's parameters instead of overriding some of them.
``install()`` swaps moto's stack-set model for one that, as AWS documents it:

- targets every account under the OUs of ``DeploymentTargets`` (child OUs at any depth) and never
  the management account: "CloudFormation doesn't deploy stacks to the management account"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-associate-stackset-with-org.html);
- gives each instance the stack set's parameters with the instance's ``ParameterOverrides`` on
  top ("A list of stack set parameters whose values you want to override in the selected stack
  instances", https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackInstances.html);
- provisions the stack set's template (plain CloudFormation: no transform) with
  ``provision.from_template`` into that account's and Region's backends, under a generated stack
  name ``StackSet-<stack set name>-<uuid>``, and registers the stack in that account's
  CloudFormation so ``DescribeStacks`` there answers with its parameters and outputs;
- reports an instance whose stack failed as ``OUTDATED``/``FAILED`` with the reason, and the
  operation as ``FAILED`` (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceSummary.html).

Custom resources need a function runner, which only the caller has: ``set_custom_resource_invoker``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from moto.cloudformation import models as cfn_models
from moto.cloudformation.utils import generate_stack_id
from moto.organizations.models import organizations_backends

from emulator.cloudformation import custom_resources, reader

# (account, region, stack name) -> the function runner of that stack's custom resources, or None.
InvokerFactory = Callable[[str, str, str], custom_resources.Invoke | None]
_invoker_factory: InvokerFactory | None = None


def set_custom_resource_invoker(factory: InvokerFactory | None) -> None:
    """How stack instances run their custom resources' functions (None: they are skipped)."""
    global _invoker_factory  # noqa: PLW0603 - one process-wide setting, like configure()
    _invoker_factory = factory


@dataclass(frozen=True, slots=True)
class DeployedInstance:
    """One stack instance as the emulator deployed it (what a test or the demo drives)."""

    stack_set_name: str
    account: str
    region: str
    stack_name: str
    stack_id: str
    status: str  # SUCCEEDED or FAILED
    reason: str
    parameters: dict[str, Any]
    provisioned: Any  # provision.Provisioned, or None when the stack failed


class _MemberStack(cfn_models.Stack):  # type: ignore[misc]
    """The instance's stack as DescribeStacks shows it in the member account."""

    def __init__(self, instance: DeployedInstance, description: str | None) -> None:
        super().__init__(
            stack_id=instance.stack_id,
            name=instance.stack_name,
            template={},
            parameters={},
            account_id=instance.account,
            region_name=instance.region,
        )
        self._given = instance.parameters
        self._outputs = instance.provisioned.outputs if instance.provisioned else {}
        self.description = description
        self.status = "CREATE_COMPLETE" if instance.status == "SUCCEEDED" else "ROLLBACK_COMPLETE"
        self.stack_status_reason = instance.reason or None

    @property
    def parameter_list(self) -> list[dict[str, Any]]:
        return [
            {"ParameterKey": key, "ParameterValue": _text(value)}
            for key, value in sorted(self._given.items())
        ]

    @property
    def stack_parameters(self) -> dict[str, Any]:
        return dict(self._given)

    @property
    def outputs(self) -> list[dict[str, Any]] | None:
        listed = [
            {"OutputKey": key, "OutputValue": _text(value)}
            for key, value in sorted(self._outputs.items())
        ]
        return listed or None


def _text(value: Any) -> str:
    return ",".join(str(item) for item in value) if isinstance(value, list) else str(value)


class _StackInstance(cfn_models.StackInstance):  # type: ignore[misc]
    def __init__(
        self,
        *,
        stack_set: _StackSet,
        account: str,
        region: str,
        overrides: list[dict[str, Any]],
        organizational_unit_id: str | None,
    ) -> None:
        # moto's constructor would build the stack with moto's CloudFormation: not called.
        self.account_id = account
        self.region_name = region
        self.stackset_id = stack_set.id
        self.name = stack_set.name
        self.template = stack_set.template
        self.parameters = overrides  # what ListStackInstances reports as ParameterOverrides
        self.permission_model = stack_set.permission_model
        self.organizational_unit_id = organizational_unit_id
        self.stack_name = f"StackSet-{stack_set.name}-{uuid.uuid4()}"
        self.stack_id = generate_stack_id(self.stack_name, region, account)
        self.deployed = _deploy(stack_set, self, overrides)
        stack = _MemberStack(self.deployed, stack_set.description)  # type: ignore[abstract]
        cfn_models.cloudformation_backends[account][region].stacks[self.stack_id] = stack

    def delete(self) -> None:
        # Resources stay (the template's vaults are retained anyway); the stack goes.
        backend = cfn_models.cloudformation_backends[self.account_id][self.region_name]
        backend.stacks.pop(self.stack_id, None)

    def to_dict(self) -> dict[str, Any]:
        failed = self.deployed.status == "FAILED"
        summary = {
            "StackSetId": self.stackset_id,
            "Region": self.region_name,
            "Account": self.account_id,
            "StackId": self.stack_id,
            "Status": "OUTDATED" if failed else "CURRENT",
            "StackInstanceStatus": {"DetailedStatus": self.deployed.status},
            "ParameterOverrides": self.parameters,
        }
        if self.organizational_unit_id:
            summary["OrganizationalUnitId"] = self.organizational_unit_id
        if failed:
            summary["StatusReason"] = self.deployed.reason
        return summary


def _deploy(
    stack_set: _StackSet, instance: _StackInstance, overrides: list[dict[str, Any]]
) -> DeployedInstance:
    from emulator.cloudformation import provision  # noqa: PLC0415 - provision installs routing

    parameters = {**stack_set.parameters, **_as_dict(overrides)}
    invoke = (
        _invoker_factory(instance.account_id, instance.region_name, instance.stack_name)
        if _invoker_factory
        else None
    )
    status, reason, provisioned = "SUCCEEDED", "", None
    try:
        provisioned = provision.from_template(
            stack_set.template_dict,
            parameters,
            account=instance.account_id,
            region=instance.region_name,
            stack_name=instance.stack_name,
            invoke=invoke,
        )
    except Exception as error:  # any failure of the stack is the instance's reason, as in AWS
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    return DeployedInstance(
        stack_set_name=stack_set.name,
        account=instance.account_id,
        region=instance.region_name,
        stack_name=instance.stack_name,
        stack_id=instance.stack_id,
        status=status,
        reason=reason,
        parameters=provisioned.parameters if provisioned else parameters,
        provisioned=provisioned,
    )


def _as_dict(parameters: Any) -> dict[str, Any]:
    if isinstance(parameters, dict):
        return dict(parameters)
    return {p["ParameterKey"]: p["ParameterValue"] for p in parameters or []}


class _StackInstances(cfn_models.StackInstances):  # type: ignore[misc]
    stack_set: _StackSet

    def create_instances(
        self,
        accounts: list[str],
        regions: list[str],
        parameters: list[dict[str, Any]] | None,
        deployment_targets: dict[str, Any],
        permission_model: str,
    ) -> list[dict[str, Any]]:
        # moto hands the stack set's own parameters (a dict) when the request had no overrides.
        overrides = [] if isinstance(parameters, dict) else list(parameters or [])
        created = []
        for region in regions:
            for account, ou_id in self._targets(accounts, deployment_targets, permission_model):
                if self.get_instance(account, region) is not None:
                    continue  # an instance per account and Region: creating it again is a no-op
                instance = _StackInstance(
                    stack_set=self.stack_set,
                    account=account,
                    region=region,
                    overrides=overrides,
                    organizational_unit_id=ou_id,
                )
                self.stack_instances.append(instance)
                created.append(instance)
        return [instance.to_dict() for instance in created]

    def _targets(
        self, accounts: list[str], targets: dict[str, Any], permission_model: str
    ) -> Iterator[tuple[str, str | None]]:
        if permission_model != "SERVICE_MANAGED":
            yield from ((account, None) for account in accounts)
            return
        organization = organizations_backends[self.account_id][self.partition]
        management = organization.org.master_account_id if organization.org else None
        for ou_id in targets.get("OrganizationalUnitIds", []):
            for account in _accounts_under(organization, ou_id):
                if account != management:
                    yield account, ou_id


def _accounts_under(organization: Any, ou_id: str) -> list[str]:
    """Accounts whose parent is the OU or the root, or any OU below it, in creation order."""
    below = {ou_id}
    grew = True
    while grew:
        children = {ou.id for ou in organization.ou if ou.parent_id in below}
        grew = not children <= below
        below |= children
    return [account.id for account in organization.accounts if account.parent_id in below]


class _StackSet(cfn_models.StackSet):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The template is read once (JSON or YAML, short forms allowed) for every instance.
        self.template_dict = reader.loads(self.template)
        instances = _StackInstances(
            account_id=self.instances.account_id,
            region=kwargs["region"],
            template=self.template,
            parameters=self.parameters,
            stackset_id=self.id,
            stackset_name=self.name,
        )
        instances.stack_set = self
        self.instances = instances
        self.stack_instances = instances.stack_instances

    def create_stack_instances(
        self,
        accounts: list[str],
        regions: list[str],
        deployment_targets: dict[str, Any] | None,
        parameters: list[dict[str, Any]],
    ) -> str:
        before = len(self.stack_instances)
        operation_id: str = super().create_stack_instances(
            accounts, regions, deployment_targets, parameters
        )
        if any(i.status == "FAILED" for i in self.deployed_instances()[before:]):
            self.update_operation(operation_id, "FAILED")
        return operation_id

    def deployed_instances(self) -> list[DeployedInstance]:
        instances = cast("list[_StackInstance]", self.stack_instances)
        return [instance.deployed for instance in instances]


_installed = False


def install() -> None:
    """Make moto's CloudFormation build stack sets with the classes above; idempotent."""
    global _installed  # noqa: PLW0603 - one process-wide switch, by design
    if _installed:
        return
    cfn_models.StackSet = _StackSet  # type: ignore[misc]
    _installed = True


def deployed_instances(stack_set_name: str, *, account: str, region: str) -> list[DeployedInstance]:
    """The instances of a stack set of ``account`` (the management or delegated administrator
    account) in its home ``region``, with what each stack provisioned."""
    backend = cfn_models.cloudformation_backends[account][region]
    stack_set = cast("_StackSet", backend.describe_stack_set(stack_set_name))
    return stack_set.deployed_instances()
