"""A small made-up code base for testing the code walk itself (``test_code_walk``).

It is type-checked in the same mypy run as src/ (see ``conftest.code``), under its own package
name so that nothing in src/ can be confused with it.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

SOURCES = {
    "walk_sample/handler.py": """
        from walk_sample.gateway import Gateway
        from walk_sample.service import Service
        from walk_sample import clients, warm_up

        def lambda_handler(event: dict[str, str], context: object) -> str:
            return Service(Gateway(clients.backup())).run(event["id"])

        def never_called() -> None:
            clients.sqs().purge_queue(QueueUrl="https://sqs.example/q")
    """,
    "walk_sample/service.py": """
        from dataclasses import dataclass
        from typing import Any, Protocol

        class CopyPort(Protocol):
            def copy(self, arn: str) -> str: ...

        @dataclass
        class Service:
            port: CopyPort

            def run(self, arn: str) -> str:
                return self.port.copy(arn)

        def untyped(client: Any) -> None:
            client.start_backup_job()
    """,
    "walk_sample/gateway.py": """
        from mypy_boto3_backup import BackupClient
        from walk_sample.service import untyped

        class Gateway:
            def __init__(self, client: BackupClient) -> None:
                self._client = client

            def copy(self, arn: str) -> str:
                for _ in self._client.get_paginator("list_copy_jobs").paginate():
                    untyped(self._client)
                answer = self._client.start_copy_job(
                    RecoveryPointArn=arn, SourceBackupVaultName="a",
                    DestinationBackupVaultArn="b", IamRoleArn="c",
                )
                return answer["CopyJobId"]

            def unused(self) -> None:
                self._client.delete_backup_vault(BackupVaultName="never")
    """,
    # A capability handed over as a callable: whoever hands it over reaches its calls.
    "walk_sample/handed_over.py": """
        from collections.abc import Callable
        from dataclasses import dataclass
        from walk_sample import clients
        from walk_sample.gateway import Gateway

        @dataclass(frozen=True)
        class Hooks:
            copy: Callable[[str], str]

        def run(hooks: Hooks, arn: str) -> str:
            return hooks.copy(arn)

        def lambda_handler(event: dict[str, str], context: object) -> str:
            return run(Hooks(Gateway(clients.backup()).copy), event["id"])
    """,
    # Only the types matter to the walk (and boto3.client's overloads are slow to type-check).
    "walk_sample/clients.py": """
        from typing import cast
        from mypy_boto3_backup import BackupClient
        from mypy_boto3_sqs import SQSClient

        def backup() -> BackupClient:
            return cast(BackupClient, object())

        def sqs() -> SQSClient:
            return cast(SQSClient, object())
    """,
    "walk_sample/warm_up.py": """
        from typing import cast
        from mypy_boto3_kms import KMSClient

        KMS = cast(KMSClient, object())
        KEY = KMS.describe_key(KeyId="alias/warm")  # runs when the handler module is imported
    """,
}


def write_walk_sample(directory: Path) -> Path:
    """Write the sample package under ``directory``; return the source root to type-check."""
    for name, text in {"walk_sample/__init__.py": "", **SOURCES}.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
    return directory
