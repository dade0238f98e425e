"""Fixtures of the copyctl tests: moto's organization gaps closed (localrun.org_estate)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localrun.org_estate import moto_organization_gaps as gaps_closed


@pytest.fixture
def moto_organization_gaps() -> Iterator[None]:
    with gaps_closed():
        yield
