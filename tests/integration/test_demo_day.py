"""A whole simulated day through the demo runner: template.yaml, the real handlers, the report.

One day for a small estate (the catalogue's first 8 kinds cover every path of the copy decision)
is shared by the tests of this module, which only read it (test_demo_promises.py tampers).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from demo.render import render_text, write_json
from demo.run import DemoOptions, DemoResult, demo_session, run_demo

NO_RETRIES = Config(retries={"total_max_attempts": 1})

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@pytest.fixture(scope="module")
def day() -> Iterator[DemoResult]:
    with demo_session():
        yield run_demo(DemoOptions(resources=8, seed=4242))


def client(name: str) -> Any:
    return boto3.client(name, region_name="us-east-1", config=NO_RETRIES)


def points_of(result: DemoResult, resource_type: str) -> list[dict[str, Any]]:
    return [p for p in result.report.recovery_points if p["resource_type"] == resource_type]


def any_copy(point: dict[str, Any]) -> bool:
    return any(entry["reason"].startswith(("copy-", "key-")) for entry in point["ledger"])


# ---- the day, as it should be ------------------------------------------------------------------


def test_given_a_small_estate_when_a_day_runs_then_every_promise_is_kept(day: DemoResult) -> None:
    # Then
    assert day.day.quiescent
    assert [check.name for check in day.report.promises if not check.kept] == []
    assert day.report.promises_kept


def test_given_the_day_when_reported_then_each_recovery_point_is_protected_or_explained(
    day: DemoResult,
) -> None:
    # Then: one live copy per destination (promise above) or a reason; none lost, none pending
    outcomes = Counter(point["outcome"] for point in day.report.recovery_points)
    assert set(outcomes) == {"protected", "unprotected"}
    for point in day.report.recovery_points:
        if point["outcome"] == "unprotected":
            assert all(entry["reason"] for entry in point["ledger"]), point


def test_given_the_day_when_reported_then_each_kind_of_resource_took_its_path(
    day: DemoResult,
) -> None:
    # Then: on a first of the month the main plan's hourly, daily and monthly rules all start
    # at 07:20; AWS Backup runs only the monthly one (the longest retention), so 23 hourly
    # backups + 1 monthly for the main selection
    assert {p["outcome"] for p in points_of(day, "EFS")} == {"protected"}
    assert len(points_of(day, "EFS")) == 24
    (ec2,) = points_of(day, "EC2")  # the EC2 plan: once a day, into the LAG vault
    assert ec2["outcome"] == "protected"
    assert [entry["target"] for entry in ec2["ledger"]] == ["lag"]
    dynamodb = {entry["reason"] for p in points_of(day, "DynamoDB") for entry in p["ledger"]}
    assert dynamodb == {"skip-not-copyable"}
    paths = {(group.resource_type, group.path) for group in day.report.unprotected}
    # The volume under aws/ebs depends on no customer key: protected as it is, never copied.
    under_aws_ebs = [
        point
        for point in points_of(day, "EBS")
        if any(entry["reason"] == "skip-source-key-independent" for entry in point["ledger"])
    ]
    assert under_aws_ebs
    assert {point["outcome"] for point in under_aws_ebs} == {"protected"}
    assert not any(resource_type == "EBS" for resource_type, _ in paths)
    # RDS instances are not LAG-capable, and AWS Backup does not fully manage them: their copies
    # go to the vault under aws/rds (the managed-key vault would refuse them), and are protected
    copied = [point for point in points_of(day, "RDS") if any_copy(point)]
    assert copied
    assert {point["outcome"] for point in copied} == {"protected"}
    assert {entry["target"] for point in copied for entry in point["ledger"]} == {"service-key"}
    assert not any(resource_type == "RDS" and "managed" in path for resource_type, path in paths)
    (bucket,) = day.report.not_backed_up
    assert (bucket["resource_type"], bucket["reason"]) == ("S3", "no backup selection picks it")


def test_given_the_day_when_reported_then_the_counts_are_aws_own(day: DemoResult) -> None:
    # Given
    backup = client("backup")
    copy_jobs = backup.list_copy_jobs()["CopyJobs"]
    backup_jobs = backup.list_backup_jobs()["BackupJobs"]
    # Then
    assert sum(row.copies_started for row in day.report.copy_status) == len(copy_jobs)
    assert sum(row.backups_completed for row in day.report.by_type) == len(
        [job for job in backup_jobs if job["State"] == "COMPLETED"]
    )
    assert len(day.report.recovery_points) == len(
        [job for job in backup_jobs if job["State"] == "COMPLETED"]
    )


def test_given_the_report_when_rendered_then_text_and_json_carry_the_same_promises(
    day: DemoResult, tmp_path: Path
) -> None:
    # When
    text = render_text(day.report)
    write_json(day.report, tmp_path / "nested" / "report.json")
    # Then
    document = json.loads((tmp_path / "nested" / "report.json").read_text("utf-8"))
    assert "Copy status by resource type and target" in text
    assert "all promises kept" in text
    assert document["promises_kept"] is True
    assert [p["name"] for p in document["promises"]] == [c.name for c in day.report.promises]
    assert len(document["recovery_points"]) == len(day.report.recovery_points)
