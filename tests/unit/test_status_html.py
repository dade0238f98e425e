"""``copyctl status --html``'s counting of copies and failures from the walk's findings."""

from __future__ import annotations

from datetime import UTC, datetime

from copyctl.html_model import CopyRow
from copyctl.status_html import copy_rows, status_picture
from core.kernel.recovery_points import ListedRecoveryPoint
from core.reconcile.coverage import Finding, Standing

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def finding(standing: Standing, target: str, reason: str, resource_type: str = "EBS") -> Finding:
    point = ListedRecoveryPoint(
        arn=f"arn:{standing}:{target}:{reason}",
        vault_name="daily",
        vault_arn="arn:aws:backup:us-east-1:111122223333:backup-vault:daily",
        resource_arn="arn:aws:ec2:us-east-1:111122223333:volume/vol-1",
        resource_type=resource_type,
        status="COMPLETED",
        creation_date=NOW,
        backup_plan_id="plan",
        encryption_key_arn=None,
    )
    return Finding(point, standing, target, reason)


FINDINGS = [
    finding(Standing.PROTECTED, "lag", "verified"),
    finding(Standing.IN_FLIGHT, "lag", "copy-to-lag"),
    finding(Standing.KEY_DEPENDENT, "managed", "key-dependent"),
    finding(Standing.FAILED, "managed", "permanent"),
    finding(Standing.FAILED, "managed", "retries-exhausted"),
    finding(Standing.UNPROTECTABLE, "none", "skip-continuous"),
    finding(Standing.PROTECTED, "none", "skip-source-key-independent"),
    finding(Standing.UNPROTECTED, "none", "no-ledger-entry"),  # nothing decided: no skip
]


def test_given_findings_when_counted_then_each_copy_counts_once_with_its_outcome() -> None:
    assert copy_rows(FINDINGS) == [
        CopyRow("EBS", "lag", started=2, protected=1, in_flight=1),
        CopyRow("EBS", "managed", started=3, key_dependent=1, failed=2),
        CopyRow("EBS", "none", skipped={"skip-continuous": 1, "skip-source-key-independent": 1}),
    ]


def test_given_findings_when_pictured_then_failures_are_the_failed_points_by_reason() -> None:
    document = {
        "scope": {"vaults": ["daily"], "created_after": None, "complete": False},
        "coverage": [],
        "unprotected": [],
    }
    picture = status_picture(document, FINDINGS, NOW)
    assert picture.failures == {"permanent": 1, "retries-exhausted": 1}
    assert picture.notes == ["incomplete: the walk stopped before the end"]
    assert "recovery points created after any time" in picture.source
