"""Packaging for an organization (make org-package) against `sam build`, measured in the same run.

Time: ``org.package.package`` (SAM expansion twice, the layer's makefile build, deterministic zips)
against ``sam build --no-cached`` of the same template (the same layer makefile, no expansion).
Size: the bytes org-publish uploads per Region (one zip per distinct code, named by its hash)
against the bytes `sam package` would upload (one zip per function and layer of the `sam build`
output, zipped here with the standard library).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import Result
from org.package import TEMPLATE, package

TIME_TARGET = 1.5  # org-package may cost half again a plain sam build, not more
SIZE_TARGET = 1.0  # never more bytes to upload than sam package
# TemplateURL of a stack set: "max size: 460,800 bytes" (AWS::CloudFormation::StackSet schema).
TEMPLATE_URL_LIMIT = 460_800


def _sam_build(build_dir: Path, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "sam"),
            "build",
            "--template",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            "--no-cached",
        ],
        cwd=TEMPLATE.parent,
        env={**os.environ, **environment, "SAM_CLI_TELEMETRY": "0"},
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def _sam_package_bytes(build_dir: Path, scratch: Path) -> int:
    """What `sam package` uploads: each built function and layer directory as its own zip."""
    total = 0
    for built in sorted(p for p in build_dir.iterdir() if p.is_dir()):
        archive = shutil.make_archive(str(scratch / built.name), "zip", built)
        total += Path(archive).stat().st_size
    return total


def packaging() -> list[Result]:
    environment = {"LAYER_PYTHON": sys.executable}  # as `make org-package` and `make build` set it
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-packaging-") as scratch:
        root = Path(scratch)
        baseline_seconds = _sam_build(root / "sam-build", environment)
        started = time.perf_counter()
        packaged = package(TEMPLATE, root / "org", environment)
        seconds = time.perf_counter() - started
        uploaded = sum(entry["bytes"] for entry in packaged.manifest["artifacts"])
        (root / "zips").mkdir()
        baseline_bytes = _sam_package_bytes(root / "sam-build", root / "zips")
        assert packaged.template_path is not None
        template_bytes = packaged.template_path.stat().st_size
    zips = len(packaged.manifest["artifacts"])
    return [
        Result(
            "packaging: make org-package",
            seconds,
            "s",
            baseline_seconds,
            "sam build --no-cached",
            TIME_TARGET,
            note="SAM expansion twice (parameter check), layer makefile build, deterministic zips",
        ),
        Result(
            "packaging: bytes to upload per Region",
            uploaded / 1e6,
            "MB",
            baseline_bytes / 1e6,
            "sam package zips",
            SIZE_TARGET,
            detail={"zips": zips, "bytes": uploaded, "baseline_bytes": baseline_bytes},
            note=f"{zips} content-addressed zips (functions sharing src/ share one)",
        ),
        Result(
            "packaging: member template size",
            template_bytes / 1000,
            "kB",
            target=TEMPLATE_URL_LIMIT / 1000,
            note="plain CloudFormation; a stack set's TemplateURL takes at most 460.8 kB",
        ),
    ]
