"""``copyctl local-env``: the ``--env-vars`` file for ``sam local invoke``.

SAM CLI gives every environment value it cannot resolve locally (a ``!GetAtt`` of a vault, the
role, the plans) an empty string, and overrides only the variables the template declares, from
a JSON file ``{"FunctionLogicalId": {"VAR": "value"}, "Parameters": {...}}``
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-invoke.html,
"Environment variable file"). This writes one object per function:

- ``--stack NAME`` (with ``--region``/``--profile``): the deployed functions' own environments
  (CloudFormation ListStackResources, Lambda GetFunctionConfiguration), so the function runs
  locally against that stack's vaults, ledger and topic.
- ``--endpoint-url URL``: offline, against a running emulator server (``python -m
  emulator.server``): ``template.yaml`` is provisioned in it and the functions are pointed at it
  through ``AWS_ENDPOINT_URL``; ``--events-out DIR`` also writes the ``events/`` samples for that
  stack; ``--layer-cache DIR`` also installs the template's Powertools layer (the tested
  release) where ``sam local invoke --layer-cache-basedir DIR`` looks before it downloads, so no
  layer is downloaded and no AWS credentials are needed. The emulator is a development tool,
  imported only here and only when asked for.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, TextIO, cast

from adapters.sessions import Connection, function_environments
from copyctl.dev_modules import import_dev_module
from core.kernel.errors import OrchestratorError

LOCAL_MODULE = "emulator.local_env"
LAMBDA_MODULE = "localrun.lambda_endpoint"
SAMPLES_LAG_PLAN = {"ExtraLagPlanIds": "5b8d2c4e-1f3a-4e6b-9c7d-0a1b2c3d4e5f"}  # events/README.md
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


class _LocalStack(Protocol):
    """What copyctl uses of ``emulator.local_env``."""

    def local_environments(
        self,
        endpoint_url: str,
        *,
        template: Path = ...,
        parameters: dict[str, str] | None = ...,
        region: str = ...,
        stack_name: str = ...,
        function_endpoint_url: str | None = ...,
        events: Iterable[Path] = ...,
        events_out: Path | None = ...,
        lambda_endpoint_url: str | None = ...,
    ) -> dict[str, dict[str, str]]: ...

    def fill_layer_cache(self, cache: Path, *, template: Path = ..., region: str = ...) -> Path: ...


class _LambdaEndpoint(Protocol):
    """What copyctl uses of ``localrun.lambda_endpoint``."""

    def template_functions(
        self,
        template: Path,
        parameters: dict[str, str],
        *,
        stack_name: str,
        region: str,
        account: str,
        environment: dict[str, str],
    ) -> dict[str, Any]: ...

    def lambda_endpoint(
        self, functions: dict[str, Any], *, stack_name: str, region: str, account: str
    ) -> AbstractContextManager[str]: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="a deployed stack: its functions' environments")
    where.add_argument(
        "--endpoint-url", help="a running emulator server: provision template.yaml in it, offline"
    )
    parser.add_argument("--region", help="the stack's Region (default: the profile's)")
    parser.add_argument("--profile", help="AWS named profile")
    offline = parser.add_argument_group("offline (--endpoint-url)")
    offline.add_argument("--template", type=Path, help="SAM template (default: template.yaml)")
    offline.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter (repeatable; default: ExtraLagPlanIds=<the samples' plan>)",
    )
    offline.add_argument("--stack-name", default="local", help="names the vaults (default: local)")
    offline.add_argument(
        "--function-endpoint-url",
        help="the emulator as the function's container reaches it (default: --endpoint-url; "
        "Docker Desktop: http://host.docker.internal:PORT)",
    )
    offline.add_argument(
        "--events-out",
        type=Path,
        metavar="DIR",
        help="write the events/ samples rewritten for this stack here (their recovery points "
        "are put into the emulator)",
    )
    offline.add_argument(
        "--layer-cache",
        type=Path,
        metavar="DIR",
        help="install the template's Powertools layer here for `sam local invoke "
        "--layer-cache-basedir DIR` (no layer download, no AWS credentials; needs pip's index)",
    )


def local_env(args: argparse.Namespace, out: TextIO) -> int:
    if args.stack:
        connection = Connection(profile=args.profile, region=args.region)
        environments = function_environments(connection, args.stack)
    else:
        options: dict[str, Any] = {
            "region": args.region or "us-east-1",
            "stack_name": args.stack_name,
            "function_endpoint_url": args.function_endpoint_url,
            "events_out": args.events_out,
        }
        if args.parameter:
            options["parameters"] = dict(_pair(text) for text in args.parameter)
        if args.template is not None:
            options["template"] = args.template
        local = _local_stack()
        environments = _provisioned(local, args.endpoint_url, options)
        if args.layer_cache is not None:
            layer_options = {key: options[key] for key in ("template", "region") if key in options}
            directory = local.fill_layer_cache(args.layer_cache, **layer_options)
            print(
                f"Powertools layer cached in {directory}; run, with this output as env.json:\n"
                f"  sam local invoke FUNCTION --region {options['region']} -e EVENT "
                f"--env-vars env.json --layer-cache-basedir {args.layer_cache}",
                file=sys.stderr,
            )
    json.dump(environments, out, indent=2, sort_keys=True)
    out.write("\n")
    return 0


def _provisioned(
    local: _LocalStack, endpoint_url: str, options: dict[str, Any]
) -> dict[str, dict[str, str]]:
    """Provision while this process serves the Lambda API for the template's custom resources:
    the emulator server sends the service-key resolver its Create request here, the real handler
    runs against the server's KMS and PUTs its reply to the server's ResponseURL."""
    functions_module = cast(
        _LambdaEndpoint, import_dev_module(LAMBDA_MODULE, "copyctl local-env --endpoint-url")
    )
    region, stack_name = options["region"], options["stack_name"]
    account = "123456789012"  # moto's default account: the server's, for keys without identity
    functions = functions_module.template_functions(
        options.get("template", DEFAULT_TEMPLATE),
        options.get("parameters", SAMPLES_LAG_PLAN),
        stack_name=stack_name,
        region=region,
        account=account,
        environment={
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # Lambda gives a function its role's credentials; the emulator checks none
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        },
    )
    endpoint = functions_module.lambda_endpoint(
        functions, stack_name=stack_name, region=region, account=account
    )
    with endpoint as lambda_url:
        return local.local_environments(endpoint_url, lambda_endpoint_url=lambda_url, **options)


def _local_stack() -> _LocalStack:
    return cast(_LocalStack, import_dev_module(LOCAL_MODULE, "copyctl local-env --endpoint-url"))


def _pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise OrchestratorError("invalid-parameter", f"--parameter needs KEY=VALUE, got {text!r}")
    return key, value
