"""Issue 12, item 13: `sam local invoke` with the env-vars file of `copyctl local-env`, no Docker.

SAM CLI resolves a function's environment in ``LocalLambdaRunner._make_env_vars``: the template's
variables (what it cannot resolve locally, such as a ``!GetAtt`` of a vault, becomes ""), then
the ``--env-vars`` file's "Parameters" and the function's own object, for declared variables only
(samcli.local.lambdafn.env_vars.EnvironmentVariables). These tests run exactly that code on the
real template, then build the settings each function validates at cold start, and run the copy
handler in a subprocess with that environment against the emulator server, as the container of
`sam local invoke` would.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

from copyctl.__main__ import main as copyctl
from core.kernel.config import load_settings
from core.kernel.errors import ConfigError
from emulator.remote import EmulatorClient
from tests.local_server import emulator_server

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATE = REPOSITORY / "template.yaml"
SAMPLE = "backup-completed-ebs-lag-plan.json"
FUNCTIONS = ("CopyFunction", "TrackingFunction", "ReconcilerFunction", "KeyGuardFunction")
NO_RETRIES = Config(retries={"total_max_attempts": 1})
INVOKE = """
import json, sys
from types import SimpleNamespace
from handlers.copy_handler import lambda_handler
context = SimpleNamespace(function_name="CopyFunction", memory_limit_in_mb=256,
    aws_request_id="local-invoke", invoked_function_arn="arn:aws:lambda:local:0:function:f")
with open(sys.argv[1], encoding="utf-8") as event:
    print(json.dumps(lambda_handler(json.load(event), context)))
"""


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with emulator_server() as url:
        yield url


@pytest.fixture(scope="module")
def local_stack(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`copyctl local-env --endpoint-url URL --events-out DIR`, as the README shows it."""
    EmulatorClient(endpoint).reset()
    events = tmp_path_factory.mktemp("local-events")
    out = io.StringIO()
    sys_stdout, sys.stdout = sys.stdout, out
    try:
        code = copyctl(["local-env", "--endpoint-url", endpoint, "--events-out", str(events)])
    finally:
        sys.stdout = sys_stdout
    assert code == 0
    return {"env_vars": json.loads(out.getvalue()), "events": events}


@pytest.fixture
def aws_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shell with placeholder credentials and none of the functions' variables set."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "POWERTOOLS_")) or name in ("LOG_LEVEL",):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")


def sam_environment(function: str, env_vars: dict[str, Any] | None) -> dict[str, str]:
    """The environment `sam local invoke FUNCTION [--env-vars FILE]` gives the container."""
    stacks, _ = SamLocalStackProvider.get_stacks(str(TEMPLATE))
    provider = SamFunctionProvider(stacks)
    runner = LocalLambdaRunner(
        local_runtime=None,  # no container is started
        function_provider=provider,
        cwd=str(REPOSITORY),
        real_path=str(REPOSITORY),
        aws_region="us-east-1",
        env_vars_values=env_vars or {},
    )
    resolved: dict[str, str] = runner._make_env_vars(provider.get(function)).resolve()
    return resolved


@pytest.mark.usefixtures("aws_shell")
def test_without_an_env_vars_file_sam_leaves_the_settings_empty_and_the_function_refuses() -> None:
    """Given `sam local invoke CopyFunction` without --env-vars, when SAM resolves the
    environment, then the vaults' ARNs are empty (a Ref is the bare logical id, the role's ARN a
    made-up function ARN) and the settings check refuses: the README's old command could not
    work."""
    environment = sam_environment("CopyFunction", None)
    assert environment["LAG_VAULT_ARN"] == ""
    assert environment["SOURCE_VAULT_NAMES"] == "HourlyVault,DailyVault,MonthlyVault"
    with pytest.raises(ConfigError, match="LAG_VAULT_ARN is required"):
        load_settings(environment)


