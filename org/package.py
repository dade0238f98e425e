"""``make org-package``: template.yaml -> plain CloudFormation + deterministic code zips, offline.

StackSets with service-managed permissions cannot run the SAM transform: "You can't provision
nested stacks, transforms, or macros with the default execution role"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html).
So the SAM translator runs here, the way ``sam validate`` runs it (samcli
``SamTemplateValidator``): local ``CodeUri``/``ContentUri`` replaced by S3 locations first, the
managed-policy map from the translator's bundled copy (no IAM call), the Region from an explicit
session (no AWS call at all).

Lambda code in S3 must be in the function's own Region: "An Amazon S3 bucket in the same AWS
Region as your function. The bucket can be in a different AWS account."
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html).
Every ``Code``/``Content`` therefore points at ``${ArtifactBucketPrefix}-${AWS::Region}``, a
parameter this packager adds: one bucket per Region, each holding the same content-addressed zips
(``make org-publish``).

The translator resolves a few properties against parameter values at transform time (Tracing,
AutoPublishAlias, DeploymentPreference...): CloudFormation runs the transform with each stack's real
values, an offline expansion only has defaults. So the expansion runs twice, with the defaults in
one Region and with every parameter changed in another Region; the two must be identical, or the
packaging fails naming what would have been baked in. ``Tracing: !Ref P`` on a function with its own
role is the one case rewritten: SAM drops ``TracingConfig`` for ``Disabled``, the member template
gets the same through ``Fn::If``.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from emulator.cloudformation import reader

REPOSITORY = Path(__file__).resolve().parents[1]
TEMPLATE = REPOSITORY / "template.yaml"
OUTPUT = REPOSITORY / "build" / "org"
MEMBER_TEMPLATE = "member-template.json"
MANIFEST = "manifest.json"

BUCKET_PARAMETER = "ArtifactBucketPrefix"
BUCKET_NAME = {"Fn::Sub": "${" + BUCKET_PARAMETER + "}-${AWS::Region}"}
PLACEHOLDER_BUCKET = "org-package-placeholder-bucket"
SERVERLESS = "AWS::Serverless::"
FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"

# What `sam build` leaves out of a Python function's code (aws_lambda_builders python_pip
# workflow, EXCLUDED_FILES), the subset that can appear in a source tree.
EXCLUDED = (
    *(".aws-sam", ".git", ".gitignore", "*.pyc", "__pycache__", "*.so", "*.egg-info"),
    *(".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", "venv", ".DS_Store"),
)
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
# The expansion with every parameter changed runs in another Region than the canonical one.
CANONICAL_REGION = "us-east-1"
PROBE_REGION = "eu-west-3"


class PackagingError(Exception):
    """The template cannot become a plain, Region-independent member template."""


@dataclass(frozen=True)
class Artifact:
    """One content-addressed zip and the resources that use it."""

    path: Path
    sha256: str
    size: int
    resources: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class PackagedTemplate:
    """What the emulator (or a test) needs to deploy the member template: the plain template as a
    dict, and each zip by its S3 key."""

    template: dict[str, Any]
    zips: dict[str, Path]
    template_path: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------
# Deterministic zips
# ------------------------------------------------------------------------------------------------
def _excluded(relative: Path) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in EXCLUDED)


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not _excluded(relative):
            yield relative


def deterministic_zip(source: Path, destination_dir: Path) -> Artifact:
    """Zip ``source`` with sorted entries, fixed timestamps and permissions, named by its hash:
    the same files give the same bytes, whatever their mtime, owner or umask."""
    if not source.is_dir():
        raise PackagingError(f"{source}: no such directory to zip")
    destination_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination_dir, suffix=".part", delete=False) as handle:
        scratch = Path(handle.name)
    try:
        with zipfile.ZipFile(scratch, "w") as archive:
            for relative in _files(source):
                entry = zipfile.ZipInfo(relative.as_posix(), date_time=ZIP_EPOCH)
                entry.create_system = 3  # Unix: the mode below is read
                executable = os.access(source / relative, os.X_OK)
                entry.external_attr = (0o100755 if executable else 0o100644) << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, (source / relative).read_bytes(), compresslevel=9)
        digest = hashlib.sha256(scratch.read_bytes()).hexdigest()
        final = destination_dir / f"{digest}.zip"
        scratch.replace(final)
        final.chmod(0o644)
    finally:
        scratch.unlink(missing_ok=True)
    return Artifact(final, digest, final.stat().st_size)


# ------------------------------------------------------------------------------------------------
# Building each resource's code
# ------------------------------------------------------------------------------------------------
def _local_uri(value: Any) -> str | None:
    """A local path (what `sam build` would build), or None for S3 locations and intrinsics."""
    if isinstance(value, str) and not value.startswith("s3://"):
        return value
    return None


def _code_property(kind: str) -> str:
    return "CodeUri" if kind == FUNCTION else "ContentUri"


def _build_source(
    logical_id: str,
    resource: Mapping[str, Any],
    source: Path,
    scratch: Path,
    environment: Mapping[str, str],
) -> Path:
    """The directory to zip for one resource, as `sam build` would produce it."""
    method = (resource.get("Metadata") or {}).get("BuildMethod")
    if method == "makefile":
        # sam build runs `make build-<LogicalId>` with ARTIFACTS_DIR set
        # (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-custom-runtimes.html).
        artifacts = scratch / logical_id
        artifacts.mkdir(parents=True)
        done = subprocess.run(  # noqa: S603 - make, with our own arguments
            [  # noqa: S607 - make from PATH, as sam build runs it
                "make",
                "--no-print-directory",
                "-f",
                str(source / "Makefile"),
                f"build-{logical_id}",
                f"ARTIFACTS_DIR={artifacts}",
            ],
            cwd=source,
            env={**os.environ, **environment},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise PackagingError(f"{logical_id}: make build-{logical_id} failed:\n{done.stderr}")
        return artifacts
    if method is not None:
        raise PackagingError(f"{logical_id}: BuildMethod {method!r} is not supported offline")
    if resource["Type"] == FUNCTION and (source / "requirements.txt").exists():
        raise PackagingError(
            f"{logical_id}: {source}/requirements.txt needs a dependency build; put third-party "
            "packages in a layer (BuildMethod: makefile) instead"
        )
    return source


def _effective_code_uri(resource: Mapping[str, Any], globals_: Mapping[str, Any]) -> Any:
    properties = resource.get("Properties") or {}
    if resource["Type"] == FUNCTION:
        if properties.get("PackageType", "Zip") != "Zip" or "InlineCode" in properties:
            return None
        return properties.get("CodeUri", (globals_.get("Function") or {}).get("CodeUri"))
    return properties.get("ContentUri", (globals_.get("LayerVersion") or {}).get("ContentUri"))


def build_artifacts(
    template: Mapping[str, Any],
    template_dir: Path,
    output: Path,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Artifact]:
    """Each function's and layer's zip, by logical id (resources with the same code share one)."""
    globals_ = template.get("Globals") or {}
    by_source: dict[tuple[str, str | None], Artifact] = {}
    users: dict[str, list[str]] = {}
    chosen: dict[str, tuple[str, str | None]] = {}
    with tempfile.TemporaryDirectory(prefix="org-package-") as scratch_dir:
        for logical_id, resource in (template.get("Resources") or {}).items():
            if resource.get("Type") not in (FUNCTION, LAYER):
                continue
            local = _local_uri(_effective_code_uri(resource, globals_))
            if local is None:
                continue
            source = (template_dir / local).resolve()
            method = (resource.get("Metadata") or {}).get("BuildMethod")
            # A makefile build is per logical id (its target's name); a plain directory is shared.
            identity = (str(source), logical_id if method else None)
            if identity not in by_source:
                built = _build_source(
                    logical_id, resource, source, Path(scratch_dir), environment or {}
                )
                by_source[identity] = deterministic_zip(built, output)
            chosen[logical_id] = identity
            users.setdefault(by_source[identity].sha256, []).append(logical_id)
    return {
        logical_id: Artifact(
            by_source[identity].path,
            by_source[identity].sha256,
            by_source[identity].size,
            tuple(users[by_source[identity].sha256]),
        )
        for logical_id, identity in chosen.items()
    }


# ------------------------------------------------------------------------------------------------
# The expansion
# ------------------------------------------------------------------------------------------------
def _translate(
    template: dict[str, Any], parameter_values: dict[str, Any], region: str
) -> dict[str, Any]:
    # The translator records metrics for a publisher it never calls; publishing them to the dummy
    # publisher here keeps its "unpublished metrics" warning off the user's terminal.
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(
        None,
        Parser(),
        plugins=[],
        boto_session=boto3.session.Session(region_name=region),
        metrics=metrics,
    )
    expanded: dict[str, Any] = translator.translate(
        copy.deepcopy(template),
        parameter_values=dict(parameter_values),
        get_managed_policy_map=lambda: get_bundled_managed_policy_map("aws") or {},
    )
    metrics.publish()
    return expanded


def _another_value(name: str, declaration: Mapping[str, Any]) -> Any:
    """A legal-looking value different from the default, to see whether the expansion moves."""
    default = declaration.get("Default")
    allowed = [v for v in declaration.get("AllowedValues", []) if str(v) != str(default)]
    if allowed:
        return allowed[0]
    if declaration.get("Type") == "Number":
        return str(int(float(default or 0)) + 7)
    return f"{default or ''}probe{name}"


def _traced_by_parameter(template: Mapping[str, Any]) -> dict[str, str]:
    """Functions whose Tracing is ``!Ref <parameter>``: logical id -> parameter."""
    parameters = template.get("Parameters") or {}
    shared = ((template.get("Globals") or {}).get("Function") or {}).get("Tracing")
    traced: dict[str, str] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != FUNCTION:
            continue
        tracing = (resource.get("Properties") or {}).get("Tracing", shared)
        if isinstance(tracing, dict) and set(tracing) == {"Ref"} and tracing["Ref"] in parameters:
            if "Role" not in (resource.get("Properties") or {}):
                # SAM would also add X-Ray permissions to the role it generates, by the value.
                raise PackagingError(
                    f"{logical_id}: Tracing from parameter {tracing['Ref']} needs an explicit Role"
                )
            traced[logical_id] = tracing["Ref"]
    return traced


def _differences(left: Any, right: Any, path: str = "") -> Iterator[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right), key=str):
            yield from _differences(left.get(key), right.get(key), f"{path}/{key}")
    elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            yield from _differences(a, b, f"{path}/{index}")
    elif left != right:
        yield path or "/"


def _with_s3_locations(template: dict[str, Any], artifacts: Mapping[str, Artifact]) -> None:
    """Point every built resource at the placeholder bucket, its key the zip's name."""
    globals_ = template.get("Globals") or {}
    for logical_id, artifact in artifacts.items():
        resource = template["Resources"][logical_id]
        resource.setdefault("Properties", {})[_code_property(resource["Type"])] = (
            f"s3://{PLACEHOLDER_BUCKET}/{artifact.key}"
        )
    # Every resource above overrides a Globals location: drop it, so nothing local is left.
    (globals_.get("Function") or {}).pop("CodeUri", None)
    (globals_.get("LayerVersion") or {}).pop("ContentUri", None)


