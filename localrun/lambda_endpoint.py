"""A local endpoint of the Lambda API's Invoke operation, backed by the local Lambda runtime.

``POST /2015-03-31/functions/{FunctionName}/invocations`` with the event as the body runs that
function's real handler in this process and answers its result; an error of the handler answers
with the header ``X-Amz-Function-Error: Unhandled``, as Lambda does
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). The emulator server's
CloudFormation calls it for custom resources (``emulator.cloudformation.custom_resources.
lambda_api_invoker``) when ``copyctl local-env`` provisions the template: the service-key resolver
then runs here, calls the emulator's KMS, and PUTs its reply to the emulator's ResponseURL.
"""

from __future__ import annotations

import json
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from emulator.cloudformation import intrinsics, reader
from emulator.cloudformation.provision import parameter_values, with_globals
from localrun.runtime import FunctionSpec, LambdaRuntime

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
_PATH_PREFIX = "/2015-03-31/functions/"
_PATH_SUFFIX = "/invocations"
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_SECONDS = 3


@dataclass(frozen=True, slots=True)
class _Deployment:
    functions: dict[str, FunctionSpec]
    stack_name: str
    region: str
    account: str


def template_functions(
    template: Path,
    parameters: dict[str, str],
    *,
    stack_name: str,
    region: str,
    account: str,
    environment: dict[str, str],
) -> dict[str, FunctionSpec]:
    """The template's functions by the name the emulator gives them (``<stack>-<logical id>``),
    with their handler and configuration; ``environment`` is added to each one's variables (the
    endpoint, Region and credentials Lambda would give it). Variables that name other resources
    are placeholders: the functions run here before those are known."""
    document = reader.load(template)
    context = intrinsics.Context(
        region=region,
        account=account,
        stack_name=stack_name,
        parameters=parameter_values(document, dict(parameters)),
        condition_definitions=document.get("Conditions") or {},
        mappings=document.get("Mappings") or {},
    )
    globals_ = document.get("Globals") or {}
    functions = {}
    for logical_id, spec in (document.get("Resources") or {}).items():
        if spec.get("Type") != SERVERLESS_FUNCTION:
            continue
        properties = intrinsics.evaluate(with_globals(SERVERLESS_FUNCTION, spec, globals_), context)
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        name = f"{stack_name}-{logical_id}"
        functions[name] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=f"arn:aws:lambda:{region}:{account}:function:{name}",
            handler=str(properties["Handler"]),
            environment={k: str(v) for k, v in variables.items()} | environment,
            memory_mb=int(properties.get("MemorySize") or DEFAULT_MEMORY_MB),
            timeout_seconds=int(properties.get("Timeout") or DEFAULT_TIMEOUT_SECONDS),
        )
    return functions


@contextmanager
def lambda_endpoint(
    functions: dict[str, FunctionSpec],
    *,
    stack_name: str,
    region: str,
    account: str,
    log: TextIO | None = None,
) -> Iterator[str]:
    """Serve Invoke for ``functions`` (by function name) on 127.0.0.1; yields the endpoint URL."""
    deployment = _Deployment(functions, stack_name, region, account)
    lock = threading.Lock()  # one invocation at a time: the runtime sets the process environment

    def run(name: str, event: Any) -> tuple[bool, Any]:
        spec = functions.get(name)
        if spec is None:
            return False, {"errorMessage": f"Function not found: {name}"}
        with lock, LambdaRuntime(deployment, log=log) as runtime:
            try:
                return True, runtime.invoke(spec, event)
            except Exception as error:  # Lambda reports it as an unhandled function error
                if log is not None:
                    log.write(f"{spec.logical_id} invocation failed:\n{traceback.format_exc()}")
                return False, {"errorMessage": str(error), "errorType": type(error).__name__}

    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(run))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _handler_class(run: Callable[[str, Any], tuple[bool, Any]]) -> type[BaseHTTPRequestHandler]:
    class _Invoke(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            if not (path.startswith(_PATH_PREFIX) and path.endswith(_PATH_SUFFIX)):
                self.send_error(404)
                return
            name = urllib.parse.unquote(path[len(_PATH_PREFIX) : -len(_PATH_SUFFIX)])
            length = int(self.headers.get("Content-Length") or 0)
            event = json.loads(self.rfile.read(length) or b"{}")
            succeeded, answer = run(name, event)
            body = json.dumps(answer, default=str).encode()
            self.send_response(200)
            if not succeeded:
                self.send_header("X-Amz-Function-Error", "Unhandled")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return _Invoke
