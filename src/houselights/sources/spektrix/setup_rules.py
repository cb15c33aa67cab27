"""The catalogue-based setup rules of ``check-setup`` (pure functions over payloads).

Each rule takes the fetched list and a ``make(key, status, detail, fix)`` step factory, so
the rules stay free of I/O and easy to test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .attributes import (
    FEE,
    PRODUCT,
    PRODUCT_TYPE_KEY,
    PRODUCT_TYPE_NAME,
    SUPPLEMENTARY_KEY,
    SUPPLEMENTARY_NAME,
    near_miss_keys,
    product_type,
)
from .mapping import ProductionFields, venue_postcode

__all__ = [
    "CATALOGUE_STEPS",
    "TITLES",
    "display_name",
    "fee_items",
    "product_type_attribute",
    "production_fields",
    "supplementary_attribute",
    "venue_addresses",
]

Make = Callable[..., Any]
CLOCK_WARN_SECONDS = 60.0
CLOCK_FAIL_SECONDS = 600.0

TITLES: dict[str, tuple[str, str]] = {
    "api_user": ("API user signs requests", "Step 1: Create an API v3 user"),
    "system_owner": ("API user has System Owner rights", "Step 1: Create an API v3 user"),
    "partner_access": ("Partner access is switched on", "Access to the organisation's data"),
    "clock": ("Clock in sync with Spektrix", "Signed requests (Date header)"),
    "audit_report": (
        "Customer Audit report collectable and readable",
        "Steps 2–3: Customer Audit report, Partner Company reporting access",
    ),
    "order_ids": ("Historical orders loaded", "Step 4: Export historical order IDs"),
    "production_fields": ("Production fields on events", "Step 5: Send us your Production details"),
    "orders_feed": ("Incremental orders feed (orders/sync)", "Incremental sync"),
    "supplementary_attribute": (
        f'Instance attribute "{SUPPLEMENTARY_NAME}"',
        "Optional 1: Create Event Instance Attribute",
    ),
    "product_type_attribute": (
        f'Merchandise attribute "{PRODUCT_TYPE_NAME}"',
        "Optional 2: Create Merchandise Attribute",
    ),
    "fee_items": ("Fee merchandise marked as Fee", "Optional 2: add the AS Product Type"),
    "venue_addresses": ("Venue addresses", "Optional 3: Set venue addresses"),
}

CATALOGUE_STEPS = (
    "production_fields",
    "orders_feed",
    "supplementary_attribute",
    "product_type_attribute",
    "fee_items",
    "venue_addresses",
)


def display_name(key: str, expected_name: str) -> str:
    """A payload key shown as the attribute name it probably has.

    ``attribute_ASProducttype`` next to "AS Product Type" → "AS Product type": spaces
    vanish from keys (spec §5.5), so they are put back where the expected name has them.
    """
    tail = key.removeprefix("attribute_")
    compact = expected_name.replace(" ", "")
    if len(tail) != len(compact):
        return tail
    out, i = [], 0
    for ch in expected_name:
        if ch == " ":
            out.append(" ")
        else:
            out.append(tail[i])
            i += 1
    return "".join(out)


def _names(items: list[dict[str, Any]], limit: int = 5) -> str:
    names = sorted({str(i.get("name") or i.get("id")) for i in items})
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(f"'{n}'" for n in names[:limit]) + more


def production_fields(events: list[dict[str, Any]], fields: ProductionFields, make: Make) -> Any:
    """Season, category and type fields exist on events, and how many carry values."""
    keys = {k for e in events for k in e if k.startswith("attribute_")}
    parts, missing, partial = [], [], []
    for label, name in (
        ("season", fields.season),
        ("category", fields.category),
        ("type", fields.event_type),
    ):
        if not name:
            missing.append(f"no {label} field is configured")
            continue
        carrying = sum(1 for e in events if str(e.get(name) or "").strip())
        if name not in keys:
            missing.append(f"{label} field '{name}' is on no event")
        elif carrying < len(events):
            partial.append(f"{label} '{name}' on {carrying:,} of {len(events):,} events")
        else:
            parts.append(f"{label} '{name}' on all {len(events):,} events")
    seen = ", ".join(sorted(keys)) or "none"
    if missing:
        return make(
            "production_fields",
            "fail",
            "; ".join(missing + partial + parts) + ".",
            f"Reconnect with the right --season-field/--category-field/--type-field "
            f"(event fields seen: {seen}).",
        )
    if partial:
        return make(
            "production_fields",
            "warn",
            "; ".join(partial + parts) + ".",
            "Fill the production fields on the events that lack them in Spektrix.",
        )
    return make("production_fields", "ok", "; ".join(parts) + ".")


def _attribute_key(
    items: list[dict[str, Any]], exact: str, name: str, kind: str, step: str, make: Make
) -> Any:
    keys = {k for i in items for k in i}
    if exact in keys:
        return None
    misses = near_miss_keys(keys, exact)
    if misses:
        shown = ", ".join(f'"{display_name(m, name)}" ({m})' for m in misses)
        return make(
            step,
            "fail",
            f"The {kind} attribute exists under a near-miss name: {shown}.",
            f"In Spektrix Settings → Attribute templates → {kind}: rename it to exactly "
            f'"{name}" (capitals as written, no spaces before or after).',
        )
    return make(
        step,
        "warn",
        f'No {kind} attribute "{name}" is visible to the API.',
        f'Create the {kind} attribute template "{name}" and tick "This attribute is '
        'visible in your API integrations" (integration guide, optional settings).',
    )


def supplementary_attribute(instances: list[dict[str, Any]], make: Make) -> Any:
    """ "AS Supplementary Event" exists exactly, as a checkbox."""
    bad = _attribute_key(
        instances,
        SUPPLEMENTARY_KEY,
        SUPPLEMENTARY_NAME,
        "Event Instance",
        "supplementary_attribute",
        make,
    )
    if bad is not None:
        return bad
    values = [i.get(SUPPLEMENTARY_KEY) for i in instances if SUPPLEMENTARY_KEY in i]
    if any(v is not None and not isinstance(v, bool) for v in values):
        return make(
            "supplementary_attribute",
            "fail",
            f'"{SUPPLEMENTARY_NAME}" holds text, not a checkbox value.',
            "Recreate the attribute template with type Checkbox.",
        )
    flagged = sum(1 for v in values if v is True)
    return make(
        "supplementary_attribute",
        "ok",
        f"Present on {len(values):,} instances; {flagged:,} flagged as supplementary.",
    )


def product_type_attribute(stock_items: list[dict[str, Any]], make: Make) -> Any:
    """ "AS Product Type" exists exactly, with exactly the values Product and Fee."""
    bad = _attribute_key(
        stock_items,
        PRODUCT_TYPE_KEY,
        PRODUCT_TYPE_NAME,
        "Merchandise",
        "product_type_attribute",
        make,
    )
    if bad is not None:
        return bad
    values = {str(i.get(PRODUCT_TYPE_KEY) or "") for i in stock_items}
    wrong = sorted(v for v in values if v not in ("", PRODUCT, FEE))
    if wrong:
        fixes = []
        for v in wrong:
            target = next((t for t in (PRODUCT, FEE) if v.strip().lower() == t.lower()), None)
            why = (
                "has spaces before or after"
                if target and v.strip() != v
                else "has different capitals"
                if target
                else "is not Product or Fee"
            )
            fixes.append(f"'{v}' {why}" + (f" → rename to '{target}'" if target else ""))
        return make(
            "product_type_attribute",
            "fail",
            "Dropdown values not exactly 'Product'/'Fee': " + "; ".join(fixes) + ".",
            f'In the "{PRODUCT_TYPE_NAME}" attribute template, set the dropdown items '
            "to exactly 'Product' and 'Fee' (one per line, no spaces).",
        )
    untyped = [i for i in stock_items if not str(i.get(PRODUCT_TYPE_KEY) or "")]
    note = (
        f" {len(untyped)} item(s) have no value and count as products: {_names(untyped)}."
        if untyped
        else ""
    )
    return make(
        "product_type_attribute", "ok", f"Present on {len(stock_items):,} merchandise items.{note}"
    )


def fee_items(stock_items: list[dict[str, Any]], make: Make) -> Any:
    """Merchandise named like a fee carries the Fee value."""
    suspects = [
        i
        for i in stock_items
        if "fee" in str(i.get("name") or "").lower() and product_type(i) != "fee"
    ]
    if suspects:
        return make(
            "fee_items",
            "warn",
            f"{len(suspects)} merchandise item(s) look like fees but are not marked "
            f"Fee: {_names(suspects)}. They count as product sales.",
            f"In Spektrix Admin → Other → Merchandise, edit each and set "
            f'"{PRODUCT_TYPE_NAME}" to Fee (inactive items too).',
        )
    fees = sum(1 for i in stock_items if product_type(i) == "fee")
    return make("fee_items", "ok", f"{fees} fee item(s) marked Fee; no unmarked fee-like items.")


def venue_addresses(venues: list[dict[str, Any]], make: Make) -> Any:
    """Every venue has an address, with a UK postcode for its region."""
    missing = [v for v in venues if not str(v.get("address") or "").strip()]
    no_postcode = [v for v in venues if v not in missing and not venue_postcode(v.get("address"))]
    if missing or no_postcode:
        parts = []
        if missing:
            parts.append(f"{len(missing)} venue(s) without an address: {_names(missing)}")
        if no_postcode:
            parts.append(
                f"{len(no_postcode)} without a postcode in the address: {_names(no_postcode)}"
            )
        return make(
            "venue_addresses",
            "warn",
            "; ".join(parts) + ".",
            "In Spektrix Admin → Seating → Venues, add an address ending in the "
            "postcode to each of them.",
        )
    return make(
        "venue_addresses", "ok", f"All {len(venues)} venues have an address with a postcode."
    )