def _point_at_regional_bucket(expanded: dict[str, Any]) -> None:
    for resource in (expanded.get("Resources") or {}).values():
        for prop in ("Code", "Content"):
            location = (resource.get("Properties") or {}).get(prop)
            if isinstance(location, dict) and location.get("S3Bucket") == PLACEHOLDER_BUCKET:
                location["S3Bucket"] = copy.deepcopy(BUCKET_NAME)


def _deploy_time_tracing(expanded: dict[str, Any], traced: Mapping[str, str]) -> None:
    """SAM sets no TracingConfig for Tracing=Disabled (and Lambda rejects Mode Disabled): keep
    that a deploy-time choice."""
    for logical_id, parameter in traced.items():
        properties = expanded["Resources"][logical_id]["Properties"]
        config = properties.get("TracingConfig")
        if config != {"Mode": {"Ref": parameter}}:
            raise PackagingError(f"{logical_id}: unexpected TracingConfig {config!r}")
        conditions = expanded.setdefault("Conditions", {})
        name = f"OrgPackage{parameter}Disabled"
        condition = {"Fn::Equals": [{"Ref": parameter}, "Disabled"]}
        if conditions.setdefault(name, condition) != condition:
            raise PackagingError(f"condition {name} already exists in the template")
        properties["TracingConfig"] = {"Fn::If": [name, {"Ref": "AWS::NoValue"}, config]}


