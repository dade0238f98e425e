"""The service-key vaults provisioned from template.yaml on the emulator, with the real resolver.

The emulator's CloudFormation sends each ``Custom::ServiceKey`` a Create request; the local Lambda
runtime runs ``handlers.service_key_resolver``, whose KMS DescribeKey goes to moto (checked against
botocore's model) and whose reply goes over a real HTTP PUT to the emulator's ResponseURL listener.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.sns.models import sns_backends

import emulator
from adapters.ledger import DynamoLedger
from core.kernel.ledger_states import LedgerEntry, LedgerState
from core.tracking.next_attempt import FALLBACK_AFTER_KEY_DEPENDENT
from demo.day import run_day
from demo.stack import DemoStack, provision_stack
from emulator.cloudformation.custom_resources import CustomResourceError, FunctionInvocation
from emulator.cloudformation.provision import from_template
from localrun.custom_resources import LocalInvoker
from localrun.runtime import LambdaRuntime

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


# --- Routing RDS to the service-key vaults, end to end (the primary stack's functions) ----------

NAME = "bco"  # one NamePrefix for both stacks: the primary derives the dr stack's vault ARNs
RDS_INSTANCE = "db:orders"
# The RDS plan's daily rule runs at 07:20; the run ends with the reconciler's scheduled run.
BEFORE_THE_DAILY_RULE = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


@dataclass
class Protected:
    """What the day left for the RDS instance's recovery points, as the primary stack sees it."""

    entries: dict[str, LedgerEntry]  # by destination vault ARN
    alerts: list[str]  # the alert topic's messages
    copies: dict[str, list[dict[str, Any]]]  # copy jobs by destination vault ARN


def run_rds_day(
    account: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    policy: str,
    with_dr: bool,
    primary_parameters: dict[str, str] | None = None,
    copy_events: str = "source",
) -> Protected:
    """Both stacks (or the primary alone), one encrypted RDS instance, one day of the primary
    stack's functions and its reconciler's scheduled run."""
    emulator.set_time(BEFORE_THE_DAILY_RULE)
    emulator.configure(
        seed=7, service_key_vault_policy=policy, cross_region_copy_events=copy_events
    )
    parameters = {"StackRole": "primary", "NamePrefix": NAME, **(primary_parameters or {})}
    if with_dr:
        provision_stack(
            TEMPLATE, {"StackRole": "dr", "NamePrefix": NAME}, stack_name="dr",
            region=DR_REGION, account=account,
        )  # fmt: skip
        parameters["DrRegion"] = DR_REGION
    primary = provision_stack(
        TEMPLATE, parameters, stack_name="prod", region=REGION, account=account
    )
    kms = boto3.client("kms", region_name=REGION, config=NO_RETRIES)
    key = kms.create_key(Description="workload")["KeyMetadata"]["Arn"]
    instance = f"arn:aws:rds:{REGION}:{account}:{RDS_INSTANCE}"
    emulator.register_resource(instance, region=REGION, resource_type="RDS", encryption_key_arn=key)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with LambdaRuntime(primary) as runtime:
        run_day(runtime, hours=6, run_scheduled=True)
    return _observe_rds(primary, account, instance)


def _observe_rds(primary: DemoStack, account: str, instance: str) -> Protected:
    copies: dict[str, list[dict[str, Any]]] = {}
    for region in (REGION, DR_REGION):
        client = boto3.client("backup", region_name=region, config=NO_RETRIES)
        for page in client.get_paginator("list_copy_jobs").paginate():
            for job in page["CopyJobs"]:
                if job["ResourceArn"] == instance:
                    copies.setdefault(job["DestinationBackupVaultArn"], []).append(job)
    ledger = DynamoLedger(
        boto3.client("dynamodb", region_name=REGION), str(primary.provisioned.ref("LedgerTable"))
    )
    points = {job["SourceRecoveryPointArn"] for jobs in copies.values() for job in jobs}
    entries = {
        vault: entry
        for point in points
        for vault in copies
        if (entry := ledger.get(point, vault)) is not None
    }
    topic = str(primary.provisioned.ref("AlertTopic"))
    sent = sns_backends[account][REGION].topics[topic].sent_notifications
    return Protected(entries, [str(message) for _, message, *_ in sent], copies)


def svc_rds(region: str, account: str) -> str:
    return f"arn:aws:backup:{region}:{account}:backup-vault:{NAME}-svc-rds"


def test_given_reencrypting_same_region_copies_when_rds_is_backed_up_then_it_is_protected_here(
    mocked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given same-Region placement (the default), where AWS re-encrypts under aws/rds
    seen = run_rds_day(mocked, monkeypatch, policy="reencrypt", with_dr=True)
    # Then the RDS recovery point is protected in this Region's aws/rds vault, nothing in DR
    entry = seen.entries[svc_rds(REGION, mocked)]
    assert (entry.state, entry.reason) == (LedgerState.PROTECTED, "key-aws-managed")
    assert svc_rds(DR_REGION, mocked) not in seen.copies
    assert seen.alerts == []


@pytest.mark.parametrize("copy_events", ["source", "destination", "both"])
def test_given_same_region_copies_keep_the_source_key_when_tracked_then_the_dr_copy_protects(
    mocked: str, monkeypatch: pytest.MonkeyPatch, copy_events: str
) -> None:
    # Given a same-Region copy that keeps the source's customer managed key, whichever Region's
    # bus receives the cross-Region copy's events
    seen = run_rds_day(
        mocked, monkeypatch, policy="keep-source-key", with_dr=True, copy_events=copy_events
    )
    # Then the same-Region copy is key-dependent and the recovery point went on to the DR
    # Region's aws/rds vault, where it is protected, without any alert
    here = seen.entries[svc_rds(REGION, mocked)]
    assert (here.state, here.reason) == (LedgerState.KEY_DEPENDENT, FALLBACK_AFTER_KEY_DEPENDENT)
    there = seen.entries[svc_rds(DR_REGION, mocked)]
    assert there.state is LedgerState.PROTECTED, there
    assert len(seen.copies[svc_rds(DR_REGION, mocked)]) == 1
    assert seen.alerts == []


def test_given_no_dr_stack_when_the_same_region_copy_keeps_the_source_key_then_one_alert(
    mocked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = run_rds_day(mocked, monkeypatch, policy="keep-source-key", with_dr=False)
    entry = seen.entries[svc_rds(REGION, mocked)]
    assert entry.state is LedgerState.KEY_DEPENDENT
    assert len(seen.alerts) == 1
    assert "key" in seen.alerts[0].lower()


def test_given_dr_region_placement_when_rds_is_backed_up_then_the_cross_region_copy_protects(
    mocked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = run_rds_day(
        mocked,
        monkeypatch,
        policy="keep-source-key",  # irrelevant: a cross-Region copy takes the destination key
        with_dr=True,
        primary_parameters={"ServiceKeyPlacement": "dr-region"},
    )
    entry = seen.entries[svc_rds(DR_REGION, mocked)]
    assert (entry.state, entry.reason) == (LedgerState.PROTECTED, "key-aws-managed")
    assert svc_rds(REGION, mocked) not in seen.copies
    assert seen.alerts == []
