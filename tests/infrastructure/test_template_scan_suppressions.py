"""checkov runs in `make scan`; every finding it is told to skip carries its reason in place."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template_loader import TEMPLATE_PATH, load_template

ORG_TEMPLATE = TEMPLATE_PATH.parent / "org" / "template.yaml"
RESOURCES: dict[str, Any] = {
    **load_template()["Resources"],
    **{f"org/{k}": v for k, v in load_template(ORG_TEMPLATE)["Resources"].items()},
}
SKIPS = [
    (name, skip)
    for name, resource in RESOURCES.items()
    for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
]


def test_the_template_has_suppressions_to_check() -> None:
    assert SKIPS


@pytest.mark.parametrize(("resource", "skip"), SKIPS, ids=[f"{r}-{s['id']}" for r, s in SKIPS])
def test_given_a_suppressed_check_when_read_then_it_names_the_check_and_says_why(
    resource: str, skip: dict[str, str]
) -> None:
    assert skip["id"].startswith("CKV_")
    assert len(skip.get("comment", "").split()) >= 8, f"{resource}: {skip['id']} needs a reason"


def test_no_check_is_suppressed_for_the_whole_template() -> None:
    # Suppressions live on the resource they concern, never as a blanket skip.
    assert "checkov" not in load_template().get("Metadata", {})
    assert "checkov" not in load_template(ORG_TEMPLATE).get("Metadata", {})
