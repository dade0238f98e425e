"""KMS adapter: who manages the key a copy ended under (DescribeKey → KeyManager), and the AWS
managed key behind an ``alias/aws/<service>`` (DescribeKey on the alias)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated
from core.kernel.arns import parse_arn
from core.kernel.copy_jobs import KeyManager
from core.kernel.errors import InvalidEventError
from core.service_keys.resolver import KeyDescription

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# A key this account cannot see: an AWS owned key, or a key in another account that does not
# share it. Which one it is cannot be told from the error, so the caller gets "unknown".
_INVISIBLE = frozenset({"NotFoundException", "AccessDeniedException"})
_MANAGERS = {manager.value: manager for manager in KeyManager}


class KmsKeys:
    """``client_in``: a client of another Region, for the keys of cross-Region copies (the DR
    service-key vaults). A key is described through its own Region's KMS endpoint: only
    multi-Region keys spare "a cross-Region call to AWS KMS"
    (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html)."""

    def __init__(
        self, client: KMSClient, client_in: Callable[[str], KMSClient] | None = None
    ) -> None:
        self._client = client
        self._client_in = client_in

    def key_manager(self, key_arn: str) -> KeyManager | None:
        client = self._client_for(key_arn)
        with translated("DescribeKey"):
            try:
                answer = client.describe_key(KeyId=key_arn)
            except ClientError as error:
                if error_code(error) in _INVISIBLE:
                    return None
                raise
        return _MANAGERS.get(answer["KeyMetadata"].get("KeyManager", ""))

    def _client_for(self, key_arn: str) -> KMSClient:
        try:
            region = parse_arn(key_arn, field="key").region
        except InvalidEventError:  # a key id or alias: this Region's key
            region = ""
        if self._client_in is None or not region or region == self._client.meta.region_name:
            return self._client
        return self._client_in(region)


class AwsManagedKeys:
    """KMS DescribeKey on a predefined alias ``alias/aws/<service>``: the AWS managed key.

    "If you specify a predefined AWS alias (an AWS alias with no key ID), KMS associates the alias
    with an AWS managed key and returns its KeyId and Arn in the response."
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html) The page says AWS
    services use this to create the key; whether a call from our own role creates it too is not
    settled by AWS's text: if KMS answers NotFound, the error goes back to CloudFormation.
    """

    def __init__(self, client: KMSClient) -> None:
        self._client = client

    def describe(self, alias_name: str) -> KeyDescription:
        with translated("DescribeKey"):
            answer = self._client.describe_key(KeyId=alias_name)
        metadata = answer["KeyMetadata"]
        return KeyDescription(
            arn=str(metadata.get("Arn", "")),
            key_manager=str(metadata.get("KeyManager", "")),
            key_state=str(metadata.get("KeyState", "")),
        )
