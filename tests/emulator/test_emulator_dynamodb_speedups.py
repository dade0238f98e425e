"""The emulator's faster moto DynamoDB (emulator/moto_patches/dynamodb.py) answers as moto does."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.emulator_testkit import NO_RETRIES, REGION

TABLE = "ledger"
INDEX = "StateUpdatedAtIndex"
POINTS = ("rp-a", "rp-b", "rp-c")
VAULTS = ("vault-3", "vault-1", "vault-2")


@pytest.fixture
def dynamodb(mocked: None) -> Any:
    client = boto3.client("dynamodb", region_name=REGION, config=NO_RETRIES)
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("RecoveryPointArn", "DestinationVaultArn", "State", "UpdatedAt")
        ],
        KeySchema=[
            {"AttributeName": "RecoveryPointArn", "KeyType": "HASH"},
            {"AttributeName": "DestinationVaultArn", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [
                    {"AttributeName": "State", "KeyType": "HASH"},
                    {"AttributeName": "UpdatedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    minute = 0
    for point in POINTS:
        for vault in VAULTS:
            minute += 1
            state = "STARTED" if vault == "vault-1" else "COMPLETED"
            client.put_item(
                TableName=TABLE,
                Item={
                    "RecoveryPointArn": {"S": point},
                    "DestinationVaultArn": {"S": vault},
                    "State": {"S": state},
                    "UpdatedAt": {"S": f"2026-01-01T00:{60 - minute:02d}:00"},
                },
            )
    return client


def _keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["RecoveryPointArn"]["S"], i["DestinationVaultArn"]["S"]) for i in items]


def _query_partition(client: Any, point: str, **extra: Any) -> dict[str, Any]:
    return dict(
        client.query(
            TableName=TABLE,
            KeyConditionExpression="RecoveryPointArn = :p",
            ExpressionAttributeValues={":p": {"S": point}},
            ConsistentRead=True,
            **extra,
        )
    )


def test_given_three_partitions_when_querying_one_then_only_its_items_in_sort_key_order(
    dynamodb: Any,
) -> None:
    # When
    answer = _query_partition(dynamodb, "rp-b")
    # Then
    assert _keys(answer["Items"]) == [("rp-b", "vault-1"), ("rp-b", "vault-2"), ("rp-b", "vault-3")]


def test_given_a_partition_when_paging_with_a_limit_then_every_item_once_in_order(
    dynamodb: Any,
) -> None:
    # Given
    first = _query_partition(dynamodb, "rp-c", Limit=2)
    # When
    rest = _query_partition(dynamodb, "rp-c", Limit=2, ExclusiveStartKey=first["LastEvaluatedKey"])
    # Then
    assert _keys(first["Items"] + rest["Items"]) == [
        ("rp-c", "vault-1"),
        ("rp-c", "vault-2"),
        ("rp-c", "vault-3"),
    ]


def test_given_no_item_in_a_partition_when_querying_it_then_nothing(dynamodb: Any) -> None:
    assert _query_partition(dynamodb, "rp-none")["Items"] == []


def test_given_items_across_partitions_when_querying_the_index_then_one_state_by_updated_at(
    dynamodb: Any,
) -> None:
    # When
    answer = dynamodb.query(
        TableName=TABLE,
        IndexName=INDEX,
        KeyConditionExpression="#state = :state AND UpdatedAt < :before",
        ExpressionAttributeNames={"#state": "State"},
        ExpressionAttributeValues={
            ":state": {"S": "STARTED"},
            ":before": {"S": "2026-01-01T00:58:00"},
        },
    )
    # Then: rp-a's STARTED entry is the newest (00:58) and not before the cut-off
    assert _keys(answer["Items"]) == [("rp-c", "vault-1"), ("rp-b", "vault-1")]


def test_given_the_table_when_scanning_then_every_item(dynamodb: Any) -> None:
    assert len(dynamodb.scan(TableName=TABLE)["Items"]) == len(POINTS) * len(VAULTS)


def test_given_one_expression_text_when_updating_twice_then_each_value_is_written(
    dynamodb: Any,
) -> None:
    # Given
    key = {"RecoveryPointArn": {"S": "rp-a"}, "DestinationVaultArn": {"S": "vault-2"}}
    for reason in ("first", "second"):
        # When
        dynamodb.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET Reason = :reason, Attempts = if_not_exists(Attempts, :one)",
            ExpressionAttributeValues={":reason": {"S": reason}, ":one": {"N": "1"}},
        )
    # Then
    item = dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    assert (item["Reason"]["S"], item["Attempts"]["N"]) == ("second", "1")


@pytest.mark.parametrize(
    "expression",
    [
        "SET Reason = :v REMOVE Note SET Other = :v",
        "SET Reason = :v, Reason = :v",
        "SET Info.Note = :v, Info = :v",
    ],
)
def test_given_an_invalid_update_expression_when_updating_then_a_validation_error(
    dynamodb: Any, expression: str
) -> None:
    # When
    with pytest.raises(ClientError) as raised:
        dynamodb.update_item(
            TableName=TABLE,
            Key={"RecoveryPointArn": {"S": "rp-a"}, "DestinationVaultArn": {"S": "vault-1"}},
            UpdateExpression=expression,
            ExpressionAttributeValues={":v": {"S": "x"}},
        )
    # Then
    assert raised.value.response["Error"]["Code"] == "ValidationException"
