"""Issue 12, item 5: the functions run with the SDK and Powertools the tests run with.

The runtime's boto3 "depends on the runtime version and your AWS Region"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html, "Runtime-included SDK
versions"), and botocore drops response fields its model does not know: with an older one every
LAG copy would look unverified. So the template ships DependenciesLayer, built by `sam build`
from layers/dependencies/requirements.txt, and that file must pin exactly the versions of
requirements-dev.txt (where the tests run) and the whole closure of what it installs with
``--no-deps``.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPOSITORY = Path(__file__).resolve().parents[2]
LAYER_DIR = REPOSITORY / "layers" / "dependencies"
LAYER_REQUIREMENTS = LAYER_DIR / "requirements.txt"
DEV_LOCK = REPOSITORY / "requirements-dev.txt"
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
}
# The third-party packages the functions' code imports (src/handlers, src/adapters).
IMPORTED_BY_THE_FUNCTIONS = {"boto3", "botocore", "aws-lambda-powertools", "aws-xray-sdk"}
# The Powertools extras the code uses: Tracer needs the X-Ray SDK.
POWERTOOLS_EXTRAS = {"aws-lambda-powertools": {"tracer"}}
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;#]+)")


def pins(path: Path) -> dict[str, str]:
    """Canonical name -> exact version of every ``name==version`` line."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            found[canonicalize_name(match.group(1))] = match.group(3)
    return found


def runtime_requirements(name: str, extras: set[str]) -> set[str]:
    """What the installed distribution ``name`` requires on the Lambda runtime."""
    needed: set[str] = set()
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        applies = requirement.marker is None or any(
            requirement.marker.evaluate({**RUNTIME_MARKERS, "extra": extra})
            for extra in extras | {""}
        )
        if applies:
            needed.add(canonicalize_name(requirement.name))
    return needed


def test_the_layer_pins_exactly_the_versions_of_the_dev_lock() -> None:
    """Given the layer's requirements and the dev lock, when compared, then every package the
    layer installs has the lock's version (the deployed SDK is the tested SDK)."""
    layer, lock = pins(LAYER_REQUIREMENTS), pins(DEV_LOCK)
    assert layer, "the layer pins nothing"
    disagreements = {
        name: (version, lock.get(name))
        for name, version in layer.items()
        if lock.get(name) != version
    }
    assert disagreements == {}, "layer version vs dev lock version"


def test_the_layer_holds_every_package_the_functions_import() -> None:
    """Given the packages src/ imports, then the layer pins each of them."""
    assert set(pins(LAYER_REQUIREMENTS)) >= IMPORTED_BY_THE_FUNCTIONS


def test_the_layer_pins_the_whole_dependency_closure_for_the_runtime() -> None:
    """Given the layer is installed with --no-deps, when every pinned package's requirements on
    python3.13/arm64 Linux are read (the dev environment has the same versions), then each one
    is pinned too: nothing the layer needs is missing in Lambda."""
    layer = pins(LAYER_REQUIREMENTS)
    missing = {
        name: sorted(runtime_requirements(name, POWERTOOLS_EXTRAS.get(name, set())) - set(layer))
        for name in layer
    }
    assert {name: deps for name, deps in missing.items() if deps} == {}


def test_the_layer_is_built_by_its_makefile_with_the_runtime_s_wheels() -> None:
    """Given the layer's Makefile, then its build target is the one `sam build` runs for the
    logical id, installs --no-deps into python/ of ARTIFACTS_DIR, for python3.13 on arm64."""
    makefile = (LAYER_DIR / "Makefile").read_text(encoding="utf-8")
    assert "build-DependenciesLayer:" in makefile
    for flag in (
        "--no-deps",
        '--target "$(ARTIFACTS_DIR)/python"',
        "--platform manylinux2014_aarch64",
        "--python-version 3.13",
        "--only-binary=:all:",
        'requirements.txt"',
    ):
        assert flag in makefile


def test_every_function_gets_the_dependencies_layer_and_no_other(template: dict[str, Any]) -> None:
    """Given the template, then Globals give every function DependenciesLayer alone (no public
    layer to download, no other SDK), no function overrides Layers, and the layer is built with
    the makefile method from layers/dependencies for python3.13 on arm64."""
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "DependenciesLayer"}]
    functions = {
        logical_id: spec
        for logical_id, spec in template["Resources"].items()
        if spec["Type"] == "AWS::Serverless::Function"
    }
    assert functions
    assert [name for name, spec in functions.items() if "Layers" in spec["Properties"]] == []
    layer = template["Resources"]["DependenciesLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["ContentUri"] == "layers/dependencies/"
    assert layer["Properties"]["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
