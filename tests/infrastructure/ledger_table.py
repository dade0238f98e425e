"""Create the template's ledger table in moto, exactly as its rendered properties describe it.

moto's CloudFormation ignores the SAM transform and the emulator only names tables, so the table
is made with CreateTable from the properties AWS::DynamoDB::Table shares with that API.
"""

from __future__ import annotations

from typing import Any

# AWS::DynamoDB::Table properties that CreateTable takes unchanged.
_CREATE_TABLE_PROPERTIES = (
    "KeySchema",
    "AttributeDefinitions",
    "GlobalSecondaryIndexes",
    "BillingMode",
)


def create_table_from_template(client: Any, name: str, properties: dict[str, Any]) -> None:
    request = {key: properties[key] for key in _CREATE_TABLE_PROPERTIES if key in properties}
    client.create_table(TableName=name, **request)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
