"""The upload template: its columns, their aliases, and the words its values may use.

This module is the single source of truth for the template. The reader matches a file's
header against :data:`COLUMNS`, the mapper reads values by :attr:`TemplateColumn.name`,
:mod:`~houselights.sources.upload.template` writes the empty template from it, and the
column table in ``docs/upload-template.md`` is :func:`markdown_table` (a test keeps them
equal).

Header matching ignores case and everything that is not a letter or a digit, so
``Order ID``, ``order_id``, ``ORDER-ID`` and ``Order Id.`` are all ``order_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from houselights.sources.kit.files import Column, ColumnProfile, HeaderMatch, normalise_header
from houselights.sources.kit.values import FLAG_VALUES, normalise_word

__all__ = [
    "CHANNELS",
    "COLUMNS",
    "COLUMNS_BY_NAME",
    "FLAG_VALUES",
    "LINE_TYPES",
    "PROFILE",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "TICKET_LINE_TYPES",
    "HeaderMatch",
    "TemplateColumn",
    "ValueKind",
    "describe_words",
    "markdown_line_types",
    "markdown_table",
    "match_header",
    "normalise_header",
    "normalise_word",
]

ValueKind = Literal[
    "id", "text", "datetime", "time", "money", "count", "flag", "line_type", "status",
    "channel", "postcode",
]

ValueRequired = Literal["always", "tickets", "never"]
ALWAYS: ValueRequired = "always"
TICKETS: ValueRequired = "tickets"
TICKET_LINE_TYPES: frozenset[str] = frozenset({"ticket", "supplementary"})


@dataclass(frozen=True, kw_only=True)
class TemplateColumn(Column):
    """One template column: a profile column with the kind of value it holds.

    ``required`` means the header must have the column. ``value_required`` says when a
    line must give a value: ``"always"``, ``"tickets"`` (ticket and supplementary lines)
    or ``"never"`` (blank is fine).
    """

    kind: ValueKind
    value_required: ValueRequired


def _column(
    name: str,
    label: str,
    kind: ValueKind,
    required: bool,
    value_required: ValueRequired,
    description: str,
    example: str,
    aliases: tuple[str, ...] = (),
) -> TemplateColumn:
    return TemplateColumn(
        name=name,
        label=label,
        kind=kind,
        required=required,
        value_required=value_required,
        description=description,
        example=example,
        aliases=aliases,
    )


COLUMNS: tuple[TemplateColumn, ...] = (
    _column(
        "order_id", "Order ID", "id", True, ALWAYS,
        "The order (booking, transaction) the line belongs to. All lines of an order share "
        "it and must agree on order date, customer and channel.",
        "100234",
        ("Order Number", "Order No", "Order Ref", "Order Reference", "Booking ID",
         "Booking Reference", "Booking Ref", "Transaction ID", "Transaction Number",
         "Basket ID"),
    ),
    _column(
        "order_date", "Order Date", "datetime", True, ALWAYS,
        "When the order was made (local time). Date, or date and time.",
        "2024-03-14 10:05",
        ("Transaction Date", "Booking Date", "Purchase Date", "Sale Date", "Order Created",
         "Date Ordered", "Order Date Time", "Transaction Date Time", "Created At"),
    ),
    _column(
        "channel", "Channel", "channel", False, "never",
        "How the order was made: online, box office, phone, agent or other.",
        "online",
        ("Sales Channel", "Sale Channel", "Booking Channel", "Order Channel"),
    ),
    _column(
        "customer_id", "Customer ID", "id", True, "never",
        "Your box office's id for the booker. Blank for anonymous sales (no customer row).",
        "C-5521",
        ("Customer Number", "Customer No", "Customer Ref", "Customer Reference", "Patron ID",
         "Account ID", "Booker ID", "Contact ID", "Constituent ID"),
    ),
    _column(
        "customer_postcode", "Customer Postcode", "postcode", True, "never",
        "The booker's UK postcode, any case and spacing. Blank if unknown; an invalid "
        "value is stored as unknown (the raw record keeps it as written).",
        "NE1 4ST",
        ("Postcode", "Post Code", "Zip", "Zip Code", "Postal Code", "Customer Post Code",
         "Billing Postcode", "Booker Postcode"),
    ),
    _column(
        "event_id", "Event ID", "id", True, TICKETS,
        "Your id for the event (production, show): the same id your funder's event record "
        "uses (Illuminate's Event ID).",
        "EV-0042",
        ("Production ID", "Show ID", "Event Code", "Event Ref", "Event Reference",
         "Production Code"),
    ),
    _column(
        "event_name", "Event Name", "text", True, TICKETS,
        "The event's title.",
        "The Tempest",
        ("Event", "Show", "Show Name", "Show Title", "Production", "Production Name",
         "Event Title", "Title"),
    ),
    _column(
        "season", "Season", "text", False, "never",
        "The programme season the event belongs to.",
        "Spring 2024",
        ("Season Name", "Production Season"),
    ),
    _column(
        "category", "Category", "text", False, "never",
        "The event's category or artform (Theatre, Dance, Music…).",
        "Theatre",
        ("Event Category", "Artform", "Art Form", "Genre"),
    ),
    _column(
        "event_type", "Event Type", "text", False, "never",
        "The kind of activity (Performance, Screening, Workshop, Talk…).",
        "Performance",
        ("Type of Event", "Production Type", "Activity Type"),
    ),
    _column(
        "instance_id", "Instance ID", "id", True, TICKETS,
        "Your id for the performance (instance, showing) the ticket is for.",
        "PF-0042-03",
        ("Performance ID", "Performance Code", "Performance Ref", "Perf ID",
         "Event Instance ID", "Showing ID", "Session ID", "Instance Code"),
    ),
    _column(
        "instance_start", "Instance Start", "datetime", True, TICKETS,
        "When the performance starts (local time): date and time, or a date with the time "
        "in Instance Time.",
        "2024-04-02 19:30",
        ("Performance Date", "Performance Date Time", "Performance Start",
         "Performance Start Time", "Instance Date", "Event Date", "Show Date",
         "Start Date", "Start Date Time", "Date of Performance", "Starts At"),
    ),
    _column(
        "instance_time", "Instance Time", "time", False, "never",
        "The start time when Instance Start holds only a date (hh:mm, 24-hour).",
        "19:30",
        ("Performance Time", "Start Time", "Show Time", "Event Time"),
    ),
    _column(
        "capacity", "Capacity", "count", False, "never",
        "Seats on sale for the performance (a whole number).",
        "450",
        ("Instance Capacity", "Performance Capacity", "Sellable Capacity",
         "House Capacity"),
    ),
    _column(
        "instance_cancelled", "Instance Cancelled", "flag", False, "never",
        "Yes if the performance was cancelled.",
        "no",
        ("Performance Cancelled", "Cancelled Performance"),
    ),
    _column(
        "venue", "Venue", "text", True, TICKETS,
        "The venue (building or space) of the performance. Its id is made from the name "
        "unless Venue ID is given.",
        "Main House",
        ("Venue Name", "Location", "Building"),
    ),
    _column(
        "venue_id", "Venue ID", "id", False, "never",
        "Your id for the venue, if you have one.",
        "",
        ("Venue Code", "Venue Ref"),
    ),
    _column(
        "venue_postcode", "Venue Postcode", "postcode", False, "never",
        "The venue's UK postcode (gives the venue's region).",
        "NE1 3AF",
        ("Venue Post Code",),
    ),
    _column(
        "venue_address", "Venue Address", "text", False, "never",
        "The venue's address.",
        "",
        (),
    ),
    _column(
        "line_type", "Line Type", "line_type", True, ALWAYS,
        "What the line sells: ticket, supplementary, product, fee, donation or "
        "membership (see Line types).",
        "ticket",
        ("Item Type", "Type", "Line Kind", "Sale Type", "Order Line Type"),
    ),
    _column(
        "line_id", "Line ID", "id", False, "never",
        "Your id for the line (ticket id), kept for tracing.",
        "",
        ("Ticket ID", "Ticket Number", "Order Line ID"),
    ),
    _column(
        "ticket_type", "Ticket Type", "text", True, TICKETS,
        "The ticket (price) type as your box office names it.",
        "Concession",
        ("Price Type", "Price Category", "Ticket Category", "Concession Type",
         "Ticket Type Name"),
    ),
    _column(
        "price_band", "Price Band", "text", False, "never",
        "The price band (zone) of the seat.",
        "A",
        ("Band", "Price Zone", "Seat Band", "Price Level"),
    ),
    _column(
        "concession", "Concession", "flag", False, "never",
        "Yes for a concession ticket. Blank: decided from the ticket type's name.",
        "",
        ("Concession Flag", "Is Concession"),
    ),
    _column(
        "comp", "Comp", "flag", False, "never",
        "Yes for a complimentary ticket. Blank: decided from price and ticket type.",
        "",
        ("Comp Flag", "Complimentary", "Is Comp"),
    ),
    _column(
        "item_id", "Item ID", "id", False, "never",
        "For product, fee, donation and membership lines: your id for what was sold.",
        "",
        ("Product ID", "Item Code", "Product Code", "SKU", "Fund ID", "Membership ID"),
    ),
    _column(
        "item_name", "Item Name", "text", False, "never",
        "For product, fee, donation and membership lines: what was sold.",
        "",
        ("Product Name", "Product", "Item", "Fund", "Fund Name", "Membership Name"),
    ),
    _column(
        "face_value", "Face Value", "money", True, TICKETS,
        "The ticket's full (list) price before any discount, in pounds.",
        "18.00",
        ("Full Price", "List Price", "Base Price", "Original Price", "Standard Price",
         "Ticket Value", "Face Price"),
    ),
    _column(
        "price_paid", "Price Paid", "money", True, ALWAYS,
        "What the customer paid for this line in pounds, including VAT. For tickets, "
        "without booking fees (put fees on their own fee lines).",
        "14.50",
        ("Price", "Amount Paid", "Ticket Price", "Paid", "Amount", "Sale Price",
         "Paid Price"),
    ),
    _column(
        "status", "Status", "status", False, "never",
        "issued (default when blank), returned (refunded, exchanged) or cancelled (void).",
        "issued",
        ("Line Status", "Ticket Status", "Order Line Status"),
    ),
)
"""Every template column, in template order."""

COLUMNS_BY_NAME: dict[str, TemplateColumn] = {c.name: c for c in COLUMNS}
REQUIRED_COLUMNS: tuple[TemplateColumn, ...] = tuple(c for c in COLUMNS if c.required)

LINE_TYPES: dict[str, tuple[str, ...]] = {
    "ticket": ("ticket", "tickets", "tkt", "admission", "seat"),
    "supplementary": ("supplementary", "supplementary ticket", "add on", "addon", "extra"),
    "product": ("product", "merchandise", "merch", "retail", "goods", "shop"),
    "fee": ("fee", "booking fee", "transaction fee", "service charge", "handling fee",
            "charge"),
    "donation": ("donation", "gift", "fund", "contribution"),
    "membership": ("membership", "member", "subscription"),
}
"""Line types and the words that mean them (matched like headers: case and spaces ignored)."""

STATUSES: dict[str, tuple[str, ...]] = {
    "issued": ("issued", "sold", "booked", "paid", "confirmed", "complete", "completed",
               "active", "valid"),
    "returned": ("returned", "return", "refunded", "refund", "exchanged",
                 "exchanged out"),
    "cancelled": ("cancelled", "canceled", "cancel", "void", "voided"),
}
"""Line statuses and the words that mean them. Blank means issued."""

CHANNELS: dict[str, tuple[str, ...]] = {
    "online": ("online", "web", "website", "internet", "www", "app"),
    "box_office": ("box office", "counter", "in person", "walk in", "door",
                   "front of house", "foh"),
    "phone": ("phone", "telephone", "call centre", "call center"),
    "agent": ("agent", "agency", "third party", "reseller"),
    "other": ("other",),
}
"""Sales channels and the words that mean them; any other value is ``other``."""


def _vocabulary(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalise_word(word): key for key, words in table.items() for word in words}


LINE_TYPE_WORDS = _vocabulary(LINE_TYPES)
STATUS_WORDS = _vocabulary(STATUSES)
CHANNEL_WORDS = _vocabulary(CHANNELS)


PROFILE = ColumnProfile(
    "the houselights upload template",
    COLUMNS,
    sheet="Order lines",
    hint="Rename your columns to the template's names (or an accepted alias); see "
    "docs/upload-template.md.",
    format_hint="Save the file as CSV (UTF-8) or Excel .xlsx with one row per order line, "
    "as in the template described in docs/upload-template.md.",
)
"""The template as a column profile for the kit's file reader."""


