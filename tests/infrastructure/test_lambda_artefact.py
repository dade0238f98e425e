"""The Lambda artefact holds only what the functions run (issue 13): no copyctl, demo or emulator.

SAM zips each function's ``CodeUri`` as it is (no requirements.txt there: the third-party code
comes from the layers), so the packages below ``CodeUri`` are exactly what every function ships.
"""

from __future__ import annotations

from pathlib import Path

from tests.template_loader import TEMPLATE_PATH, load_template

FUNCTION_PACKAGES = {"core", "adapters", "handlers"}


def _code_uris() -> set[str]:
    template = load_template()
    default = template["Globals"]["Function"]["CodeUri"]
    return {
        resource.get("Properties", {}).get("CodeUri", default)
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_every_function_ships_the_same_code_directory() -> None:
    # Given the template's functions / Then they all ship src/ (one artefact, one layering)
    assert _code_uris() == {"src/"}


def test_the_code_directory_holds_only_the_function_packages() -> None:
    # Given what SAM would zip / Then it is the handlers and what they import, nothing else
    code = TEMPLATE_PATH.parent / "src"
    packages = {p.name for p in code.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    stray = {p.name for p in code.iterdir() if p.is_file() and p.suffix == ".py"}
    assert packages == FUNCTION_PACKAGES
    assert stray == set()


def test_the_operator_tool_lives_outside_the_artefact() -> None:
    root = TEMPLATE_PATH.parent
    assert (root / "copyctl" / "__main__.py").is_file()
    assert not any(Path(root / "src").glob("**/copyctl"))
