"""A small SAM application to package: two functions sharing src/, a layer built by a makefile
(as template.yaml's SdkLayer is)."""

from __future__ import annotations

from pathlib import Path

LAYER_MAKEFILE = (
    "build-DepsLayer:\n"
    "\tmkdir -p $(ARTIFACTS_DIR)/python\n"
    "\techo x > $(ARTIFACTS_DIR)/python/dep.py\n"
)
APP_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    CodeUri: src/
    Layers: [!Ref DepsLayer]
Resources:
  DepsLayer:
    Type: AWS::Serverless::LayerVersion
    Metadata: {BuildMethod: makefile}
    Properties: {ContentUri: layer/, CompatibleRuntimes: [python3.13]}
  One:
    Type: AWS::Serverless::Function
    Properties: {Handler: pkg.app.handler}
  Two:
    Type: AWS::Serverless::Function
    Properties: {Handler: pkg.app.handler}
"""


def code_tree(root: Path) -> Path:
    """A function package, with bytecode that must not be shipped."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0compiled")
    return root


def write_app(root: Path) -> Path:
    """The application under ``root``; returns its template's path."""
    code_tree(root / "src")
    (root / "layer").mkdir()
    (root / "layer" / "Makefile").write_text(LAYER_MAKEFILE)
    (root / "template.yaml").write_text(APP_TEMPLATE)
    return root / "template.yaml"
