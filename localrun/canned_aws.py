"""Real boto3 clients whose calls are answered in memory, for the handlers under test and bench.

botocore still does all of its client-side work for every call (parameter validation against the
service model, serialization, event hooks, retry bookkeeping); only the HTTP exchange is replaced,
at the ``before-call`` event, the way ``botocore.stub.Stubber`` does it. Unlike a Stubber, the
answers are functions of the request, so the calls need not be known in advance. Every answer is
validated against the operation's output shape too.

``install`` makes ``adapters.clients`` hand these clients to the handlers.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

from adapters import clients

Answer = Callable[[dict[str, Any]], dict[str, Any]]
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
_PARAMS = "canned_params"


class CannedError(Exception):
    """Raise from an answer to make the call fail the way AWS would (ClientError)."""

    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


class CannedAws:
    def __init__(self, region: str, config: Config | None = None) -> None:
        self.region = region
        self.config = config or NO_RETRIES
        self.calls: Counter[tuple[str, str]] = Counter()
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.record_requests = True
        self._answers: dict[tuple[str, str], Answer] = {}
        self._clients: dict[str, BaseClient] = {}

    def answer(self, service: str, operation: str, answer: Answer) -> None:
        self._answers[(service, operation)] = answer

    def client(self, service: str) -> BaseClient:
        if service not in self._clients:
            made = boto3.session.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                region_name=self.region,
            ).client(service, config=self.config)  # type: ignore[call-overload]
            made.meta.events.register("before-parameter-build", _keep_params)
            made.meta.events.register("before-call", functools.partial(self._respond, service))
            self._clients[service] = made
        return self._clients[service]

    def count(self, service: str | None = None) -> int:
        return sum(n for (s, _), n in self.calls.items() if service in (None, s))

    def reset_counts(self) -> None:
        self.calls.clear()
        self.requests.clear()

    @contextmanager
    def installed(self) -> Iterator[CannedAws]:
        """``adapters.clients`` hands out these clients (and forgets them afterwards)."""
        original = clients._client
        clients._client = _cached(self.client)  # type: ignore[assignment]
        try:
            yield self
        finally:
            clients._client = original  # type: ignore[assignment]
            clients.reset()

    def _respond(
        self, service: str, model: Any, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]]:
        operation = model.name
        params = context.get(_PARAMS, {})
        self.calls[(service, operation)] += 1
        if self.record_requests:
            self.requests.append((service, operation, params))
        answer = self._answers.get((service, operation))
        if answer is None:
            raise AssertionError(f"no canned answer for {service} {operation}")
        try:
            parsed = answer(params)
        except CannedError as error:
            return _failure(error)
        _validate_output(model, parsed)
        metadata = {"HTTPStatusCode": 200, "RequestId": "canned", "HTTPHeaders": {}}
        return AWSResponse("https://canned", 200, {}, None), {  # type: ignore[arg-type]
            **parsed,
            "ResponseMetadata": metadata,
        }


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = dict(params)


def _cached(make: Callable[[str], BaseClient]) -> Callable[[str], BaseClient]:
    return functools.cache(make)


def _failure(error: CannedError) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": error.code, "Message": error.message},
        "ResponseMetadata": {"HTTPStatusCode": error.status, "HTTPHeaders": {}},
    }
    return AWSResponse("https://canned", error.status, {}, None), parsed  # type: ignore[arg-type]


def _validate_output(model: Any, parsed: dict[str, Any]) -> None:
    shape = model.output_shape
    if shape is None:
        return
    report = ParamValidator().validate(parsed, shape)
    if report.has_errors():
        raise ParamValidationError(report=report.generate_report())
