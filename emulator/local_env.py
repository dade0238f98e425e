"""``copyctl local-env --endpoint-url``: the stack that ``sam local invoke`` runs against, offline.

Against a running emulator server (``python -m emulator.server``) this

1. provisions ``template.yaml`` in it (POST /moto-api/emulator/provision), in the server's
   default account: the account every access key without an identity maps to, which is what a
   function in ``sam local invoke`` calls with;
2. creates the template's DynamoDB tables there (the provisioner only names them);
3. evaluates each function's environment (SAM Globals merged) with the provisioned names and
   ARNs, and points it at the server through ``AWS_ENDPOINT_URL``;
   Its custom resources (the service-key resolver) run through the caller's Lambda endpoint;
4. optionally writes the ``events/`` samples rewritten for that stack (account, vault names),
   after putting the recovery points they name into the emulator, as AWS would have made them;
5. optionally fills a SAM CLI layer cache with the public Powertools layer of the template
   (``fill_layer_cache``), so that ``sam local invoke --layer-cache-basedir DIR`` downloads no
   layer and needs no AWS credentials.

The samples opt in to the LAG vault through plan ``5b8d2c4e-…`` (events/README.md), so that plan
id is passed as ``ExtraLagPlanIds`` unless the caller gives parameters of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

# SAM CLI: the same code `sam local invoke` runs to find a function's layers and their cache names.
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

from emulator import arns
from emulator.cloudformation import intrinsics as cfn_eval
from emulator.cloudformation import reader as cfn_yaml
from emulator.cloudformation.provision import parameter_values, with_globals
from emulator.events import BACKUP_JOB_STATE_CHANGE, COPY_JOB_STATE_CHANGE
from emulator.remote import EmulatorClient

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
SAMPLE_EVENTS = tuple(sorted((ROOT / "events").glob("*.json")))
SERVERLESS_FUNCTION = "AWS::Serverless::Function"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
DEFAULT_STACK_NAME = "local"
FIXTURE_ACCOUNT = "111122223333"  # the account of every events/ sample
FIXTURE_LAG_PLAN_ID = "5b8d2c4e-1f3a-4e6b-9c7d-0a1b2c3d4e5f"
# The samples' vault names, by the template resource whose vault they stand for.
FIXTURE_VAULTS = {
    "hourly": "HourlyVault",
    "daily": "DailyVault",
    "monthly": "MonthlyVault",
    "dr": "DrVault",
    "lag": "LagVault",
    "managed": "ManagedKeyVault",
}
_TABLE_PROPERTIES = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
_NO_RETRIES = Config(retries={"total_max_attempts": 1})
LOCK = ROOT / "requirements-dev.txt"
# What the public Powertools layer brings besides what SdkLayer (merged after it) holds:
# Powertools, its tracer extra (the X-Ray SDK) and their dependencies other than boto3's closure.
# tests/integration/test_sam_layer_cache.py checks this list against the installed metadata.
POWERTOOLS_LAYER_PACKAGES = ("aws-lambda-powertools", "aws-xray-sdk", "typing-extensions", "wrapt")
# pip installs wheels for the Lambda runtime, as layers/sdk/Makefile does (python3.13, arm64).
_RUNTIME_WHEELS = (
    "--platform",
    "manylinux2014_aarch64",
    "--python-version",
    "3.13",
    "--implementation",
    "cp",
    "--only-binary=:all:",
)


def local_environments(
    endpoint_url: str,
    *,
    template: Path = TEMPLATE,
    parameters: dict[str, str] | None = None,
    region: str = "us-east-1",
    stack_name: str = DEFAULT_STACK_NAME,
    function_endpoint_url: str | None = None,
    events: Iterable[Path] = SAMPLE_EVENTS,
    events_out: Path | None = None,
    lambda_endpoint_url: str | None = None,
) -> dict[str, dict[str, str]]:
    """Provision, create the tables, seed and rewrite the samples; return each function's
    environment by logical id (SAM's --env-vars format, without the "Parameters" key).

    ``lambda_endpoint_url``: a Lambda API endpoint (``localrun.lambda_endpoint``) that runs the
    template's custom resources for the server; without one they (and the service-key vaults
    that need them) are left out."""
    given = {"ExtraLagPlanIds": FIXTURE_LAG_PLAN_ID} if parameters is None else parameters
    where = {"region": region, "stack_name": stack_name}
    if lambda_endpoint_url:
        where["lambda_endpoint_url"] = lambda_endpoint_url
    answer = EmulatorClient(endpoint_url).provision(str(template.resolve()), given, **where)
    document = cfn_yaml.load(template)
    context = _context(document, answer, given, region=region, stack_name=stack_name)
    # Any key will do: the server maps a key it does not know to its default account.
    session = boto3.session.Session(
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - not a secret: the emulator checks none
        region_name=region,
    )
    _create_tables(session, endpoint_url, document, answer, context)
    environments = _environments(document, answer, context)
    for variables in environments.values():
        variables["AWS_ENDPOINT_URL"] = function_endpoint_url or endpoint_url
    if events_out is not None:
        world = _World(answer, context, session, endpoint_url, EmulatorClient(endpoint_url))
        events_out.mkdir(parents=True, exist_ok=True)
        for path in events:
            rewritten = world.rewrite(json.loads(path.read_text(encoding="utf-8")))
            world.seed(rewritten)
            (events_out / path.name).write_text(json.dumps(rewritten, indent=2) + "\n", "utf-8")
    return environments


def _context(
    document: dict[str, Any],
    answer: dict[str, Any],
    given: dict[str, str],
    *,
    region: str,
    stack_name: str,
) -> cfn_eval.Context:
    context = cfn_eval.Context(
        region=region,
        account=str(answer["account"]),
        stack_name=stack_name,
        parameters=parameter_values(document, dict(given)),
        condition_definitions=document.get("Conditions") or {},
        mappings=document.get("Mappings") or {},
    )
    for logical_id, resource in answer["resources"].items():
        context.refs[logical_id] = resource["ref"]
        for name, value in resource["attributes"].items():
            context.attributes[(logical_id, name)] = value
    return context


def _environments(
    document: dict[str, Any], answer: dict[str, Any], context: cfn_eval.Context
) -> dict[str, dict[str, str]]:
    globals_ = document.get("Globals") or {}
    environments = {}
    for logical_id, resource in answer["resources"].items():
        if resource["type"] != SERVERLESS_FUNCTION:
            continue
        spec = document["Resources"][logical_id]
        merged = with_globals(SERVERLESS_FUNCTION, spec, globals_)
        variables = cfn_eval.evaluate(
            (merged.get("Environment") or {}).get("Variables") or {}, context
        )
        environments[logical_id] = {
            name: str(value) for name, value in variables.items() if value is not cfn_eval.NO_VALUE
        }
    return environments


def _create_tables(
    session: boto3.session.Session,
    endpoint_url: str,
    document: dict[str, Any],
    answer: dict[str, Any],
    context: cfn_eval.Context,
) -> None:
    client = session.client("dynamodb", endpoint_url=endpoint_url, config=_NO_RETRIES)
    existing = set(client.list_tables().get("TableNames", []))
    for logical_id, resource in answer["resources"].items():
        if resource["type"] != DYNAMODB_TABLE or resource["ref"] in existing:
            continue
        properties = cfn_eval.evaluate(document["Resources"][logical_id]["Properties"], context)
        request = {key: properties[key] for key in _TABLE_PROPERTIES if key in properties}
        client.create_table(TableName=str(resource["ref"]), **request)


class _World:
    """The provisioned stack, as the samples' names map onto it."""

    def __init__(
        self,
        answer: dict[str, Any],
        context: cfn_eval.Context,
        session: boto3.session.Session,
        endpoint_url: str,
        control: EmulatorClient,
    ) -> None:
        self.account = context.account
        self.region = context.region
        self.vaults = {
            fixture: str(answer["resources"][logical_id]["ref"])
            for fixture, logical_id in FIXTURE_VAULTS.items()
            if logical_id in answer["resources"]
        }
        self.backup = session.client("backup", endpoint_url=endpoint_url, config=_NO_RETRIES)
        self.control = control

    def rewrite(self, value: Any, key: str = "") -> Any:
        """The sample with the stack's account and vault names; every other value as it is."""
        if isinstance(value, dict):
            return {name: self.rewrite(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [self.rewrite(item, key) for item in value]
        return self._rewrite_text(value, key) if isinstance(value, str) else value

    def _rewrite_text(self, value: str, key: str) -> str:
        if key.endswith("VaultName") and value in self.vaults:
            return self.vaults[value]
        text = value.replace(f":{FIXTURE_ACCOUNT}:", f":{self.account}:")
        if text == FIXTURE_ACCOUNT:
            return self.account
        prefix, separator, name = text.rpartition(":backup-vault:")
        if separator and name in self.vaults:
            return f"{prefix}{separator}{self.vaults[name]}"
        return text

    def seed(self, event: Any) -> None:
        """Put the recovery point a completed job's event names into its vault, if the stack has
        the vault: in AWS the event follows the job that made it."""
        for vault_name, recovery_point_arn, detail in _references(event):
            if vault_name not in self.vaults.values():
                continue
            known = self.backup.list_recovery_points_by_backup_vault(BackupVaultName=vault_name)
            if any(p["RecoveryPointArn"] == recovery_point_arn for p in known["RecoveryPoints"]):
                continue
            minimum = self.backup.describe_backup_vault(BackupVaultName=vault_name).get(
                "MinRetentionDays"
            )
            options: dict[str, Any] = {
                "account": self.account,
                "region": self.region,
                "resource_type": detail.get("resourceType", "EBS"),
                "recovery_point_arn": recovery_point_arn,
                "continuous": arns.is_continuous(recovery_point_arn),
                "dynamodb_advanced": not arns.is_dynamodb_native_backup(recovery_point_arn),
            }
            if minimum:
                options["lifecycle"] = {"DeleteAfterDays": int(minimum)}
            if isinstance(detail.get("resourceArn"), str):
                options["resource_arn"] = detail["resourceArn"]
            if isinstance(detail.get("createdBy"), dict):
                options["created_by"] = detail["createdBy"]
            if isinstance(detail.get("creationDate"), str):
                options["creation_date"] = detail["creationDate"]
            self.control.seed_recovery_point(vault_name, **options)


def _references(event: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(vault, recovery point ARN, detail) of the new recovery point a COMPLETED event names."""
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        return []
    detail = event["detail"]
    if detail.get("state") != "COMPLETED":
        return []
    resources = [arn for arn in event.get("resources") or [] if isinstance(arn, str)]
    if event.get("detail-type") == BACKUP_JOB_STATE_CHANGE and resources:
        vault = detail.get("backupVaultName")
        return [(vault, resources[0], detail)] if isinstance(vault, str) else []
    destination = detail.get("destinationRecoveryPointArn")
    vault_arn = detail.get("destinationBackupVaultArn")
    copy = event.get("detail-type") == COPY_JOB_STATE_CHANGE
    if copy and isinstance(destination, str) and isinstance(vault_arn, str):
        return [(arns.vault_name(vault_arn), destination, detail)]
    return []


def powertools_layer(template: Path = TEMPLATE, *, region: str = "us-east-1") -> Any:
    """SAM CLI's ``LayerVersion`` of the template's public Powertools layer, as ``sam local
    invoke --region REGION`` resolves it (parameter defaults: the tested layer version)."""
    stacks, _ = SamLocalStackProvider.get_stacks(
        str(template), global_parameter_overrides={"AWS::Region": region}
    )
    provider = SamFunctionProvider(stacks)
    found = {
        layer.arn: layer
        for function in provider.get_all()
        for layer in function.layers
        if not layer.is_defined_within_template
    }
    if len(found) != 1:
        raise ValueError(f"expected one public layer in {template}, found {sorted(found)}")
    return next(iter(found.values()))


def fill_layer_cache(
    cache: Path,
    *,
    template: Path = TEMPLATE,
    region: str = "us-east-1",
    lock: Path = LOCK,
    python: str = sys.executable,
) -> Path:
    """Install the template's Powertools release (its Metadata ``PowertoolsLayer``, the lock's
    version) with its tracer's packages for python3.13/arm64 under ``cache/<name>/python``,
    where ``name`` is the directory SAM CLI's ``LayerDownloader`` looks in before it downloads
    (``LayerVersion.name``). Returns that directory."""
    document = cfn_yaml.load(template)
    powertools_version = str(document["Metadata"]["PowertoolsLayer"]["PowertoolsVersion"])
    versions = _lock_versions(lock)
    if versions.get("aws-lambda-powertools") != powertools_version:
        raise ValueError(
            f"template pairs Powertools {powertools_version}, the lock has "
            f"{versions.get('aws-lambda-powertools')}"
        )
    requirements = [f"{name}=={versions[name]}" for name in POWERTOOLS_LAYER_PACKAGES]
    layer = powertools_layer(template, region=region)
    directory = cache / str(layer.name)
    staging = cache / f".{layer.name}.filling"
    shutil.rmtree(staging, ignore_errors=True)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    target = ["--no-compile", "--target", str(staging / "python")]
    subprocess.run([*pip, *target, *_RUNTIME_WHEELS, *requirements], check=True)  # noqa: S603
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)
    # A download that failed earlier (no credentials) leaves a "failed" status that makes SAM
    # CLI ignore the cached directory (LayerDownloader._is_layer_cached): it is forgotten.
    (cache / ".locks" / f"{layer.name}.downloading.status").unlink(missing_ok=True)
    return directory


def _lock_versions(lock: Path) -> dict[str, str]:
    """Canonical name -> version of each ``name==version`` line of the dev lock."""
    versions: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        name, separator, version = line.strip().partition("==")
        if separator and not name.startswith("#"):
            versions[name.lower().replace("_", "-").replace(".", "-")] = version
    return versions
