"""make org-package: template.yaml -> a plain member template + deterministic, named-by-hash zips.

The real template.yaml is expanded with stand-in artifacts (fast, no layer build); the end-to-end
packaging runs on a small SAM application whose layer is built by a makefile, as SdkLayer is.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from org.package import (
    BUCKET_NAME,
    BUCKET_PARAMETER,
    Artifact,
    PackagingError,
    check_plain,
    deterministic_zip,
    expand,
    load_package,
    load_template,
    package,
)
from tests.org.sample_app import code_tree, write_app
from tests.template_loader import TEMPLATE_PATH

SERVERLESS_PREFIX = "AWS::Serverless::"


def _stand_in_artifacts(template: dict[str, Any]) -> dict[str, Artifact]:
    """One fake zip per function or layer, named as the packager names them (sha256.zip)."""
    artifacts = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in (f"{SERVERLESS_PREFIX}Function", f"{SERVERLESS_PREFIX}LayerVersion"):
            digest = hashlib.sha256(logical_id.encode()).hexdigest()
            artifacts[logical_id] = Artifact(
                Path(f"/nowhere/{digest}.zip"), digest, 1, (logical_id,)
            )
    return artifacts


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH)


@pytest.fixture(scope="module")
def member(source: dict[str, Any]) -> dict[str, Any]:
    return expand(source, _stand_in_artifacts(source))


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# ---------------------------------------------------------------------------------------------
# The member template expanded from template.yaml
# ---------------------------------------------------------------------------------------------
def test_the_member_template_holds_no_transform_and_no_serverless_resource(
    member: dict[str, Any],
) -> None:
    # Given template.yaml expanded offline / Then StackSets (no macros) can deploy it
    assert "Transform" not in member
    assert "Globals" not in member
    assert not [r for r in member["Resources"].values() if r["Type"].startswith(SERVERLESS_PREFIX)]


def test_every_function_of_template_yaml_becomes_a_lambda_function(
    source: dict[str, Any], member: dict[str, Any]
) -> None:
    functions = _of_type(source, f"{SERVERLESS_PREFIX}Function")
    assert set(functions) <= set(_of_type(member, "AWS::Lambda::Function"))


def test_every_function_reads_its_code_from_the_bucket_of_its_own_region(
    source: dict[str, Any], member: dict[str, Any]
) -> None:
    # Given the stand-in artifacts / Then each function's Code is <prefix>-<its Region>/<zip name>
    artifacts = _stand_in_artifacts(source)
    for logical_id, function in _of_type(member, "AWS::Lambda::Function").items():
        assert function["Properties"]["Code"] == {
            "S3Bucket": BUCKET_NAME,
            "S3Key": artifacts[logical_id].key,
        }
    assert BUCKET_NAME == {"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"}


def test_the_layer_content_comes_from_the_regions_bucket(member: dict[str, Any]) -> None:
    layers = _of_type(member, "AWS::Lambda::LayerVersion")
    assert layers
    for layer in layers.values():
        assert layer["Properties"]["Content"]["S3Bucket"] == BUCKET_NAME


def test_the_bucket_prefix_is_a_parameter_of_the_member_template(member: dict[str, Any]) -> None:
    parameter = member["Parameters"][BUCKET_PARAMETER]
    assert parameter["Type"] == "String"
    assert "Default" not in parameter  # every stack instance must be given it


def test_tracing_stays_a_deploy_time_choice(member: dict[str, Any]) -> None:
    # Given Tracing: !Ref Tracing in Globals (SAM drops TracingConfig for Disabled)
    # Then each function's TracingConfig is absent under Tracing=Disabled, Mode=Tracing otherwise
    condition = member["Conditions"]["OrgPackageTracingDisabled"]
    assert condition == {"Fn::Equals": [{"Ref": "Tracing"}, "Disabled"]}
    for function in _of_type(member, "AWS::Lambda::Function").values():
        assert function["Properties"]["TracingConfig"] == {
            "Fn::If": [
                "OrgPackageTracingDisabled",
                {"Ref": "AWS::NoValue"},
                {"Mode": {"Ref": "Tracing"}},
            ]
        }


def test_the_expansion_does_not_change_template_yaml(source: dict[str, Any]) -> None:
    # One template, two ways to ship it: sam deploy still reads the unchanged SAM template.
    before = copy.deepcopy(source)
    expand(source, _stand_in_artifacts(source))
    assert source == before
    assert load_template(TEMPLATE_PATH)["Transform"] == "AWS::Serverless-2016-10-31"


# ---------------------------------------------------------------------------------------------
# Failing loudly
# ---------------------------------------------------------------------------------------------
def _tiny_sam(**function_properties: Any) -> dict[str, Any]:
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {
            "Alias": {"Type": "String", "Default": "live"},
            "Mode": {
                "Type": "String",
                "Default": "Active",
                "AllowedValues": ["Active", "Disabled"],
            },
        },
        "Resources": {
            "Fn": {
                "Type": f"{SERVERLESS_PREFIX}Function",
                "Properties": {
                    "CodeUri": "src/",
                    "Handler": "app.handler",
                    "Runtime": "python3.13",
                    **function_properties,
                },
            }
        },
    }


def test_a_property_sam_resolves_from_a_parameter_fails_the_packaging() -> None:
    # Given AutoPublishAlias: !Ref Alias - SAM names the alias resource from the value
    template = _tiny_sam(AutoPublishAlias={"Ref": "Alias"})
    # When expanded offline / Then the default value would be baked in: refused, naming it
    with pytest.raises(PackagingError, match="depends on parameter values"):
        expand(template, _stand_in_artifacts(template))


def test_tracing_from_a_parameter_without_an_explicit_role_fails_the_packaging() -> None:
    # SAM would grant X-Ray to the role it generates depending on the value
    template = _tiny_sam(Tracing={"Ref": "Mode"})
    with pytest.raises(PackagingError, match="explicit Role"):
        expand(template, _stand_in_artifacts(template))


def test_a_function_without_an_artifact_fails_the_packaging() -> None:
    template = _tiny_sam()
    with pytest.raises(PackagingError, match="no artifact for Fn"):
        expand(template, {})


def test_a_left_transform_is_refused() -> None:
    with pytest.raises(PackagingError, match="Transform"):
        check_plain({"Transform": "AWS::Serverless-2016-10-31", "Resources": {}})


def test_a_left_serverless_resource_is_refused() -> None:
    template = {"Resources": {"Fn": {"Type": f"{SERVERLESS_PREFIX}Function", "Properties": {}}}}
    with pytest.raises(PackagingError, match="still AWS::Serverless::Function"):
        check_plain(template)


def test_a_left_local_code_uri_is_refused() -> None:
    template = {
        "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"CodeUri": "src/"}}}
    }
    with pytest.raises(PackagingError, match="CodeUri"):
        check_plain(template)


def test_code_in_another_bucket_than_the_regions_is_refused() -> None:
    code = {"S3Bucket": "one-bucket-for-all-regions", "S3Key": "x.zip"}
    template = {
        "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": code}}}
    }
    with pytest.raises(PackagingError, match="artifact bucket"):
        check_plain(template)


# ---------------------------------------------------------------------------------------------
# Deterministic zips
# ---------------------------------------------------------------------------------------------
def test_the_same_files_give_the_same_zip_whatever_their_times(tmp_path: Path) -> None:
    # Given a code tree zipped once
    tree = code_tree(tmp_path / "src")
    first = deterministic_zip(tree, tmp_path / "a")
    # When its files get other modification times and it is zipped again
    for path in tree.rglob("*.py"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    second = deterministic_zip(tree, tmp_path / "b")
    # Then the bytes, hence the name, are the same
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.key == second.key == f"{first.sha256}.zip"


def test_a_changed_file_gives_another_zip_name(tmp_path: Path) -> None:
    tree = code_tree(tmp_path / "src")
    first = deterministic_zip(tree, tmp_path / "out")
    (tree / "pkg" / "app.py").write_text("def handler(event, context):\n    return 2\n")
    assert deterministic_zip(tree, tmp_path / "out").key != first.key


def test_the_zip_holds_sorted_entries_fixed_times_and_no_bytecode(tmp_path: Path) -> None:
    artifact = deterministic_zip(code_tree(tmp_path / "src"), tmp_path / "out")
    with zipfile.ZipFile(artifact.path) as archive:
        entries = archive.infolist()
    assert [e.filename for e in entries] == ["pkg/__init__.py", "pkg/app.py"]
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert {e.external_attr >> 16 for e in entries} == {0o100644}


# ---------------------------------------------------------------------------------------------
# End to end on a small SAM application (a function and a makefile-built layer)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_app(tmp_path / "app")


def test_package_writes_the_template_the_zips_and_a_manifest_that_agree(
    app: Path, tmp_path: Path
) -> None:
    # When the application is packaged
    packaged = package(app, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    # Then every zip is named by its SHA-256, and the manifest says so
    for entry in manifest["artifacts"]:
        data = (tmp_path / "out" / entry["zip"]).read_bytes()
        assert entry["zip"] == f"{entry['sha256']}.zip"
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["bytes"] == len(data)
    # And the two functions share one zip, the layer has its own
    assert sorted(e["resources"] for e in manifest["artifacts"]) == [["DepsLayer"], ["One", "Two"]]
    # And the template's hash is the written file's
    written = (tmp_path / "out" / "member-template.json").read_bytes()
    assert manifest["template"]["sha256"] == hashlib.sha256(written).hexdigest()
    assert json.loads(written) == packaged.template


def test_the_layer_zip_holds_what_its_makefile_built(app: Path, tmp_path: Path) -> None:
    packaged = package(app, tmp_path / "out")
    (layer_zip,) = [
        e["zip"] for e in packaged.manifest["artifacts"] if e["resources"] == ["DepsLayer"]
    ]
    with zipfile.ZipFile(packaged.zips[layer_zip]) as archive:
        assert archive.namelist() == ["python/dep.py"]


def test_packaging_twice_gives_the_same_bytes(app: Path, tmp_path: Path) -> None:
    first = package(app, tmp_path / "one").manifest
    second = package(app, tmp_path / "two").manifest
    assert first["artifacts"] == second["artifacts"]
    assert first["template"] == second["template"]


def test_load_package_returns_the_plain_template_and_the_zips_for_the_emulator(
    app: Path, tmp_path: Path
) -> None:
    packaged = package(app, tmp_path / "out")
    loaded = load_package(tmp_path / "out")
    assert loaded.template == packaged.template
    assert loaded.zips == packaged.zips


def test_load_package_refuses_a_zip_changed_after_packaging(app: Path, tmp_path: Path) -> None:
    packaged = package(app, tmp_path / "out")
    next(iter(packaged.zips.values())).write_bytes(b"tampered")
    with pytest.raises(PackagingError, match="does not match its manifest"):
        load_package(tmp_path / "out")


def test_a_function_with_a_requirements_file_is_refused(app: Path, tmp_path: Path) -> None:
    # Given third-party packages next to the function's code (they need a build for arm64)
    (app.parent / "src" / "requirements.txt").write_text("requests\n")
    with pytest.raises(PackagingError, match=r"requirements\.txt"):
        package(app, tmp_path / "out")


def test_a_failing_layer_build_fails_the_packaging(app: Path, tmp_path: Path) -> None:
    (app.parent / "layer" / "Makefile").write_text("build-DepsLayer:\n\tfalse\n")
    with pytest.raises(PackagingError, match="make build-DepsLayer failed"):
        package(app, tmp_path / "out")
