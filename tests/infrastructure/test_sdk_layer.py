"""Issue 12, item 5: the functions run with the SDK and the Powertools the tests run with.

The runtime's boto3 "depends on the runtime version and your AWS Region"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html, "Runtime-included SDK
versions"), and botocore drops response fields its model does not know: with an older one every
LAG copy would look unverified. So the template ships SdkLayer, built by `sam build` from
layers/sdk/requirements.txt: boto3, botocore and their closure, at exactly the versions of
requirements-dev.txt (where the tests run). Powertools comes from its public layer, listed
before SdkLayer ("The order in which you add the layers is the order in which Lambda merges the
layer content into the execution environment",
https://docs.aws.amazon.com/lambda/latest/dg/adding-layers.html), at the layer version the
template's Metadata pairs with the Powertools release of the lock.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPOSITORY = Path(__file__).resolve().parents[2]
LAYER_DIR = REPOSITORY / "layers" / "sdk"
LAYER_REQUIREMENTS = LAYER_DIR / "requirements.txt"
DEV_LOCK = REPOSITORY / "requirements-dev.txt"
POWERTOOLS_LAYER = (
    "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:"
    "AWSLambdaPowertoolsPythonV3-python313-arm64:${PowertoolsLayerVersion}"
)
# The Lambda runtime the layer is built for (template Globals: python3.13, arm64, Linux).
RUNTIME_MARKERS = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}
SDK = ("boto3", "botocore")
# What the public Powertools layer brings (Powertools, its tracer extra): never in SdkLayer.
POWERTOOLS_PACKAGES = {"aws-lambda-powertools", "aws-xray-sdk", "wrapt", "typing-extensions"}
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;#]+)")


def pins(path: Path) -> dict[str, str]:
    """Canonical name -> exact version of every ``name==version`` line."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            found[canonicalize_name(match.group(1))] = match.group(3)
    return found


def runtime_requirements(name: str) -> set[str]:
    """What the installed distribution ``name`` requires on the Lambda runtime (no extras)."""
    needed: set[str] = set()
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(RUNTIME_MARKERS):
            needed.add(canonicalize_name(requirement.name))
    return needed


def runtime_closure(roots: tuple[str, ...]) -> set[str]:
    """Every distribution ``roots`` need on python3.13/arm64, themselves included (read from the
    dev environment, which has the lock's versions)."""
    closure: set[str] = set()
    pending = [canonicalize_name(root) for root in roots]
    while pending:
        name = pending.pop()
        if name not in closure:
            closure.add(name)
            pending.extend(runtime_requirements(name))
    return closure


def test_the_sdk_layer_pins_exactly_the_versions_of_the_dev_lock() -> None:
    """Given the layer's requirements and the dev lock, when compared, then every package the
    layer installs has the lock's version (the deployed SDK is the tested SDK)."""
    layer, lock = pins(LAYER_REQUIREMENTS), pins(DEV_LOCK)
    assert set(SDK) <= set(layer)
    disagreements = {
        name: (version, lock.get(name))
        for name, version in layer.items()
        if lock.get(name) != version
    }
    assert disagreements == {}, "layer version vs dev lock version"


def test_the_sdk_layer_is_exactly_the_closure_of_boto3_and_botocore_on_the_runtime() -> None:
    """Given the layer is installed with --no-deps, when boto3's and botocore's requirements on
    python3.13/arm64 Linux are followed to the end, then the layer pins each of them (nothing is
    missing in Lambda) and nothing else."""
    assert set(pins(LAYER_REQUIREMENTS)) == runtime_closure(SDK)


def test_the_sdk_layer_holds_no_powertools() -> None:
    """Given the layer's requirements, then Powertools and its tracer's packages are not in it:
    they come from Powertools' public layer."""
    assert set(pins(LAYER_REQUIREMENTS)) & POWERTOOLS_PACKAGES == set()


def test_the_sdk_layer_is_built_by_its_makefile_with_the_runtime_s_wheels() -> None:
    """Given the layer's Makefile, then its build target is the one `sam build` runs for the
    logical id, installs --no-deps into python/ of ARTIFACTS_DIR, for python3.13 on arm64."""
    makefile = (LAYER_DIR / "Makefile").read_text(encoding="utf-8")
    assert "build-SdkLayer:" in makefile
    for flag in (
        "--no-deps",
        '--target "$(ARTIFACTS_DIR)/python"',
        "--platform manylinux2014_aarch64",
        "--python-version 3.13",
        "--only-binary=:all:",
        'requirements.txt"',
    ):
        assert flag in makefile


def test_functions_get_the_public_powertools_layer_then_the_sdk_layer(
    template: dict[str, Any],
) -> None:
    """Given the template, then Globals give every function the public Powertools layer at
    ${PowertoolsLayerVersion} first and SdkLayer after it (merged last: its boto3 wins), no
    function overrides Layers, and SdkLayer is built with the makefile method from layers/sdk for
    python3.13 on arm64."""
    assert template["Globals"]["Function"]["Layers"] == [
        {"Fn::Sub": POWERTOOLS_LAYER},
        {"Ref": "SdkLayer"},
    ]
    functions = {
        logical_id: spec
        for logical_id, spec in template["Resources"].items()
        if spec["Type"] == "AWS::Serverless::Function"
    }
    assert functions
    assert [name for name, spec in functions.items() if "Layers" in spec["Properties"]] == []
    layer = template["Resources"]["SdkLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["ContentUri"] == "layers/sdk/"
    assert layer["Properties"]["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_the_tested_powertools_pair_is_the_lock_s_release_and_the_parameter_s_default(
    template: dict[str, Any],
) -> None:
    """Given the template's Metadata PowertoolsLayer, then its PowertoolsVersion is the
    aws-lambda-powertools of the dev lock (the one the tests run with) and its LayerVersion is
    the PowertoolsLayerVersion default (the one a default deploy runs)."""
    pair = template["Metadata"]["PowertoolsLayer"]
    assert pair["PowertoolsVersion"] == pins(DEV_LOCK)["aws-lambda-powertools"]
    assert pair["LayerVersion"] == template["Parameters"]["PowertoolsLayerVersion"]["Default"]
