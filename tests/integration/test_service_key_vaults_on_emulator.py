"""The service-key vaults provisioned from template.yaml on the emulator, with the real resolver.

The emulator's CloudFormation sends each ``Custom::ServiceKey`` a Create request; the local Lambda
runtime runs ``handlers.service_key_resolver``, whose KMS DescribeKey goes to moto (checked against
botocore's model) and whose reply goes over a real HTTP PUT to the emulator's ResponseURL listener.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

import emulator
from demo.stack import provision_stack
from emulator.cloudformation.custom_resources import CustomResourceError, FunctionInvocation
from emulator.cloudformation.provision import from_template
from localrun.custom_resources import LocalInvoker

TEMPLATE = Path(__file__).parents[2] / "template.yaml"
REGION = "us-east-1"
DR_REGION = "us-west-2"
NO_RETRIES = Config(retries={"total_max_attempts": 1})
SERVICE_KEY_VAULTS = {"ServiceKeyVaultRds": "alias/aws/rds", "ServiceKeyVaultEbs": "alias/aws/ebs"}

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture
def mocked() -> Iterator[str]:
    emulator.install()
    with mock_aws():
        yield emulator.api.default_account()


def _vault(region: str, name: str) -> dict[str, Any]:
    client = boto3.client("backup", region_name=region, config=NO_RETRIES)
    return dict(client.describe_backup_vault(BackupVaultName=name))


def _aws_managed_key(region: str, alias: str) -> dict[str, Any]:
    client = boto3.client("kms", region_name=region, config=NO_RETRIES)
    return dict(client.describe_key(KeyId=alias)["KeyMetadata"])


@pytest.mark.parametrize(("role", "region"), [("primary", REGION), ("dr", DR_REGION)])
def test_given_the_defaults_when_provisioned_then_each_svc_vault_is_under_its_aws_managed_key(
    mocked: str, role: str, region: str
) -> None:
    # Given template.yaml with its defaults (ServiceKeyVaults=rds,ebs, same-region placement)
    # When the demo's provisioning runs it, custom resources included
    stack = provision_stack(
        TEMPLATE, {"StackRole": role}, stack_name="svc", region=region, account=mocked
    )
    for logical_id, alias in SERVICE_KEY_VAULTS.items():
        # Then the vault exists, named <name>-svc-<key>, under the key KMS gives for the alias
        name = stack.provisioned.ref(logical_id)
        key = _aws_managed_key(region, alias)
        assert name == f"svc-svc-{alias.rsplit('/', 1)[1]}"
        assert _vault(region, name)["EncryptionKeyArn"] == key["Arn"]
        # ... an AWS managed key of this stack's own Region
        assert key["KeyManager"] == "AWS"
        assert key["Arn"].startswith(f"arn:aws:kms:{region}:{mocked}:key/")
    # And the resolver's answer is what the vaults were given (PhysicalResourceId = KeyArn)
    resolver = stack.provisioned["ServiceKeyRds"]
    assert (
        resolver.ref
        == resolver.attributes["KeyArn"]
        == _aws_managed_key(region, "alias/aws/rds")["Arn"]
    )
    assert stack.provisioned.outputs["ServiceKeyVaultRdsArn"].endswith(":backup-vault:svc-svc-rds")


def test_given_dr_region_placement_when_a_primary_stack_is_provisioned_then_it_has_no_svc_vault(
    mocked: str,
) -> None:
    # Given a primary stack whose service-key vaults live in the dr stack
    stack = provision_stack(
        TEMPLATE,
        {"ServiceKeyPlacement": "dr-region"},
        stack_name="prim",
        region=REGION,
        account=mocked,
    )
    # Then neither the vaults nor their resolver exist here
    for logical_id in (*SERVICE_KEY_VAULTS, "ServiceKeyRds", "ServiceKeyResolverFunction"):
        assert logical_id not in stack.provisioned
        assert "condition" in stack.provisioned.skipped[logical_id]


def test_given_no_function_invoker_when_provisioned_then_the_svc_vaults_are_left_out_not_faked(
    mocked: str,
) -> None:
    # Given the template provisioned by a caller that cannot run functions
    stack = from_template(TEMPLATE, {}, account=mocked, region=REGION, stack_name="bare")
    # Then the custom resources, the vaults that need their key and the outputs naming them are
    # left out with the reason (never created under a made-up key)
    assert "no function invoker" in stack.skipped["ServiceKeyRds"]
    assert stack.skipped["ServiceKeyVaultRds"] == "refers to ServiceKeyRds, not created"
    assert "ServiceKeyVaultRdsArn" not in stack.outputs
    assert "ManagedKeyVault" in stack


def test_given_a_failed_reply_when_provisioned_then_provisioning_fails_with_the_reason(
    mocked: str, tmp_path: Path
) -> None:
    # Given a template whose service key names an alias outside alias/aws/
    template = tmp_path / "template.yaml"
    text = TEMPLATE.read_text(encoding="utf-8").replace("alias/aws/rds", "alias/my-key")
    template.write_text(text, encoding="utf-8")
    # When it is provisioned with the real resolver
    with pytest.raises(CustomResourceError) as failed:
        from_template(
            template,
            {},
            account=mocked,
            region=REGION,
            stack_name="bad",
            invoke=LocalInvoker("bad"),
        )
    # Then the stack fails as a rollback would, with the resolver's reason
    assert "ServiceKeyRds" in str(failed.value)
    assert "not an AWS managed key's alias" in str(failed.value)


def test_given_an_invoker_that_never_replies_when_provisioned_then_provisioning_fails(
    mocked: str,
) -> None:
    # Given an invoker that runs nothing (a function that never answers)
    calls: list[FunctionInvocation] = []
    # When the template is provisioned
    with pytest.raises(CustomResourceError) as failed:
        from_template(
            TEMPLATE, {}, account=mocked, region=REGION, stack_name="mute", invoke=calls.append
        )
    # Then it got CloudFormation's Create request, and no reply fails the resource
    (call,) = calls
    assert call.event["RequestType"] == "Create"
    assert call.event["ResourceProperties"]["ServiceToken"] == call.function_arn
    assert call.event["ResourceProperties"]["AliasName"] == "alias/aws/rds"
    assert call.configuration["Handler"] == "handlers.service_key_resolver.lambda_handler"
    assert "no reply" in str(failed.value)


def test_given_the_resolver_when_it_replies_then_its_one_reply_is_sent_and_accepted(
    mocked: str,
) -> None:
    # Given the resolver run by the local runtime, its log kept
    log = io.StringIO()
    invoker = LocalInvoker("put", log=log)
    # When the stack is provisioned
    stack = from_template(
        TEMPLATE, {"ServiceKeyVaults": "ebs"}, account=mocked, region=REGION, stack_name="put",
        invoke=invoker,
    )  # fmt: skip
    # Then its one reply was sent and accepted (the handler says it sent it)
    assert invoker.errors == []
    (answer,) = invoker.answers
    assert answer["Sent"] is True
    assert answer["Status"] == "SUCCESS"
    assert "ServiceKeyVaultEbs" in stack
    assert "ServiceKeyVaultRds" not in stack
