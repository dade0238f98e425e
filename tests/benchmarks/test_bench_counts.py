"""The bench's counting measurements, small: the counts are facts of the code, not of the machine.

Times and memory stay in ``make bench``; what it counts (AWS calls per outcome, recovery points
protected in a burst) is checked here on small inputs, so neither the code nor the bench can drift
from what the README reports without a failing test.
"""

from __future__ import annotations

import pytest

from bench.burst import burst
from bench.results import Result
from bench.warm import calls_per_outcome


def _by_name(results: list[Result]) -> dict[str, Result]:
    return {result.name: result for result in results}


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_given_a_warm_copy_handler_when_counted_then_each_outcome_costs_what_the_readme_says() -> (
    None
):
    # When 20 copied and 20 skipped records are counted
    results = _by_name(calls_per_outcome(20))
    # Then a copy costs 2 AWS Backup calls and 2 ledger writes, a skip none, and no config reads
    assert results["AWS Backup calls per copied recovery point"].value == 2
    assert results["ledger writes per copied recovery point"].value == 2
    assert results["AWS Backup calls per skipped event"].value == 0
    assert results["configuration loads per warm event"].value == 0
    assert results["environment reads per warm event, by src/"].value == 0


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_given_a_small_burst_when_drained_then_every_point_is_protected_once() -> None:
    # When 30 completed backups arrive at once
    results = _by_name(burst(30))
    # Then none is left unprotected, none copied twice, and the drain is no faster than the quota
    assert results["burst 30: recovery points not protected"].value == 0
    assert results["burst 30: copied twice"].value == 0
    drain = results["burst 30: simulated drain time"]
    assert drain.baseline is not None
    assert drain.value >= drain.baseline
