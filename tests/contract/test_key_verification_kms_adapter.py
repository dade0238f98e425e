"""KmsKeys against botocore's KMS model (Stubber): DescribeKey → KeyManager, or unknown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from adapters.kms import KmsKeys
from core.kernel.copy_jobs import KeyManager
from core.kernel.errors import RetryableError
from tests.samples import DR_REGION, REGION
from tests.tracking_fakes import AWS_BACKUP_KEY, AWS_OWNED_KEY, CUSTOMER_KEY


@pytest.fixture
def client() -> Any:
    return boto3.client("kms", region_name=REGION)


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def key_answer(key_arn: str, manager: str) -> dict[str, Any]:
    return {
        "KeyMetadata": {"KeyId": key_arn.rsplit("/", 1)[1], "Arn": key_arn, "KeyManager": manager}
    }


@pytest.mark.parametrize(
    ("key_arn", "manager"),
    [(AWS_BACKUP_KEY, KeyManager.AWS), (CUSTOMER_KEY, KeyManager.CUSTOMER)],
)
def test_given_a_visible_key_when_described_then_its_manager_is_returned(
    client: Any, stubber: Stubber, key_arn: str, manager: KeyManager
) -> None:
    stubber.add_response("describe_key", key_answer(key_arn, manager.value), {"KeyId": key_arn})
    assert KmsKeys(client).key_manager(key_arn) is manager


@pytest.mark.parametrize("code", ["AccessDeniedException", "NotFoundException"])
def test_given_a_key_this_account_cannot_see_when_described_then_the_manager_is_unknown(
    client: Any, stubber: Stubber, code: str
) -> None:
    # An AWS owned key and a foreign customer key fail alike: the caller must not guess
    stubber.add_client_error("describe_key", code, http_status_code=400)
    assert KmsKeys(client).key_manager(AWS_OWNED_KEY) is None


def test_given_a_kms_internal_error_when_described_then_the_error_is_retryable(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_client_error("describe_key", "KMSInternalException", http_status_code=500)
    with pytest.raises(RetryableError):
        KmsKeys(client).key_manager(CUSTOMER_KEY)


def test_given_a_key_of_the_dr_region_when_described_then_that_regions_client_is_asked(
    client: Any, stubber: Stubber
) -> None:
    # Given the key a cross-Region copy ended under, in the DR Region
    dr_key = f"arn:aws:kms:{DR_REGION}:111122223333:key/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
    dr_client = boto3.client("kms", region_name=DR_REGION)
    asked: list[str] = []

    def client_in(region: str) -> Any:
        asked.append(region)
        return dr_client

    # When described (this Region's client has no answer queued: a call to it would fail)
    with Stubber(dr_client) as dr_stub:
        dr_stub.add_response("describe_key", key_answer(dr_key, "AWS"), {"KeyId": dr_key})
        manager = KmsKeys(client, client_in).key_manager(dr_key)
        dr_stub.assert_no_pending_responses()
    # Then the DR Region's KMS answered
    assert (manager, asked) == (KeyManager.AWS, [DR_REGION])


def test_given_a_key_of_this_region_when_described_then_no_other_client_is_made(
    client: Any, stubber: Stubber
) -> None:
    stubber.add_response(
        "describe_key", key_answer(CUSTOMER_KEY, "CUSTOMER"), {"KeyId": CUSTOMER_KEY}
    )
    keys = KmsKeys(client, lambda region: pytest.fail(f"asked for a {region} client"))
    assert keys.key_manager(CUSTOMER_KEY) is KeyManager.CUSTOMER
