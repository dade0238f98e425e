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
from pathlib import Path
from typing import Any, Protocol, TextIO, cast

from adapters.sessions import Connection, function_environments
from copyctl.dev_modules import import_dev_module
from core.kernel.errors import OrchestratorError

LOCAL_MODULE = "emulator.local_env"


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
    ) -> dict[str, dict[str, str]]: ...

    def fill_layer_cache(self, cache: Path, *, template: Path = ..., region: str = ...) -> Path: ...


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
        environments = local.local_environments(args.endpoint_url, **options)
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


def _local_stack() -> _LocalStack:
    return cast(_LocalStack, import_dev_module(LOCAL_MODULE, "copyctl local-env --endpoint-url"))


def _pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise OrchestratorError("invalid-parameter", f"--parameter needs KEY=VALUE, got {text!r}")
    return key, value