def match_header(headers: Sequence[str]) -> HeaderMatch:
    """Match header cells to template columns (case, spaces and punctuation ignored)."""
    return PROFILE.match(headers)


def markdown_table() -> str:
    """The template's columns as a Markdown table (embedded in docs/upload-template.md)."""
    when = {ALWAYS: "every line", TICKETS: "ticket lines", "never": "no"}
    lines = [
        "| Column | In header | Value needed on | Also accepted as | Example | Meaning |",
        "|---|---|---|---|---|---|",
    ]
    for col in COLUMNS:
        aliases = ", ".join(col.aliases) or "—"
        example = f"`{col.example}`" if col.example else ""
        lines.append(
            f"| **{col.label}** | {'required' if col.required else 'optional'} "
            f"| {when[col.value_required]} | {aliases} | {example} | {col.description} |"
        )
    return "\n".join(lines) + "\n"


_LINE_TYPE_MEANINGS = {
    "ticket": "a ticket for an instance (performance)",
    "supplementary": "a ticket for a supplementary instance (car park, supper): not attendance",
    "product": "merchandise: programmes, drinks vouchers, books",
    "fee": "a booking, transaction or postage fee",
    "donation": "a donation to a fund",
    "membership": "a membership or subscription scheme",
}


def markdown_line_types() -> str:
    """The line types as a Markdown table (embedded in docs/upload-template.md)."""
    lines = ["| Line Type | Meaning | Also accepted as |", "|---|---|---|"]
    for kind, words in LINE_TYPES.items():
        others = ", ".join(w for w in words if w != kind)
        lines.append(f"| `{kind}` | {_LINE_TYPE_MEANINGS[kind]} | {others} |")
    return "\n".join(lines) + "\n"


def describe_words(table: dict[str, tuple[str, ...]]) -> str:
    """A vocabulary as one Markdown sentence, e.g. for statuses: issued (also: sold, …); …"""
    parts = []
    for key, words in table.items():
        others = [w for w in words if normalise_word(w) != normalise_word(key)]
        label = key.replace("_", " ")
        parts.append(f"`{label}`" + (f" (also: {', '.join(others)})" if others else ""))
    return "; ".join(parts) + "."


