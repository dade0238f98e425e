"""Reading the event files ``copyctl demo --events`` replays: where they happen, what they name,
and the fixtures' vault names rewritten to the provisioned stacks' (``ReplayWorld.vault_names``).

An event file is an EventBridge event, or an SQS batch as Lambda delivers it (``Records``, each
``body`` an EventBridge event as a JSON string, https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from core.kernel.errors import OrchestratorError
from demo.replay.world import FIXTURE_ACCOUNT, FIXTURE_REGION
from emulator import arns

VAULT_NAME_FIELD = "backupVaultName"


def is_sqs_batch(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("Records"), list)


def events_home(documents: Sequence[Any]) -> tuple[str, str]:
    """The one account and Region the events name; the fixtures' when none does."""
    homes = {
        (event["account"], event["region"])
        for event in _eventbridge_events(documents)
        if isinstance(event.get("account"), str) and isinstance(event.get("region"), str)
    }
    if len(homes) > 1:
        named = ", ".join(f"{account}/{region}" for account, region in sorted(homes))
        raise OrchestratorError(
            "several-homes",
            f"the events name several accounts or Regions ({named}): "
            "replay each account's and Region's events separately",
        )
    return homes.pop() if homes else (FIXTURE_ACCOUNT, FIXTURE_REGION)


def _eventbridge_events(documents: Sequence[Any]) -> Iterator[dict[str, Any]]:
    for document in documents:
        if is_sqs_batch(document):
            for record in document["Records"]:
                body = decoded_body(record.get("body") if isinstance(record, dict) else None)
                if isinstance(body, dict):
                    yield body
        elif isinstance(document, dict):
            yield document


def decoded_body(body: Any) -> Any:
    """An SQS record's body as JSON, or None when it is not JSON."""
    if not isinstance(body, str):
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return None


def event_time(document: Any) -> datetime | None:
    """When the event (the first event of a batch) happened."""
    for event in _eventbridge_events([document]):
        text = event.get("time")
        if isinstance(text, str):
            try:
                return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                return None
    return None


def event_vault_name(event: Any) -> str | None:
    """The vault an event is about: a backup job's vault, a copy job's destination."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict):
        return None
    if isinstance(detail.get(VAULT_NAME_FIELD), str):
        return str(detail[VAULT_NAME_FIELD])
    destination = detail.get("destinationBackupVaultArn")
    return destination.rsplit(":", 1)[-1] if isinstance(destination, str) else None


def named_recovery_points(event: Any) -> frozenset[str]:
    """Every recovery point an event names: ``resources`` (a backup job's recovery point, a copy
    job's source) and a completed copy job's ``destinationRecoveryPointArn``."""
    if not isinstance(event, dict):
        return frozenset()
    resources = event.get("resources")
    named = (
        {arn for arn in resources if isinstance(arn, str)} if isinstance(resources, list) else set()
    )
    detail = event.get("detail")
    if isinstance(detail, dict) and isinstance(detail.get("destinationRecoveryPointArn"), str):
        named.add(detail["destinationRecoveryPointArn"])
    return frozenset(named)


def ledger_keys(event: Any) -> frozenset[str]:
    """The ``RecoveryPointArn`` keys the ledger may file the event under: the recovery points it
    names, or ``job:<job id>`` for a skip of an event that names none (core.copying.decision)."""
    keys = set(named_recovery_points(event))
    detail = event.get("detail") if isinstance(event, dict) else None
    if isinstance(detail, dict):
        for name in ("backupJobId", "copyJobId"):
            if isinstance(detail.get(name), str):
                keys.add(f"job:{detail[name]}")
    return frozenset(keys)


# ---- the fixtures' vault names -> the stacks' -------------------------------------------------


def rewrite_vaults(value: Any, names: Mapping[str, str], *, account: str, region: str) -> Any:
    """A copy of ``value`` where every ``backupVaultName`` and every vault ARN of the account and
    Region that ``names`` maps is renamed."""
    if isinstance(value, dict):
        return {
            key: names.get(item, item)
            if key == VAULT_NAME_FIELD and isinstance(item, str)
            else rewrite_vaults(item, names, account=account, region=region)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [rewrite_vaults(item, names, account=account, region=region) for item in value]
    if isinstance(value, str):
        return _renamed_vault_arn(value, names, account, region)
    return value


def _renamed_vault_arn(text: str, names: Mapping[str, str], account: str, region: str) -> str:
    if not text.startswith("arn:") or ":backup-vault:" not in text:
        return text
    try:
        arn = arns.parse(text)
    except ValueError:
        return text
    name = arn.resource.removeprefix("backup-vault:")
    if (arn.account, arn.region) != (account, region) or name not in names:
        return text
    return arns.vault_arn(region, account, names[name])


def rewrite_batch(
    batch: dict[str, Any],
    names: Mapping[str, str],
    *,
    account: str,
    region: str,
    queue_arn: str,
) -> dict[str, Any]:
    """The batch as the copy function's event source would deliver it from ``queue_arn``."""
    records = []
    for record in batch["Records"]:
        if not isinstance(record, dict):
            records.append(record)
            continue
        body = record.get("body")
        decoded = decoded_body(body)
        if decoded is not None:
            body = json.dumps(rewrite_vaults(decoded, names, account=account, region=region))
        rewritten = {**record, "body": body, "eventSourceARN": queue_arn, "awsRegion": region}
        if isinstance(body, str):
            rewritten["md5OfBody"] = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        records.append(rewritten)
    return {**batch, "Records": records}