@pytest.mark.usefixtures("aws_shell")
@pytest.mark.parametrize("function", FUNCTIONS)
def test_with_the_generated_file_every_function_s_settings_load(
    local_stack: dict[str, Any], function: str
) -> None:
    """Given the file of `copyctl local-env --endpoint-url`, when SAM resolves FUNCTION's
    environment with it, then it points at the emulator and the settings load without error."""
    environment = sam_environment(function, local_stack["env_vars"])
    assert environment["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    settings = load_settings(environment)
    assert settings.ledger_table_name == local_stack["env_vars"][function]["LEDGER_TABLE_NAME"]


@pytest.mark.usefixtures("aws_shell")
def test_the_copy_handler_protects_the_sample_against_the_emulator_server(
    local_stack: dict[str, Any], endpoint: str
) -> None:
    """Given the emulator provisioned by `copyctl local-env` and the EBS sample rewritten for it,
    when the copy handler runs in a fresh interpreter with the environment SAM resolves from the
    generated file, then it starts a copy job into the LAG vault and the ledger records it."""
    environment = sam_environment("CopyFunction", local_stack["env_vars"])
    event_path = local_stack["events"] / SAMPLE
    event = json.loads(event_path.read_text(encoding="utf-8"))
    run = subprocess.run(
        [sys.executable, "-c", INVOKE, str(event_path)],
        env={
            **environment,
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPOSITORY / "src"),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"outcome": "copy-started"}

    backup = boto3.client(
        "backup", region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRIES
    )
    jobs = backup.list_copy_jobs(ByResourceArn=event["detail"]["resourceArn"])["CopyJobs"]
    assert [job["DestinationBackupVaultArn"] for job in jobs] == [environment["LAG_VAULT_ARN"]]
    ledger = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRIES
    )
    item = ledger.get_item(
        TableName=environment["LEDGER_TABLE_NAME"],
        Key={
            "RecoveryPointArn": {"S": event["resources"][0]},
            "DestinationVaultArn": {"S": environment["LAG_VAULT_ARN"]},
        },
        ConsistentRead=True,
    )["Item"]
    assert item["CopyJobId"]["S"] == jobs[0]["CopyJobId"]


@pytest.mark.parametrize("key", ["rds", "ebs"])
def test_local_env_provisions_the_service_key_vaults_with_the_real_resolver(
    local_stack: dict[str, Any], endpoint: str, key: str
) -> None:
    """Given `copyctl local-env` against the emulator server, whose CloudFormation sent the
    resolver's Create request to copyctl's local Lambda endpoint (the real handler, KMS on the
    server, the reply PUT to the server's ResponseURL), then the svc vault exists under the
    server's AWS managed key for the alias."""
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRIES)
    key_metadata = kms.describe_key(KeyId=f"alias/aws/{key}")["KeyMetadata"]
    backup = boto3.client(
        "backup", region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRIES
    )
    vault = backup.describe_backup_vault(BackupVaultName=f"local-svc-{key}")
    assert key_metadata["KeyManager"] == "AWS"
    assert vault["EncryptionKeyArn"] == key_metadata["Arn"]
    assert "ServiceKeyResolverFunction" in local_stack["env_vars"]


def test_local_env_with_a_layer_cache_prints_the_offline_invoke_command(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given `copyctl local-env --endpoint-url URL --layer-cache DIR`, when it runs, then the
    env-vars file is still the output, DIR holds the Powertools layer under SAM CLI's name for
    it, and the `sam local invoke ... --layer-cache-basedir DIR` command is printed on stderr."""
    cache = tmp_path / "layers"
    arguments = ["--endpoint-url", endpoint, "--stack-name", "layered", "--layer-cache", str(cache)]
    code = copyctl(["local-env", *arguments])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert set(json.loads(printed.out)) >= set(FUNCTIONS)
    [layer] = [path for path in cache.iterdir() if not path.name.startswith(".")]
    assert layer.name.startswith("AWSLambdaPowertoolsPythonV3-python313-arm64-27-")
    assert (layer / "python" / "aws_lambda_powertools").is_dir()
    assert "--region us-east-1" in printed.err
    assert f"--layer-cache-basedir {cache}" in printed.err
