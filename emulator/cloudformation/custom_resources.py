"""Custom resources (``Custom::<Name>``, ``AWS::CloudFormation::CustomResource``) as CloudFormation
runs them: a request to the function named by ``ServiceToken``, the reply read from the request's
``ResponseURL``.

- The request: RequestType, RequestId, ResponseURL, ResourceType, LogicalResourceId, StackId and
  ResourceProperties (every property of the resource, ServiceToken included, sent "verbatim")
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html).
  The emulator only creates stacks, so it sends Create requests only.
- The reply: a JSON document PUT to the ResponseURL (in AWS a presigned S3 URL), with Status
  SUCCESS or FAILED, Reason (required when FAILED), a non-empty PhysicalResourceId, StackId,
  RequestId and LogicalResourceId copied from the request, and Data for Fn::GetAtt; "The total
  size of the response body can't exceed 4096 bytes"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
  Here the URL is a local HTTP listener (``ResponseInbox``, on 127.0.0.1): the function's own
  upload code really runs. A FAILED reply, or none, fails the provisioning with the reason, as the
  stack would roll back ("If no response is received before the timeout period expires, the request
  is considered unsuccessful", crpg-ref.html).
- ServiceTimeout: "The value must be an integer from 1 to 3600"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-customresource.html).

The emulator imports nothing of the product: running the function is the caller's ``Invoke``
(the local Lambda runtime, ``localrun``, or a Lambda API endpoint: ``lambda_api_invoker``).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"
MAX_REPLY_BYTES = 4096
_STATUSES = frozenset({"SUCCESS", "FAILED"})
_COPIED = ("StackId", "RequestId", "LogicalResourceId")


def is_custom_resource(kind: str) -> bool:
    return kind == CUSTOM_RESOURCE or kind.startswith("Custom::")


@dataclass(frozen=True, slots=True)
class FunctionInvocation:
    """One request for a function: its ARN, the event, and its configuration as the template
    gives it (Handler, Environment, MemorySize, Timeout ...: what Lambda knows of a function)."""

    function_arn: str
    event: dict[str, Any]
    configuration: dict[str, Any]
    account: str
    region: str

    @property
    def function_name(self) -> str:
        return self.function_arn.rsplit(":", 1)[-1]


# Runs the function (synchronously or not); its reply arrives at the event's ResponseURL.
Invoke = Callable[[FunctionInvocation], None]


class CustomResourceError(RuntimeError):
    """A custom resource answered FAILED, or not at all: the stack operation fails."""


@dataclass(slots=True)
class ReceivedReply:
    body: bytes
    content_type: str | None

    def document(self) -> Any:
        return json.loads(self.body)


@dataclass(slots=True)
class ResponseInbox:
    """An HTTP listener on the loopback interface that keeps each PUT body by path: the emulated
    presigned ResponseURLs. Use as a context manager."""

    host: str = "127.0.0.1"
    replies: dict[str, ReceivedReply] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __enter__(self) -> ResponseInbox:
        inbox = self

        class _Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                inbox.replies[self.path.split("?", 1)[0]] = ReceivedReply(
                    body, self.headers.get("Content-Type")
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((self.host, 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._server = None

    def url_for(self, stack_id: str, logical_id: str, request_id: str) -> str:
        """A URL in the shape of CloudFormation's (bucket path: stack ARN|logical id|request id)."""
        if self._server is None:
            raise RuntimeError("the response inbox is not listening")
        port = self._server.server_address[1]
        key = urllib.parse.quote(f"{stack_id}|{logical_id}|{request_id}", safe="")
        return f"http://{self.host}:{port}/cloudformation-custom-resource-response/{key}"

    def reply_to(self, url: str) -> ReceivedReply | None:
        return self.replies.get(urllib.parse.urlsplit(url).path)


@dataclass(frozen=True, slots=True)
class CreatedCustomResource:
    physical_resource_id: str
    data: dict[str, Any]


