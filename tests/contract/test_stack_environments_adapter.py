"""Issue 12, item 13 (a): `copyctl local-env --stack` reads the deployed functions' environments.

Every request and answer is checked against botocore's model (Stubber).
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from adapters.sessions import read_function_environments
from core.kernel.errors import PermanentError

STACK = "backup-copy-orchestrator"
COPY_ENV = {
    "SOURCE_VAULT_NAMES": f"{STACK}-hourly,{STACK}-daily,{STACK}-monthly",
    "LAG_VAULT_ARN": f"arn:aws:backup:us-east-1:111122223333:backup-vault:{STACK}-lag",
    "AWS_ENDPOINT_URL": "",
}


def _summary(logical_id: str, kind: str, physical: str) -> dict[str, object]:
    return {
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": physical,
        "ResourceType": kind,
        "LastUpdatedTimestamp": "2026-10-05T07:00:00Z",
        "ResourceStatus": "CREATE_COMPLETE",
    }


def test_each_lambda_function_of_the_stack_gives_its_deployed_environment() -> None:
    """Given a stack with two functions (over two pages) and other resources, when the
    environments are read, then each function's logical id maps to its configured variables."""
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    functions = boto3.client("lambda", region_name="us-east-1")
    with Stubber(cloudformation) as cfn, Stubber(functions) as lam:
        cfn.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    _summary("CopyFunction", "AWS::Lambda::Function", f"{STACK}-CopyFunction-AB"),
                    _summary("LagVault", "AWS::Backup::BackupVault", f"{STACK}-lag"),
                ],
                "NextToken": "page-2",
            },
            {"StackName": STACK},
        )
        cfn.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    _summary("KeyGuardFunction", "AWS::Lambda::Function", f"{STACK}-KeyGuard-CD")
                ]
            },
            {"StackName": STACK, "NextToken": "page-2"},
        )
        lam.add_response(
            "get_function_configuration",
            {"Environment": {"Variables": COPY_ENV}},
            {"FunctionName": f"{STACK}-CopyFunction-AB"},
        )
        lam.add_response(
            "get_function_configuration",
            {"Environment": {"Variables": {"LEDGER_TABLE_NAME": "ledger"}}},
            {"FunctionName": f"{STACK}-KeyGuard-CD"},
        )
        environments = read_function_environments(cloudformation, functions, STACK)
    assert environments == {
        "CopyFunction": COPY_ENV,
        "KeyGuardFunction": {"LEDGER_TABLE_NAME": "ledger"},
    }


def test_a_stack_without_functions_is_a_clear_error() -> None:
    """Given a stack with no Lambda function, then the error names the stack."""
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    functions = boto3.client("lambda", region_name="us-east-1")
    with Stubber(cloudformation) as cfn:
        cfn.add_response(
            "list_stack_resources",
            {"StackResourceSummaries": [_summary("Topic", "AWS::SNS::Topic", "arn:aws:sns:x")]},
            {"StackName": STACK},
        )
        with pytest.raises(PermanentError, match=STACK):
            read_function_environments(cloudformation, functions, STACK)
