"""Fixtures of the copyctl tests: moto's organization gaps closed (tests.copyctl.org_estate)."""

from tests.copyctl.org_estate import moto_organization_gaps

__all__ = ["moto_organization_gaps"]
