"""The legacy name key: products stored before names were compared as a person reads them.

Their name claim and name-index key use the legacy key (NFC and case folding only). Until
scripts/ops/migrate_name_keys.py has moved them, a name's claim may sit under either key: creates and renames also
check the legacy claim in their one transaction, a rename releases it, and `?name=` tries the legacy key when
the current one finds nothing. Everything that knows of the legacy key is here; docs/OPERATIONS.md ("Retiring
the legacy name key") says how this module and its tests are removed once no environment holds such items.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from models.record import name_key
from repositories import keys
from repositories.calls import attribute_names

_ABSENT = f"attribute_not_exists(#{keys.PK})"


def legacy_name_key(name: str) -> str:
    """The name key of items written before the key folded compatibility forms and inner spaces."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def legacy_claim_pk(name: str) -> str | None:
    """Partition key of a name's legacy claim, when it differs from the current one (else None)."""
    legacy = legacy_name_key(name)
    return None if legacy == name_key(name) else f"{keys.NAME_CLAIM_PREFIX}{legacy}"


def claim_pks(name: str) -> list[str]:
    """Where a name's claim may be: its key, then its legacy key when that differs."""
    legacy = legacy_claim_pk(name)
    return [keys.name_claim_pk(name)] + ([legacy] if legacy else [])


def name_index_keys(name: str) -> list[str]:
    """The name-index keys a name's products may be listed under: the current key, then the legacy one."""
    return list(dict.fromkeys((name_key(name), legacy_name_key(name))))


def legacy_claim_check(table: str, name: str, untouchable: set[str]) -> dict[str, Any] | None:
    """A transaction's check that no unmigrated claim holds `name` under its legacy key (no extra round trip),
    unless that claim is in `untouchable` (the transaction writes it, or the product itself holds it)."""
    legacy = legacy_claim_pk(name)
    if legacy is None or legacy in untouchable:
        return None
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": keys.item_key(legacy),
            "ConditionExpression": _ABSENT,
            "ExpressionAttributeNames": attribute_names(_ABSENT),
        }
    }
