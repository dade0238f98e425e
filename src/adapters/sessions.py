"""boto3 clients for ``copyctl``: a named profile, a Region, and an endpoint (the emulator server).

The Lambda functions use ``adapters.clients`` (one default session per container); an operator's
command line picks its session explicitly, and reads the stack's configuration from its outputs.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from adapters.aws_errors import translated
from core.kernel.errors import PermanentError

if TYPE_CHECKING:
    from mypy_boto3_backup import BackupClient
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sns import SNSClient

# Standard retries: 3 attempts unless AWS_MAX_ATTEMPTS (or the profile's max_attempts) says.
_CONFIG = Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=30)


@dataclass(frozen=True)
class TemporaryCredentials:
    """An assumed role's session (``adapters.organization``): used instead of the profile."""

    access_key_id: str
    secret_access_key: str
    session_token: str


@dataclass(frozen=True)
class Connection:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    credentials: TemporaryCredentials | None = None


@dataclass(frozen=True)
class AwsClients:
    backup: BackupClient
    dynamodb: DynamoDBClient
    kms: KMSClient
    sns: SNSClient
    # KMS in another Region: the keys of cross-Region copies (adapters.kms.KmsKeys).
    kms_in: Callable[[str], KMSClient] | None = None


def open_clients(connection: Connection) -> AwsClients:
    with _setup_errors():
        session = _session(connection)
        return AwsClients(
            backup=_client(session, "backup", connection),
            dynamodb=_client(session, "dynamodb", connection),
            kms=_client(session, "kms", connection),
            sns=_client(session, "sns", connection),
            kms_in=functools.cache(
                lambda region: session.client(
                    "kms", region_name=region, endpoint_url=connection.endpoint_url, config=_CONFIG
                )
            ),
        )


def stack_outputs(connection: Connection, stack_name: str) -> dict[str, str]:
    """The stack's outputs by key (CloudFormation DescribeStacks: the only call it needs)."""
    with _setup_errors():
        client = _client(_session(connection), "cloudformation", connection)
    with translated("DescribeStacks"):
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    if not stacks:
        raise PermanentError("stack-not-found", f"no stack named {stack_name}")
    return {
        output["OutputKey"]: output["OutputValue"]
        for output in stacks[0].get("Outputs", [])
        if "OutputKey" in output and "OutputValue" in output
    }


def function_environments(connection: Connection, stack_name: str) -> dict[str, dict[str, str]]:
    """The environment of each Lambda function of the stack, by logical id, as deployed."""
    with _setup_errors():
        session = _session(connection)
        cloudformation = _client(session, "cloudformation", connection)
        functions = _client(session, "lambda", connection)
    return read_function_environments(cloudformation, functions, stack_name)


def read_function_environments(
    cloudformation: CloudFormationClient, functions: LambdaClient, stack_name: str
) -> dict[str, dict[str, str]]:
    """ListStackResources (the stack's AWS::Lambda::Function resources: logical id and function
    name), then GetFunctionConfiguration of each: the exact values the deployed functions read,
    with no second evaluation of the template."""
    names: dict[str, str] = {}
    with translated("ListStackResources"):
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for page in pages:
            for summary in page["StackResourceSummaries"]:
                physical = summary.get("PhysicalResourceId")
                if summary["ResourceType"] == "AWS::Lambda::Function" and physical:
                    names[summary["LogicalResourceId"]] = physical
    if not names:
        raise PermanentError("no-functions", f"stack {stack_name} has no Lambda function")
    environments: dict[str, dict[str, str]] = {}
    for logical_id, name in sorted(names.items()):
        with translated("GetFunctionConfiguration"):
            answer = functions.get_function_configuration(FunctionName=name)
        environments[logical_id] = dict(answer.get("Environment", {}).get("Variables", {}))
    return environments


def session_of(connection: Connection) -> boto3.session.Session:
    """The connection's session: its assumed-role credentials, else its profile."""
    with _setup_errors():
        return _session(connection)


def client_of(session: boto3.session.Session, service: str, connection: Connection) -> Any:
    """A client of the session, at the connection's endpoint, with copyctl's retries."""
    with _setup_errors():
        return _client(session, service, connection)


def _session(connection: Connection) -> boto3.session.Session:
    if connection.credentials is not None:
        return _thread_session()
    return boto3.session.Session(profile_name=connection.profile, region_name=connection.region)


_THREAD = threading.local()


def _thread_session() -> boto3.session.Session:
    """One session per thread for assumed-role clients (the credentials go to each client): a
    session loads each service's model once, and sessions are not thread-safe.
    https://boto3.amazonaws.com/v1/documentation/api/latest/guide/session.html"""
    session: boto3.session.Session | None = getattr(_THREAD, "session", None)
    if session is None:
        session = _THREAD.session = boto3.session.Session()
    return session


def _client(session: boto3.session.Session, service: str, connection: Connection) -> Any:
    credentials = connection.credentials
    keys = (
        {
            "aws_access_key_id": credentials.access_key_id,
            "aws_secret_access_key": credentials.secret_access_key,
            "aws_session_token": credentials.session_token,
            "region_name": connection.region,
        }
        if credentials is not None
        else {}
    )
    return session.client(  # type: ignore[call-overload]
        service, endpoint_url=connection.endpoint_url, config=_CONFIG, **keys
    )


@contextmanager
def _setup_errors() -> Iterator[None]:
    """A missing profile or Region, said in one line."""
    try:
        yield
    except BotoCoreError as error:
        raise PermanentError("aws-setup", str(error)) from error
