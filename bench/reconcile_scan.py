"""Reconcile scan: the reconciler walks N recovery points spread over the source vaults, every one
already protected in the ledger (the steady state), with AWS answered in memory.

Reports its pages, wall time (against a bare loop of the same calls: one listing page per 100
points, one ledger Query per point) and peak Python memory (tracemalloc, a separate run: tracing
slows everything down). A run without a cursor (``resume=False``), as ``copyctl`` runs it: the
scheduled run also saves a cursor after each page, one small write per 100 points.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.sessions import AwsClients
from bench.batches import canned_aws
from bench.results import Result
from core.kernel.config import load_settings
from core.reconcile.examine import Mode
from core.reconcile.reconciler import Reconciler, RunRequest
from core.reconcile.settings import ReconcileSettings
from handlers.reconcile_wiring import build_reconciler
from localrun.canned_aws import CannedAws
from localrun.samples import ACCOUNT, LAG_VAULT_ARN, REGION, SETTINGS_ENV, SOURCE_VAULTS

PAGE = 100  # the reconciler's default page size (RECONCILE_PAGE_SIZE)
CREATED = datetime.now(UTC) - timedelta(days=3)


def _listing(per_vault: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def page(params: dict[str, Any]) -> dict[str, Any]:
        vault, start = params["BackupVaultName"], int(params.get("NextToken", "0"))
        end = min(start + params["MaxResults"], per_vault)
        points = [
            {
                "RecoveryPointArn": f"arn:aws:ec2:{REGION}::snapshot/snap-{vault}-{i:012d}",
                "BackupVaultName": vault,
                "BackupVaultArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{vault}",
                "ResourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-{i:012d}",
                "ResourceType": "EBS",
                "Status": "COMPLETED",
                "CreationDate": CREATED,
            }
            for i in range(start, end)
        ]
        return {"RecoveryPoints": points, **({"NextToken": str(end)} if end < per_vault else {})}

    return page


def _protected(params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ExpressionAttributeValues"][":arn"]["S"]
    item = {
        "RecoveryPointArn": {"S": arn},
        "DestinationVaultArn": {"S": LAG_VAULT_ARN},
        "State": {"S": "protected"},
        "Reason": {"S": "key-aws-owned"},
        "Attempts": {"N": "1"},
        "UpdatedAt": {"S": CREATED.isoformat()},
    }
    return {"Items": [item], "Count": 1, "ScannedCount": 1}


def _reconciler(aws: CannedAws) -> Reconciler:
    settings = load_settings(SETTINGS_ENV)
    clients = AwsClients(
        aws.client("backup"), aws.client("dynamodb"), aws.client("kms"), aws.client("sns")
    )
    options = ReconcileSettings(look_back_days=None, page_size=PAGE)
    return build_reconciler(settings, options, clients, lambda: datetime.now(UTC), heal=True)


def _bare(aws: CannedAws) -> None:
    backup: Any = aws.client("backup")
    dynamodb: Any = aws.client("dynamodb")
    for vault in SOURCE_VAULTS:
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = backup.list_recovery_points_by_backup_vault(
                BackupVaultName=vault, MaxResults=PAGE, **extra
            )
            for point in page["RecoveryPoints"]:
                dynamodb.query(
                    TableName="ledger",
                    KeyConditionExpression="RecoveryPointArn = :arn",
                    ExpressionAttributeValues={":arn": {"S": point["RecoveryPointArn"]}},
                    ConsistentRead=True,
                )
            token = page.get("NextToken")
            if not token:
                break


def scanning(points: int) -> tuple[Reconciler, CannedAws, int]:
    """A reconciler over ``points`` protected recovery points spread over the source vaults."""
    per_vault = points // len(SOURCE_VAULTS)
    aws = canned_aws()
    aws.answer("backup", "ListRecoveryPointsByBackupVault", _listing(per_vault))
    aws.answer("dynamodb", "Query", _protected)
    return _reconciler(aws), aws, per_vault


def scan_once(points: int) -> None:
    """One healing run over ``points`` recovery points (the memory worker's workload)."""
    reconciler, _, _ = scanning(points)
    reconciler.run(RunRequest(Mode.HEAL))


def reconcile_scan(points: int, repeats: int = 3) -> list[Result]:
    reconciler, aws, per_vault = scanning(points)
    request = RunRequest(Mode.HEAL)
    walls, bare = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        report = reconciler.run(request)
        walls.append(time.perf_counter() - started)
        started = time.perf_counter()
        _bare(aws)
        bare.append(time.perf_counter() - started)
    tracemalloc.start()
    reconciler.run(request)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    scanned = per_vault * len(SOURCE_VAULTS)
    name = f"reconcile scan of {scanned:,} points"
    detail = {
        "examined": report.examined,
        "actions": {a.value: n for a, n in report.actions.items()},
    }
    return [
        Result(
            f"{name}: pages",
            report.pages,
            "pages",
            detail=detail,
            note=f"{PAGE} per page, {len(SOURCE_VAULTS)} source vaults; all points protected",
        ),
        Result(
            f"{name}: wall time",
            statistics.median(walls),
            "s",
            statistics.median(bare),
            "bare List + Query loop",
            detail={"runs": walls, "bare": bare},
        ),
        Result(
            f"{name}: peak Python memory",
            peak_mb,
            "MB",
            note="tracemalloc; bounded by one page (the reconciler keeps no list of findings)",
        ),
    ]