def _add_bucket_parameter(expanded: dict[str, Any]) -> None:
    parameters = expanded.setdefault("Parameters", {})
    if BUCKET_PARAMETER in parameters:
        raise PackagingError(f"template.yaml already declares {BUCKET_PARAMETER}")
    parameters[BUCKET_PARAMETER] = {
        "Type": "String",
        # S3 bucket names: 3-63 lowercase letters, digits, hyphens; the longest Region suffix
        # ("-ap-southeast-7") takes 15. https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
        "AllowedPattern": "^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$",
        "ConstraintDescription": "3-48 lowercase letters, digits or hyphens",
        "Description": (
            "The functions' code comes from the bucket <ArtifactBucketPrefix>-<Region> of the "
            "Region the stack lands in (Lambda reads code only from its own Region); "
            "`make org-publish` fills every Region's bucket."
        ),
    }


def check_plain(template: Mapping[str, Any]) -> None:
    """Fail loudly if anything of SAM, or a local path, is left in a member template."""
    problems = []
    if "Transform" in template:
        problems.append(f"Transform {template['Transform']!r} is still declared")
    if "Globals" in template:
        problems.append("Globals is still declared")
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = str(resource.get("Type", ""))
        if kind.startswith(SERVERLESS):
            problems.append(f"{logical_id} is still {kind}")
        properties = resource.get("Properties") or {}
        for local in ("CodeUri", "ContentUri"):
            if local in properties:
                problems.append(f"{logical_id} still has a {local} ({properties[local]!r})")
        for prop in ("Code", "Content"):
            location = properties.get(prop)
            if isinstance(location, dict) and location.get("S3Bucket", BUCKET_NAME) != BUCKET_NAME:
                problems.append(f"{logical_id} {prop} is not the Region's artifact bucket")
    text = json.dumps(template)
    if "Fn::Transform" in text:
        problems.append("an Fn::Transform is left")
    if PLACEHOLDER_BUCKET in text:
        problems.append("a placeholder S3 location is left")
    if problems:
        raise PackagingError("not a plain member template: " + "; ".join(problems))


