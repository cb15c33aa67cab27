"""Ticketsolve's report exports: the column profiles of the sales and customer files.

Ticketsolve has no public sales API and its report layouts are not public
(``specs/ticketsolve.md`` §4). The columns below are **[invented]**: they are the ones the
simulator writes (``simulator/exports.py``), with aliases for the wordings a real export
plausibly uses, so that a real layout can be accommodated by adding aliases here. A file
is recognised by its header (:func:`recognise`): whichever profile's required columns it
has, whatever its name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from houselights.errors import UploadError
from houselights.sources.kit.files import Column, ColumnProfile, TableFile, normalise_header
from houselights.sources.kit.limits import FileLimits, open_regular

__all__ = [
    "CUSTOMERS_PROFILE",
    "PROFILES",
    "SALES_PROFILE",
    "ExportKind",
    "looks_like_export",
    "recognise",
]

ExportKind = Literal["sales", "customers"]

_HINT = (
    "Export the Ticketsolve sales report (one line per ticket or fee) or the customer "
    "report as CSV or Excel, without renaming its columns (docs/ticketsolve.md lists them)."
)


def _col(name: str, label: str, required: bool, description: str,
         aliases: tuple[str, ...] = ()) -> Column:
    return Column(name=name, label=label, required=required, description=description,
                  aliases=aliases)


SALES_PROFILE = ColumnProfile(
    what="a Ticketsolve sales export",
    sheet="Sales",
    hint=_HINT,
    columns=(
        _col("line_id", "Line ID", True, "unique id of the line, stable across exports",
             ("Ticket ID", "Line Item ID", "Sale Line ID")),
        _col("order_id", "Order ID", True, "the order (transaction); a refund keeps it",
             ("Transaction ID", "Order Number", "Order Reference")),
        _col("transaction_date", "Transaction Date", True,
             "local date-time of the sale or refund", ("Order Date", "Date", "Sale Date")),
        _col("channel", "Channel", False, "Online, Box Office or Phone", ("Sales Channel",)),
        _col("customer_id", "Customer ID", True, "the buyer; blank for anonymous sales",
             ("Customer Number", "Customer Ref")),
        _col("show_id", "Show ID", True, "show@id in shows.xml"),
        _col("show_name", "Show Name", False, "the show's name", ("Show", "Show Title")),
        _col("event_id", "Event ID", True, "event@id in shows.xml: the performance",
             ("Performance ID",)),
        _col("event_date", "Event Date", True, "local start of the performance",
             ("Performance Date", "Event Date Time")),
        _col("venue_id", "Venue ID", False, "venue@id in shows.xml"),
        _col("venue", "Venue", False, "the venue's name", ("Venue Name",)),
        _col("line_type", "Line Type", True, "Ticket or Booking Fee", ("Type", "Item Type")),
        _col("price_type", "Price Type", False, "the performance's price type; blank for fees",
             ("Ticket Type",)),
        _col("quantity", "Quantity", True, "1, or -1 on a refund line", ("Qty",)),
        _col("face_value", "Face Value", False, "face value of one ticket", ("Face Price",)),
        _col("price_paid", "Price Paid", True, "amount charged; negative on a refund",
             ("Amount", "Paid", "Selling Price")),
        _col("currency", "Currency", False, "EUR or GBP"),
        _col("status", "Status", False, "Paid, Complimentary or Refunded"),
        _col("payment_method", "Payment Method", False, "Card, Cash, Gift Voucher…",
             ("Payment Type",)),
    ),
)
"""The sales export [invented layout]: one line per ticket, booking fee or refund."""

CUSTOMERS_PROFILE = ColumnProfile(
    what="a Ticketsolve customer export",
    sheet="Customers",
    hint=_HINT,
    columns=(
        _col("customer_id", "Customer ID", True, "the customer, as in the sales export",
             ("Customer Number", "Customer Ref")),
        _col("title", "Title", False, "Mr, Mrs…"),
        _col("first_name", "First Name", False, "given name", ("Forename",)),
        _col("last_name", "Last Name", False, "family name", ("Surname",)),
        _col("email", "Email", False, "e-mail address", ("Email Address",)),
        _col("address_line_1", "Address Line 1", False, "street", ("Address 1",)),
        _col("town", "Town", False, "town or city", ("City",)),
        _col("county", "County", False, "county"),
        _col("postcode", "Postcode", True, "UK postcode or Irish Eircode as typed",
             ("Eircode", "Postal Code", "Post Code", "Postcode / Eircode")),
        _col("country", "Country", False, "country"),
        _col("email_opt_in", "Email Opt In", False, "Yes or No", ("Opt In", "Marketing")),
        _col("created", "Created", False, "when the customer record was created"),
        _col("last_updated", "Last Updated", True, "when it last changed",
             ("Updated", "Modified")),
    ),
)
"""The customer export [invented layout]: customers created or changed in the period."""

PROFILES: dict[ExportKind, ColumnProfile] = {"sales": SALES_PROFILE,
                                             "customers": CUSTOMERS_PROFILE}


_PEEK = 1 << 16


def looks_like_export(path: Path) -> bool:
    """A cheap first look: could ``path`` be one of the exports? (A workbook is opened;
    a text file is judged by its first line, so a large upload is not read again.)"""
    try:
        with open_regular(path) as handle:
            head = handle.read(_PEEK)
    except (OSError, UploadError):
        return False
    if head.startswith(b"PK"):
        return True
    text = head.decode("utf-8-sig", errors="replace")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    cells = {normalise_header(c) for c in first.replace(";", ",").replace("\t", ",").split(",")}
    return any(
        all(col.keys & cells for col in profile.required) for profile in PROFILES.values()
    )


def recognise(path: Path, limits: FileLimits | None = None) -> tuple[ExportKind, TableFile]:
    """Open ``path`` and tell which export it is by its header.

    Raises :class:`~houselights.errors.UploadError` for a file that cannot be read, or
    whose header is neither export's (naming what the closer one misses).
    """
    failures: list[UploadError] = []
    for kind, profile in PROFILES.items():
        try:
            return kind, TableFile(path, profile, limits)
        except UploadError as error:
            if "missing required columns" not in error.message:
                raise
            failures.append(error)
    # Neither: report against the profile whose header looked closer (fewer missing).
    best = min(failures, key=lambda e: e.message.count("'"))
    raise UploadError(
        best.message.replace("missing required columns",
                             "is neither a Ticketsolve sales nor customer export; missing"),
        hint=_HINT,
    )
