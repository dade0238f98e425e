"""The demo with same-Region service-key copies that keep the source key (AWS leaves it open):
the dr stack is provisioned in a second Region, the key-dependent copies fall back to it without
an alert, and every promise is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from core.tracking.next_attempt import FALLBACK_AFTER_KEY_DEPENDENT
from demo.run import DemoOptions, DemoResult, demo_session, run_demo

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


DR_SVC_RDS = ":us-west-2:123456789012:backup-vault:backup-copy-demo-svc-rds"


@pytest.fixture(scope="module")
def day() -> Iterator[DemoResult]:
    with demo_session():
        yield run_demo(
            DemoOptions(resources=8, seed=4242, service_key_vault_policy="keep-source-key")
        )


def rds_copied(day: DemoResult) -> list[dict[str, Any]]:
    return [
        point
        for point in day.report.recovery_points
        if point["resource_type"] == "RDS"
        and any(entry["target"] != "none" for entry in point["ledger"])
    ]


def test_given_kept_source_keys_when_the_day_runs_then_every_promise_is_kept(
    day: DemoResult,
) -> None:
    assert day.day.quiescent
    assert day.report.promises_kept
    assert day.report.run["service_key_vault_policy"] == "keep-source-key"
    assert day.report.run["dr_region"] == "us-west-2"


def test_given_kept_source_keys_when_reported_then_rds_is_protected_in_the_dr_region(
    day: DemoResult,
) -> None:
    points = rds_copied(day)
    assert points
    for point in points:
        assert point["outcome"] == "protected", point
        by_target = {entry["target"]: entry for entry in point["ledger"]}
        # the same-Region copy kept the source key: key-dependent, and the point moved on
        assert by_target["service-key"]["reason"] == FALLBACK_AFTER_KEY_DEPENDENT
        assert by_target["dr-service-key"]["state"] == "protected"


def test_given_the_fallbacks_when_the_day_ends_then_no_key_dependent_alert_was_sent(
    day: DemoResult,
) -> None:
    topic = str(day.stack.provisioned.ref("AlertTopic"))
    region = day.stack.region
    sent = sns_backends[day.stack.account][region].topics[topic].sent_notifications
    assert not [message for _, message, *_ in sent if "key-dependent" in str(message)]
    # ... and AWS ran one copy per recovery point into the DR Region's aws/rds vault (a copy job
    # is listed in the Region that started it)
    jobs = boto3.client("backup", region_name=region).list_copy_jobs()["CopyJobs"]
    into_dr = [job for job in jobs if job["DestinationBackupVaultArn"].endswith(DR_SVC_RDS)]
    assert len(into_dr) == len(rds_copied(day))
