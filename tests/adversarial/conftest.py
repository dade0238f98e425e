"""Shared pieces of the adversarial suites (their estates: ``localrun.pipeline``)."""

from __future__ import annotations

import pytest

# Every handler publishes its metrics with single_metric, so log_metrics warns that its own buffer
# is empty; that says nothing about the behaviour under test.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