def expand(source: Mapping[str, Any], artifacts: Mapping[str, Artifact]) -> dict[str, Any]:
    """The plain CloudFormation member template: SAM expanded offline, code in the Region's bucket.

    ``artifacts`` holds every function and layer with a local code location (``build_artifacts``).
    """
    template = copy.deepcopy(dict(source))
    globals_ = template.get("Globals") or {}
    missing = [
        logical_id
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") in (FUNCTION, LAYER)
        and _local_uri(_effective_code_uri(resource, globals_))
        and logical_id not in artifacts
    ]
    if missing:
        raise PackagingError(f"no artifact for {', '.join(missing)} (local CodeUri/ContentUri)")
    traced = _traced_by_parameter(template)
    _with_s3_locations(template, artifacts)
    declarations = template.get("Parameters") or {}
    forced = {parameter: "Active" for parameter in traced.values()}
    canonical = _translate(template, forced, CANONICAL_REGION)
    probe_values = {
        name: _another_value(name, declaration)
        for name, declaration in declarations.items()
        if name not in forced
    }
    probe = _translate(template, {**probe_values, **forced}, PROBE_REGION)
    moved = list(_differences(canonical, probe))
    if moved:
        raise PackagingError(
            "the expansion depends on parameter values or the Region (SAM resolved them at "
            f"transform time; CloudFormation would use each stack's own): {', '.join(moved[:10])}"
        )
    _point_at_regional_bucket(canonical)
    _deploy_time_tracing(canonical, traced)
    _add_bucket_parameter(canonical)
    check_plain(canonical)
    return canonical


# ------------------------------------------------------------------------------------------------
# Reading template.yaml, writing build/org
# ------------------------------------------------------------------------------------------------
def load_template(path: Path) -> dict[str, Any]:
    """template.yaml, short forms (!Ref, !Sub...) in long form, as the translator reads it."""
    return reader.load(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package(
    template_path: Path = TEMPLATE,
    output: Path = OUTPUT,
    environment: Mapping[str, str] | None = None,
) -> PackagedTemplate:
    """Write ``member-template.json``, the zips and ``manifest.json`` under ``output``."""
    source = load_template(template_path)
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    artifacts = build_artifacts(source, template_path.parent, output, environment)
    member = expand(source, artifacts)
    member_path = output / MEMBER_TEMPLATE
    member_path.write_text(json.dumps(member, indent=1) + "\n", encoding="utf-8")
    unique = {artifact.key: artifact for artifact in artifacts.values()}
    manifest = {
        "format": 1,
        "source_template": template_path.name,
        "source_template_sha256": _sha256(template_path),
        "template": {"file": MEMBER_TEMPLATE, "sha256": _sha256(member_path)},
        "artifact_bucket": "${" + BUCKET_PARAMETER + "}-${AWS::Region}",
        "artifacts": [
            {
                "zip": key,
                "sha256": artifact.sha256,
                "bytes": artifact.size,
                "resources": sorted(artifact.resources),
            }
            for key, artifact in sorted(unique.items())
        ],
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return PackagedTemplate(
        member, {key: a.path for key, a in unique.items()}, member_path, manifest
    )


def load_package(output: Path = OUTPUT) -> PackagedTemplate:
    """The packaged member template as ``make org-package`` left it, checked against its manifest:
    the input of the emulator's multi-account deploy."""
    manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    member_path = output / manifest["template"]["file"]
    if _sha256(member_path) != manifest["template"]["sha256"]:
        raise PackagingError(f"{member_path} does not match its manifest: package again")
    zips = {}
    for entry in manifest["artifacts"]:
        path = output / entry["zip"]
        if _sha256(path) != entry["sha256"]:
            raise PackagingError(f"{path} does not match its manifest: package again")
        zips[entry["zip"]] = path
    template = json.loads(member_path.read_text(encoding="utf-8"))
    check_plain(template)
    return PackagedTemplate(template, zips, member_path, manifest)
