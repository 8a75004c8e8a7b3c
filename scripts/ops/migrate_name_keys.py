"""One-off migration: move name claims and name-index keys from the legacy name key to the current one.

Products written before names were compared as a person reads them (NFKC, full case folding, collapsed
whitespace) have their name claim and name-index key under the legacy key (NFC and case folding only). The API
still finds them and still lets them block duplicates, but only under their exact legacy spelling; this script
moves each to the current key, one transaction per product:

- claim the current key (only if it is free or already this product's),
- release the legacy claim (only if it is this product's),
- set the name-index key to the current key (only if the product still has the name that was read).

Dry run by default (prints the plan, writes nothing); `--apply` writes. Idempotent and resumable: a product
already migrated is skipped, so a run that stopped half way is simply run again. Two products whose names now
read as one (for example "Basic Plan" and "Basic  Plan") are a collision: reported, never overwritten, and left
as they were; rename one of them through the API and run the script again. So is a product whose current key
would be longer than DynamoDB takes for a key ("RENAME FIRST": NFKC writes some characters as many). Exit status 1
when any collision, name to rename or concurrent change was reported, else 0.

    TABLE_NAME=bbws-products-dev PYTHONPATH=src python -m scripts.ops.migrate_name_keys            # dry run
    TABLE_NAME=bbws-products-dev PYTHONPATH=src python -m scripts.ops.migrate_name_keys --apply    # write
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from models.record import name_key, name_key_problem
from repositories import keys, legacy_name_keys
from repositories.calls import attribute_names
from repositories.dynamodb import create_client
from utils.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Item = dict[str, Any]


@dataclass(frozen=True)
class Move:
    """One product's move to the current key: what it holds now and what it should hold."""

    product_id: str
    name: str
    index_key: str  # the product's name-index key as read
    claim_pk: str  # PRODUCTNAME#<current key>
    legacy_claim_pk: str | None  # this product's claim under the legacy key, if it holds one

    @property
    def needed(self) -> bool:
        return self.index_key != name_key(self.name) or self.legacy_claim_pk is not None


@dataclass
class Report:
    products: int = 0
    migrated: int = 0
    already: int = 0
    collisions: int = 0
    changed: int = 0
    too_long: int = 0

    def line(self, applied: bool) -> str:
        done = "migrated" if applied else "to migrate"
        return (
            f"{self.products} products: {self.migrated} {done}, {self.already} already migrated, "
            f"{self.collisions} collisions, {self.changed} changed during the run, "
            f"{self.too_long} to rename first"
        )

    @property
    def complete(self) -> bool:
        return not (self.collisions or self.changed or self.too_long)


def scan(client: DynamoDBClient, table: str) -> Iterator[Item]:
    """Every item of the table, strongly consistent, page by page."""
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def plan(items: list[Item]) -> tuple[list[Move], dict[str, str]]:
    """Each product's move, and who holds each claim now (claim PK to product id)."""
    claims = {
        item[keys.PK]["S"]: item["productId"]["S"]
        for item in items
        if item.get("entityType", {}).get("S") == keys.ENTITY_NAME_CLAIM
    }
    moves = []
    for item in items:
        if item.get("entityType", {}).get("S") != keys.ENTITY_PRODUCT:
            continue
        product_id, name = item["productId"]["S"], item["name"]["S"]
        legacy = legacy_name_keys.legacy_claim_pk(name)
        moves.append(
            Move(
                product_id=product_id,
                name=name,
                index_key=item.get(keys.NAME_PK, {}).get("S", ""),
                claim_pk=keys.name_claim_pk(name),
                legacy_claim_pk=legacy if legacy and claims.get(legacy) == product_id else None,
            )
        )
    return sorted(moves, key=lambda move: move.product_id), claims


def transaction(table: str, move: Move) -> list[Item]:
    """The writes of one move, each guarded so a re-run or a concurrent API write is never overwritten."""
    owned = f"attribute_not_exists(#{keys.PK}) OR #productId = :id"
    names = attribute_names(owned)
    index_update, same_name = f"SET #{keys.NAME_PK} = :key", "#name = :name"
    product_id = {":id": {"S": move.product_id}}
    claim = keys.item_key(move.claim_pk) | {
        "entityType": {"S": keys.ENTITY_NAME_CLAIM},
        "productId": {"S": move.product_id},
    }
    writes: list[Item] = [
        {
            "Put": {
                "TableName": table,
                "Item": claim,
                "ConditionExpression": owned,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": product_id,
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": keys.item_key(keys.product_pk(move.product_id)),
                "UpdateExpression": index_update,
                "ConditionExpression": same_name,
                "ExpressionAttributeNames": attribute_names(f"{index_update} {same_name}"),
                "ExpressionAttributeValues": {":key": {"S": name_key(move.name)}, ":name": {"S": move.name}},
            }
        },
    ]
    if move.legacy_claim_pk:
        writes.append(
            {
                "Delete": {
                    "TableName": table,
                    "Key": keys.item_key(move.legacy_claim_pk),
                    "ConditionExpression": owned,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": product_id,
                }
            }
        )
    return writes


def migrate(client: DynamoDBClient, table: str, apply: bool) -> Report:
    """Plan every product's move and, with `apply`, write each one; print one line per move or problem."""
    moves, claims = plan(list(scan(client, table)))
    report = Report(products=len(moves))
    verb = "migrated" if apply else "would migrate"
    for move in moves:
        if not move.needed:
            report.already += 1
            continue
        problem = name_key_problem(move.name)
        if problem:
            report.too_long += 1
            print(
                f"RENAME FIRST {move.product_id}: its name {problem}; rename it through the API, then run again"
            )
            continue
        owner = claims.get(move.claim_pk)
        if owner is not None and owner != move.product_id:
            report.collisions += 1
            print(
                f"COLLISION {move.product_id} {move.name!r} reads as the name of product {owner}: "
                "left as it is; rename one of them, then run again"
            )
            continue
        if apply:
            problem = _write(client, table, move)
            if problem:
                report.changed += 1
                print(f"CHANGED {move.product_id} {move.name!r}: {problem}; run again")
                continue
        claims[move.claim_pk] = move.product_id  # later products see the claim this run made (or would make)
        report.migrated += 1
        print(f"{verb} {move.product_id} {move.name!r} -> {name_key(move.name)!r}")
    return report


def _write(client: DynamoDBClient, table: str, move: Move) -> str | None:
    """Write one move; what stopped it, if a guard failed."""
    try:
        client.transact_write_items(TransactItems=transaction(table, move))  # type: ignore[arg-type]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        return "another write changed the product or took the name since it was read"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--apply", action="store_true", help="write the changes (default: dry run)")
    arguments = parser.parse_args(argv)
    settings = get_settings()
    mode = "applying" if arguments.apply else "dry run (nothing is written; --apply writes)"
    print(f"table {settings.table_name}: {mode}")
    report = migrate(create_client(settings), settings.table_name, arguments.apply)
    print(report.line(arguments.apply))
    return 0 if report.complete else 1


if __name__ == "__main__":
    sys.exit(main())
