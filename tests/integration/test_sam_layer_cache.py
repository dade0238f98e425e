"""Issue 12, item 13: offline `sam local invoke` downloads no layer and needs no credentials.

SAM CLI downloads a layer ARN of the template with Lambda GetLayerVersion (AWS credentials)
unless ``LayerDownloader._is_layer_cached(layer_cache/<LayerVersion.name>)``: the directory
exists and no earlier download of it failed (samcli/local/layers/layer_downloader.py). ``copyctl
local-env --layer-cache DIR`` fills exactly that directory with the tested Powertools release for
python3.13/arm64 (pip from the package index, about two seconds). These tests run SAM CLI's own
provider and downloader on the real template, without credentials and without patching SAM.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import UnStubbedResponseError
from botocore.stub import Stubber
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from samcli.lib.providers.provider import LayerVersion
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.layers.layer_downloader import LayerDownloader

from emulator.local_env import POWERTOOLS_LAYER_PACKAGES, fill_layer_cache, powertools_layer
from tests.template_loader import load_template

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATE = REPOSITORY / "template.yaml"
REGION = "eu-west-1"


def refusing_lambda() -> Any:
    """A Lambda client for SAM CLI's downloader on which every call fails (a Stubber with no
    answers): a test passes only if the downloader calls nothing."""
    client = boto3.client(
        "lambda",
        region_name=REGION,
        aws_access_key_id="none",
        aws_secret_access_key="none",
    )
    Stubber(client).activate()
    return client


RUNTIME = {"python_version": "3.13", "sys_platform": "linux", "platform_machine": "aarch64"}


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A shell where any AWS call fails: no keys, no profile files, no instance metadata."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def test_the_cache_directory_is_named_as_sam_cli_looks_for_the_template_s_layer(
    tmp_path: Path,
) -> None:
    """Given the template's Powertools layer ARN for the Region at the parameter default, when
    the cache is filled, then its directory is SAM CLI's name for that ARN and holds the tested
    Powertools release under python/."""
    template = load_template()
    version = template["Parameters"]["PowertoolsLayerVersion"]["Default"]
    arn = (
        f"arn:aws:lambda:{REGION}:017000801446:layer:"
        f"AWSLambdaPowertoolsPythonV3-python313-arm64:{version}"
    )
    directory = fill_layer_cache(tmp_path, region=REGION)
    assert directory == tmp_path / LayerVersion._compute_layer_name(False, arn)
    installed = directory / "python" / "aws_lambda_powertools" / "shared" / "version.py"
    pinned = template["Metadata"]["PowertoolsLayer"]["PowertoolsVersion"]
    assert f'VERSION = "{pinned}"' in installed.read_text(encoding="utf-8")


@pytest.mark.usefixtures("no_aws_credentials")
def test_without_the_cache_sam_cli_s_downloader_needs_aws_credentials(tmp_path: Path) -> None:
    """Given an empty cache and no AWS credentials, when SAM CLI's LayerDownloader is asked for
    the template's Powertools layer, then it calls Lambda (GetLayerVersion): what the cache
    avoids."""
    stacks, _ = SamLocalStackProvider.get_stacks(
        str(TEMPLATE), global_parameter_overrides={"AWS::Region": REGION}
    )
    layer = powertools_layer(TEMPLATE, region=REGION)
    with pytest.raises(UnStubbedResponseError):
        LayerDownloader(str(tmp_path), str(REPOSITORY), stacks, refusing_lambda()).download(layer)


@pytest.mark.usefixtures("no_aws_credentials")
def test_sam_cli_s_downloader_takes_the_filled_cache_without_calling_aws(tmp_path: Path) -> None:
    """Given a cache filled by fill_layer_cache and no AWS credentials, when SAM CLI's
    LayerDownloader is asked for the template's Powertools layer, then it returns the cached
    directory without calling Lambda."""
    directory = fill_layer_cache(tmp_path, region=REGION)
    stacks, _ = SamLocalStackProvider.get_stacks(
        str(TEMPLATE), global_parameter_overrides={"AWS::Region": REGION}
    )
    layer = powertools_layer(TEMPLATE, region=REGION)
    cached = LayerDownloader(str(tmp_path), str(REPOSITORY), stacks, refusing_lambda()).download(
        layer
    )
    assert cached.codeuri == str(directory.resolve())


@pytest.mark.usefixtures("no_aws_credentials")
def test_a_failed_download_before_the_fill_does_not_hide_the_cache(tmp_path: Path) -> None:
    """Given an earlier `sam local invoke` whose download failed (its status file says so),
    when the cache is filled, then SAM CLI's downloader takes it without calling AWS."""
    layer = powertools_layer(TEMPLATE, region=REGION)
    locks = tmp_path / ".locks"
    locks.mkdir()
    (locks / f"{layer.name}.downloading.status").write_text("failed\n0", encoding="utf-8")
    directory = fill_layer_cache(tmp_path, region=REGION)
    stacks, _ = SamLocalStackProvider.get_stacks(
        str(TEMPLATE), global_parameter_overrides={"AWS::Region": REGION}
    )
    cached = LayerDownloader(str(tmp_path), str(REPOSITORY), stacks, refusing_lambda()).download(
        layer
    )
    assert cached.codeuri == str(directory.resolve())


def _closure(name: str, extras: set[str]) -> set[str]:
    """``name`` and everything it needs on python3.13/arm64 Linux (installed metadata)."""
    found: set[str] = set()
    pending = [(canonicalize_name(name), extras)]
    while pending:
        current, wanted = pending.pop()
        if current in found:
            continue
        found.add(current)
        for text in metadata.requires(current) or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(
                marker.evaluate({**RUNTIME, "extra": extra}) for extra in wanted | {""}
            ):
                pending.append((canonicalize_name(requirement.name), set()))
    return found


def test_the_cached_layer_holds_powertools_and_its_tracer_minus_what_the_sdk_layer_holds() -> None:
    """Given Powertools with its tracer extra and the SDK layer's boto3/botocore closure, then
    the cache installs exactly what the first needs and the second does not bring."""
    wanted = _closure("aws-lambda-powertools", {"tracer"}) - _closure("boto3", set())
    assert set(POWERTOOLS_LAYER_PACKAGES) == wanted