def create(
    *,
    logical_id: str,
    kind: str,
    properties: dict[str, Any],
    stack_id: str,
    functions: dict[str, dict[str, Any]],
    invoke: Invoke,
    inbox: ResponseInbox,
    account: str,
    region: str,
) -> CreatedCustomResource:
    """Send the Create request to the ServiceToken's function and read its reply."""
    token = properties.get("ServiceToken")
    if not isinstance(token, str) or token not in functions:
        raise CustomResourceError(
            f"{logical_id}: ServiceToken {token!r} is not a Lambda function of this stack"
        )
    if f":{region}:" not in token:
        raise CustomResourceError(f"{logical_id}: the ServiceToken is not in the stack's Region")
    timeout = properties.get("ServiceTimeout", "3600")
    if not str(timeout).isdigit() or not 1 <= int(timeout) <= 3600:
        raise CustomResourceError(f"{logical_id}: ServiceTimeout {timeout!r} is not 1 to 3600")
    request_id = str(uuid.uuid4())
    url = inbox.url_for(stack_id, logical_id, request_id)
    event = {
        "RequestType": "Create",
        "RequestId": request_id,
        "ResponseURL": url,
        "ResourceType": kind,
        "LogicalResourceId": logical_id,
        "StackId": stack_id,
        "ResourceProperties": properties,
    }
    invoke(FunctionInvocation(token, event, functions[token], account, region))
    received = inbox.reply_to(url)
    if received is None:
        raise CustomResourceError(
            f"{logical_id}: no reply at the ResponseURL; CloudFormation would fail the resource "
            f"after ServiceTimeout ({timeout} s)"
        )
    return _accepted(logical_id, event, received)


def _accepted(
    logical_id: str, event: dict[str, Any], received: ReceivedReply
) -> CreatedCustomResource:
    if len(received.body) > MAX_REPLY_BYTES:
        raise CustomResourceError(f"{logical_id}: the reply is over {MAX_REPLY_BYTES} bytes")
    try:
        reply = received.document()
    except json.JSONDecodeError as error:
        raise CustomResourceError(f"{logical_id}: the reply is not JSON: {error}") from error
    if not isinstance(reply, dict) or reply.get("Status") not in _STATUSES:
        raise CustomResourceError(f"{logical_id}: the reply has no Status SUCCESS or FAILED")
    for name in _COPIED:
        if reply.get(name) != event[name]:
            raise CustomResourceError(f"{logical_id}: the reply's {name} is not the request's")
    if reply["Status"] == "FAILED":
        raise CustomResourceError(f"{logical_id}: {reply.get('Reason') or '(no Reason)'}")
    physical = reply.get("PhysicalResourceId")
    if not isinstance(physical, str) or not physical:
        raise CustomResourceError(f"{logical_id}: the reply has no PhysicalResourceId")
    data = reply.get("Data") or {}
    if not isinstance(data, dict):
        raise CustomResourceError(f"{logical_id}: the reply's Data is not an object")
    return CreatedCustomResource(physical, data)


def lambda_api_invoker(endpoint_url: str, timeout: float = 300.0) -> Invoke:
    """Invoke through the Lambda API's Invoke operation at ``endpoint_url`` (``sam local
    start-lambda``, or ``localrun.lambda_endpoint``): POST
    /2015-03-31/functions/{FunctionName}/invocations with the event as the payload
    (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). CloudFormation invokes a
    custom resource's function asynchronously; here the call waits, so the reply is there when
    it returns."""
    base = endpoint_url.rstrip("/")

    def invoke(invocation: FunctionInvocation) -> None:
        name = urllib.parse.quote(invocation.function_name, safe="")
        request = urllib.request.Request(  # noqa: S310 - the caller's local Lambda endpoint
            f"{base}/2015-03-31/functions/{name}/invocations",
            data=json.dumps(invocation.event).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Amz-Invocation-Type": "RequestResponse",
            },
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            answer.read()

    return invoke
