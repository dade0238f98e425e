"""KMS adapter: who manages the key a copy ended under (DescribeKey → KeyManager)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated
from core.kernel.copy_jobs import KeyManager

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# A key this account cannot see: an AWS owned key, or a key in another account that does not
# share it. Which one it is cannot be told from the error, so the caller gets "unknown".
_INVISIBLE = frozenset({"NotFoundException", "AccessDeniedException"})
_MANAGERS = {manager.value: manager for manager in KeyManager}


class KmsKeys:
    def __init__(self, client: KMSClient) -> None:
        self._client = client

    def key_manager(self, key_arn: str) -> KeyManager | None:
        with translated("DescribeKey"):
            try:
                answer = self._client.describe_key(KeyId=key_arn)
            except ClientError as error:
                if error_code(error) in _INVISIBLE:
                    return None
                raise
        return _MANAGERS.get(answer["KeyMetadata"].get("KeyManager", ""))
