"""Run a custom resource's function for the emulator's CloudFormation, in this process.

``emulator.cloudformation.provision.from_template(invoke=LocalInvoker())``: the emulator sends
the Create request of each ``Custom::*`` resource to the function its ServiceToken names; this
runs that function's real handler through the local Lambda runtime (``localrun.runtime``), with the
configuration the template gives it and the variables Lambda sets for the function's Region
(``AWS_REGION``, ``AWS_DEFAULT_REGION``: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
The handler PUTs its reply to the request's ResponseURL, where the emulator reads it.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, TextIO

from emulator.cloudformation import intrinsics
from emulator.cloudformation.custom_resources import FunctionInvocation
from localrun.runtime import FunctionSpec, LambdaRuntime

DEFAULT_MEMORY_MB = 128  # Lambda's defaults, when the template sets neither
DEFAULT_TIMEOUT_SECONDS = 3


def function_spec(invocation: FunctionInvocation, stack_name: str) -> FunctionSpec:
    configuration = invocation.configuration
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    environment = {
        name: str(value) for name, value in variables.items() if value is not intrinsics.NO_VALUE
    }
    environment |= {"AWS_REGION": invocation.region, "AWS_DEFAULT_REGION": invocation.region}
    # The function's calls land in its own account of the emulator (moto reads it per request).
    environment["MOTO_ACCOUNT_ID"] = invocation.account
    name = invocation.function_name
    logical_id = name.removeprefix(f"{stack_name}-")
    return FunctionSpec(
        logical_id=logical_id,
        name=name,
        arn=invocation.function_arn,
        handler=str(configuration["Handler"]),
        environment=environment,
        memory_mb=int(configuration.get("MemorySize") or DEFAULT_MEMORY_MB),
        timeout_seconds=int(configuration.get("Timeout") or DEFAULT_TIMEOUT_SECONDS),
    )


@dataclass(slots=True)
class _OneFunction:
    """The ``Deployment`` of one function (what ``LambdaRuntime`` needs to run it)."""

    spec: FunctionSpec
    stack_name: str
    region: str
    account: str

    @property
    def functions(self) -> dict[str, FunctionSpec]:
        return {self.spec.logical_id: self.spec}


@dataclass(slots=True)
class LocalInvoker:
    """An ``Invoke`` for the emulator: each request runs the function's handler once.

    An error of the handler is what Lambda would record: it goes to ``log``, and the emulator,
    finding no reply, fails the resource as CloudFormation would after its ServiceTimeout."""

    stack_name: str
    log: TextIO | None = None
    errors: list[str] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)

    def __call__(self, invocation: FunctionInvocation) -> None:
        spec = function_spec(invocation, self.stack_name)
        deployment = _OneFunction(spec, self.stack_name, invocation.region, invocation.account)
        with LambdaRuntime(deployment, log=self.log) as runtime:
            try:
                self.answers.append(runtime.invoke(spec, invocation.event))
            except Exception:  # Lambda records an invocation error and moves on
                self.errors.append(traceback.format_exc())
                if self.log is not None:
                    self.log.write(f"{spec.logical_id} invocation failed:\n{self.errors[-1]}")
