"""Create the products table from the one schema definition Terraform also reads.

`terraform/infrastructure/products_table.json` is the single source of the key schema, attributes, indexes
and TTL attribute; `dynamodb.tf` decodes the same file, so the local table cannot drift from the deployed one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "terraform" / "infrastructure" / "products_table.json"


def load_schema() -> dict[str, Any]:
    """The table definition shared with Terraform."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return keys


def create_table_request(table_name: str) -> dict[str, Any]:
    """The CreateTable arguments for `table_name`, built from the shared schema."""
    schema = load_schema()
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in schema["attributes"]
        ],
        "KeySchema": _key_schema(schema["hash_key"], schema.get("range_key")),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": gsi["name"],
                "KeySchema": _key_schema(gsi["hash_key"], gsi.get("range_key")),
                "Projection": {"ProjectionType": gsi["projection_type"]},
            }
            for gsi in schema["global_secondary_indexes"]
        ],
    }


def create_table(client: Any, table_name: str) -> None:
    """Create the table (and its TTL setting) unless it already exists."""
    existing = client.list_tables().get("TableNames", [])
    if table_name in existing:
        return
    client.create_table(**create_table_request(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": load_schema()["ttl_attribute"]},
    )
