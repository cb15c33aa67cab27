"""The two Activity Stream attributes and how to find them, exactly or as near misses.

The integration guide asks for an instance attribute **"AS Supplementary Event"**
(checkbox) and a merchandise attribute **"AS Product Type"** (dropdown: ``Product`` /
``Fee``), "exactly as written … with the capitalisation at the start and no spaces
before or after". API v3 flattens attributes into ``attribute_<Name without spaces>``
keys (spec §5.5, an inference), so the exact keys are ``attribute_ASSupplementaryEvent``
and ``attribute_ASProductType``.

The mapping reads them *tolerantly* (any case, stray spaces) so data is right even on a
slightly wrong setup; the setup check reads them *exactly* and names every near miss with
its fix, so the organisation can correct the setup for every other tool that relies on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "FEE",
    "PRODUCT",
    "PRODUCT_TYPE_KEY",
    "PRODUCT_TYPE_NAME",
    "SUPPLEMENTARY_KEY",
    "SUPPLEMENTARY_NAME",
    "find_key",
    "is_supplementary",
    "near_miss_keys",
    "product_type",
]

SUPPLEMENTARY_NAME = "AS Supplementary Event"
SUPPLEMENTARY_KEY = "attribute_ASSupplementaryEvent"
PRODUCT_TYPE_NAME = "AS Product Type"
PRODUCT_TYPE_KEY = "attribute_ASProductType"
PRODUCT, FEE = "Product", "Fee"

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def _fold(key: str) -> str:
    return _NON_ALNUM.sub("", key.lower())


def near_miss_keys(keys: Iterable[str], exact: str) -> list[str]:
    """Keys that differ from ``exact`` only by case or punctuation (not ``exact`` itself)."""
    target = _fold(exact)
    return sorted({k for k in keys if k != exact and _fold(k) == target})


def find_key(payload: Mapping[str, Any], exact: str) -> str | None:
    """The key holding the attribute: ``exact`` if present, else a near miss, else None."""
    if exact in payload:
        return exact
    misses = near_miss_keys(payload.keys(), exact)
    return misses[0] if misses else None


def is_supplementary(instance: Mapping[str, Any]) -> bool:
    """Whether an instance is flagged AS Supplementary Event (tolerant read)."""
    key = find_key(instance, SUPPLEMENTARY_KEY)
    if key is None:
        return False
    value = instance[key]
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1")


def product_type(stock_item: Mapping[str, Any]) -> str | None:
    """``"fee"``, ``"product"``, or ``None`` when the item has no usable AS Product Type."""
    key = find_key(stock_item, PRODUCT_TYPE_KEY)
    if key is None:
        return None
    value = str(stock_item[key] or "").strip().lower()
    if value == FEE.lower():
        return "fee"
    if value == PRODUCT.lower():
        return "product"
    return None
