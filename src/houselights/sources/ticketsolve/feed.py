"""Read Ticketsolve's public XML catalogue feed safely, in bounded memory.

Two documents (``specs/ticketsolve.md`` §2):

* ``shows.xml`` — venues → shows → events; :func:`iter_feed` / :func:`iter_shows` stream
  it (each ``<show>`` is turned into a :class:`Show` and dropped from the tree before the
  next is read), so a 50 MB feed parses in a few megabytes; :func:`read_shows` collects
  the lot for small feeds.
* the per-performance document (``/shows/<id>/events/<id>.xml``) —
  :func:`parse_performance` returns a :class:`Performance`.

Safety: parsing goes through defusedxml. A document that declares entities (the
"billion laughs" expansion) or references external ones (``<!ENTITY x SYSTEM
"file:///…">``) is refused with :class:`HostileFeedError` before anything is expanded or
fetched. Broken XML raises :class:`MalformedFeedError` naming the document and the line
and column; a document that ends early raises :class:`TruncatedFeedError` (retriable).

Tolerance: optional elements may be missing or empty (→ ``None``), text may be CDATA or
escaped, date-times may carry an offset (``…+01:00``, ``… +0100``, ``Z``) or not (then the
``@zone`` attribute is used when it names a known zone, else the time stays naive), and
feed URLs may point at any host (clients with a custom domain). Pure functions over
bytes, files or streams: no HTTP here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden

from houselights.errors import SourceError

__all__ = [
    "EventListing",
    "FeedError",
    "HostileFeedError",
    "Image",
    "MalformedFeedError",
    "Money",
    "Performance",
    "Price",
    "Show",
    "ShowsFeed",
    "TruncatedFeedError",
    "Venue",
    "VenueAddress",
    "ZonedTime",
    "iter_feed",
    "iter_shows",
    "parse_performance",
    "parse_time",
    "read_shows",
]

Source = bytes | Path | BinaryIO
"""A document: its bytes, a path to a file, or a binary stream."""


# --- errors ----------------------------------------------------------------------------


class FeedError(SourceError):
    """A Ticketsolve XML document could not be used."""

    code = "ticketsolve_feed_error"


class HostileFeedError(FeedError):
    """The document declares or references XML entities; refused without expanding them."""

    code = "ticketsolve_feed_hostile"


class MalformedFeedError(FeedError):
    """The document is not well-formed XML, or not in the feed's shape."""

    code = "ticketsolve_feed_malformed"


class TruncatedFeedError(MalformedFeedError):
    """The document ends before it is complete (a download cut short): worth retrying."""

    code = "ticketsolve_feed_truncated"
    retriable = True


_SHAPE_HINT = ("Check that the connection's base URL is the organisation's Ticketsolve "
               "address (https://<client>.ticketsolve.com) and that it serves the XML feed; "
               "if it does, report this message to the houselights maintainers.")


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZonedTime:
    """A date-time as the feed writes it: the text, its ``@zone``, and the instant.

    ``at`` is aware when the text carries an offset or ``zone`` names a known time zone
    (IANA names such as ``Europe/Dublin``, ``GMT``/``UTC``, Rails names such as
    ``Dublin``), naive otherwise.
    """

    text: str
    zone: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Money:
    """An amount and its ``@currency`` (``None`` when the attribute is absent)."""

    amount: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class Image:
    """One ``<image>``: its URLs by ``@size`` (``large``, ``medium``, ``thumb``)."""

    urls: tuple[tuple[str, str], ...]

    def url(self, size: str) -> str | None:
        """The URL of ``size``, if the image has one."""
        return next((u for s, u in self.urls if s == size), None)


@dataclass(frozen=True, slots=True)
class VenueAddress:
    """A venue address, when a feed carries one (not in the documented feed)."""

    line1: str | None
    town: str | None
    county: str | None
    postcode: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class Venue:
    """A ``<venue>``: its id and name (and an address if the feed has one)."""

    id: str
    name: str | None
    address: VenueAddress | None = None


@dataclass(frozen=True, slots=True)
class EventListing:
    """An ``<event>`` of a show in ``shows.xml``: one performance, in brief."""

    id: str
    name: str | None
    starts: ZonedTime | None
    status: str | None
    venue_layout: str | None
    feed_url: str | None

    @property
    def cancelled(self) -> bool:
        """True when the status is ``cancelled``."""
        return (self.status or "").casefold() == "cancelled"


@dataclass(frozen=True, slots=True)
class Show:
    """A ``<show>`` of ``shows.xml`` with its venue and events."""

    id: str
    venue: Venue
    name: str | None
    description: str | None
    category: str | None
    production_company: str | None
    priority: int | None
    url: str | None
    version: int | None
    images: tuple[Image, ...]
    tags: tuple[str, ...]
    events: tuple[EventListing, ...]


@dataclass(frozen=True, slots=True)
class Price:
    """A ``<price>`` of a performance: type name, face value and selling price."""

    type: str | None
    face: Money | None
    selling: Money | None

    @property
    def discount(self) -> Decimal | None:
        """Face value less selling price (positive for a concession), when both exist."""
        if self.face is None or self.selling is None:
            return None
        return self.face.amount - self.selling.amount


@dataclass(frozen=True, slots=True)
class Performance:
    """The per-performance document (``/shows/<showId>/events/<eventId>.xml``)."""

    id: str
    name: str | None
    starts: ZonedTime | None
    opens: ZonedTime | None
    onsale: ZonedTime | None
    duration: int | None
    """Minutes."""
    capacity: int | None
    available: int | None
    comment: str | None
    url: str | None
    status: str | None
    fee: Money | None
    maximum_tickets: int | None
    prices: tuple[Price, ...]

    @property
    def cancelled(self) -> bool:
        """True when the status is ``cancelled``."""
        return (self.status or "").casefold() == "cancelled"


@dataclass(frozen=True)
class ShowsFeed:
    """A whole ``shows.xml``: every venue (even without shows) and every show."""

    venues: tuple[Venue, ...]
    shows: tuple[Show, ...]


# --- values ----------------------------------------------------------------------------

_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
# Rails' own zone names and the abbreviations in use in Ireland and the UK. "IST" is
# Irish Standard Time here: Ticketsolve serves Irish and UK venues.
_ZONE_ALIASES = {
    "dublin": "Europe/Dublin", "london": "Europe/London", "edinburgh": "Europe/London",
    "ist": "Europe/Dublin", "bst": "Europe/London",
}


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    key = _ZONE_ALIASES.get(name.strip().casefold(), name.strip())
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_time(text: str, zone: str | None = None) -> datetime | None:
    """Read a feed date-time; ``None`` if it is not one.

    Accepts ISO 8601 (``2025-09-12T19:30:00+01:00``), Rails' rendering (``2025-09-12
    19:30:00 +0100``), ``Z``/``UTC``/``GMT`` suffixes and a bare date. Without an offset
    the time is placed in ``zone`` when that names a known zone, else left naive.
    """
    text = text.strip()
    try:  # the common case, ISO 8601, in C
        parsed: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None and len(text) >= 10 and text[4] == "-":
        if parsed.tzinfo is None and zone:
            tz = _zone(zone)
            return parsed.replace(tzinfo=tz) if tz is not None else parsed
        return parsed
    match = _TIME.match(text)
    if match is None:
        return None
    day, clock, offset = match.groups()
    try:
        at = datetime.fromisoformat(f"{day}T{clock or '00:00'}")
    except ValueError:
        return None
    if offset in ("Z", "UTC", "GMT"):
        return at.replace(tzinfo=UTC)
    if offset:
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return at.replace(tzinfo=timezone(delta if offset[0] == "+" else -delta))
    tz = _zone(zone) if zone else None
    return at.replace(tzinfo=tz) if tz is not None else at


def _children(element: Element | None) -> dict[str, Element]:
    """First child element per tag (one pass; cheaper than repeated ``find``)."""
    out: dict[str, Element] = {}
    if element is not None:
        for child in element:
            out.setdefault(child.tag, child)
    return out


def _text(element: Element | None) -> str | None:
    if element is None:
        return None
    value = (element.text or "").strip()
    return value or None


def _all(element: Element | None, tag: str) -> list[Element]:
    return [] if element is None else [c for c in element if c.tag == tag]


class _Reader:
    """Turns elements into records; knows which document it reads, for messages."""

    def __init__(self, document: str) -> None:
        self.document = document

    def bad(self, where: str, tag: str, value: str, expected: str) -> MalformedFeedError:
        return MalformedFeedError(
            f"{self.document}: {where}: <{tag}> is {value!r}, not {expected}.",
            hint=_SHAPE_HINT,
        )

    def integer(self, element: Element | None, tag: str, where: str) -> int | None:
        value = _text(element)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise self.bad(where, tag, value, "a whole number") from None

    def money(self, element: Element | None, tag: str, where: str) -> Money | None:
        value = _text(element)
        if element is None or value is None:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise self.bad(where, tag, value, "an amount") from None
        if not amount.is_finite():
            raise self.bad(where, tag, value, "an amount")
        return Money(amount, element.get("currency") or None)

    def time(self, element: Element | None, tag: str, where: str) -> ZonedTime | None:
        value = _text(element)
        if element is None or value is None:
            return None
        zone = element.get("zone") or None
        at = parse_time(value, zone)
        if at is None:
            raise self.bad(where, tag, value, "a date-time")
        return ZonedTime(value, zone, at)

    def ident(self, element: Element, where: str) -> str:
        value = (element.get("id") or "").strip()
        if not value:
            raise MalformedFeedError(
                f"{self.document}: {where}: a <{element.tag}> has no id attribute.",
                hint=_SHAPE_HINT,
            )
        return value

    @staticmethod
    def venue_address(element: Element) -> VenueAddress:
        kids = _children(element)
        return VenueAddress(*(_text(kids.get(t))
                              for t in ("line1", "town", "county", "postcode", "country")))

    def show(self, element: Element, venue: Venue, position: int) -> Show:
        show_id = self.ident(element, f"venue {venue.id}, show number {position}")
        where = f"show {show_id}"
        kids = _children(element)
        images = tuple(
            Image(tuple(((u.get("size") or "").strip(), (u.text or "").strip())
                        for u in _all(image, "url")))
            for image in _all(kids.get("images"), "image")
        )
        tags = tuple(t for t in (_text(e) for e in _all(kids.get("tags"), "tag")) if t)
        events = []
        for number, event in enumerate(_all(kids.get("events"), "event"), 1):
            event_id = self.ident(event, f"{where}, event number {number}")
            ev = _children(event)
            events.append(EventListing(
                id=event_id, name=_text(ev.get("name")),
                starts=self.time(ev.get("date_time_iso"), "date_time_iso",
                                 f"{where}, event {event_id}"),
                status=_text(ev.get("status")), venue_layout=_text(ev.get("venue_layout")),
                feed_url=_text(_children(ev.get("feed")).get("url")),
            ))
        return Show(
            id=show_id, venue=venue, name=_text(kids.get("name")),
            description=_text(kids.get("description")),
            category=_text(kids.get("event_category")),
            production_company=_text(kids.get("production_company_name")),
            priority=self.integer(kids.get("priority"), "priority", where),
            url=_text(kids.get("url")),
            version=self.integer(kids.get("version"), "version", where), images=images,
            tags=tags, events=tuple(events),
        )

    def performance(self, root: Element) -> Performance:
        event_id = self.ident(root, "the document")
        where = f"event {event_id}"
        kids = _children(root)
        transaction = _children(kids.get("transaction"))
        prices = []
        for price in _all(kids.get("prices"), "price"):
            pk = _children(price)
            prices.append(Price(_text(pk.get("type")),
                                self.money(pk.get("face_price"), "face_price", where),
                                self.money(pk.get("selling_price"), "selling_price", where)))
        return Performance(
            id=event_id, name=_text(kids.get("name")),
            starts=self.time(kids.get("date_time"), "date_time", where),
            opens=self.time(kids.get("opening_time"), "opening_time", where),
            onsale=self.time(kids.get("onsale_time"), "onsale_time", where),
            duration=self.integer(kids.get("duration"), "duration", where),
            capacity=self.integer(kids.get("capacity"), "capacity", where),
            available=self.integer(kids.get("available"), "available", where),
            comment=_text(kids.get("comment")), url=_text(kids.get("url")),
            status=_text(kids.get("status")),
            fee=self.money(transaction.get("fee"), "transaction/fee", where),
            maximum_tickets=self.integer(transaction.get("maximum_tickets"),
                                         "transaction/maximum_tickets", where),
            prices=tuple(prices),
        )


# --- parsing ---------------------------------------------------------------------------

# expat error codes meaning "the input stopped in the middle of something".
_ENDS_EARLY = {3, 5, 6, 20}  # no element found, unclosed token, partial char, unclosed CDATA


def _open(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, Path):
        try:
            return source.open("rb"), True
        except OSError as error:
            raise FeedError(f"{source} cannot be read: {error.strerror}.",
                            hint="Check the path of the saved feed.") from None
    return source, False


def _events(
    source: Source, document: str, root_tag: str
) -> Iterator[tuple[str, Element]]:
    """Safe (start, end) parse events, with every failure turned into a FeedError."""
    stream, owned = _open(source)
    seen = False
    try:
        events = SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=False,
                                  forbid_entities=True, forbid_external=True)
        first = next(events, None)
        if first is None:  # expat reports an empty document itself; never reached
            raise MalformedFeedError(f"{document} is empty.", hint=_SHAPE_HINT)
        seen = True
        if first[1].tag != root_tag:
            raise MalformedFeedError(
                f"{document} is not a Ticketsolve feed document: its root element "
                f"is <{first[1].tag}>, expected <{root_tag}>.",
                hint="A web page (an error or a waiting room) may have been served "
                "instead of the feed. " + _SHAPE_HINT,
            )
        yield first
        yield from events  # no per-event work here: the hot loop is the caller's
    except EntitiesForbidden as error:
        external = error.sysid is not None or error.pubid is not None
        what = (f"an external entity ({error.name!r} → {error.sysid or error.pubid})"
                if external else f"an XML entity ({error.name!r}) that would expand")
        raise HostileFeedError(
            f"{document} was refused: it declares {what}. Ticketsolve's feed never does; "
            "nothing was expanded or fetched.",
            hint="Check that the connection's base URL points at the organisation's "
            "Ticketsolve address; a proxy or another server may be answering.",
        ) from None
    except (ExternalReferenceForbidden, DefusedXmlException) as error:
        raise HostileFeedError(
            f"{document} was refused: it references outside resources ({error}).",
            hint="Check that the connection's base URL points at the organisation's "
            "Ticketsolve address.",
        ) from None
    except ParseError as error:
        line, column = error.position
        if not seen:
            raise MalformedFeedError(
                f"{document} is empty or not XML (line {line}, column {column}).",
                hint=_SHAPE_HINT,
            ) from None
        if error.code in _ENDS_EARLY:
            raise TruncatedFeedError(
                f"{document} ends before it is complete (line {line}, column {column}): "
                "the download was probably cut short.",
                hint="Fetch it again: a retry usually succeeds.",
            ) from None
        reason = str(error).split(":", 1)[0]
        raise MalformedFeedError(
            f"{document} is not well-formed XML: {reason} at line {line}, column {column}.",
            hint="Fetch it again; if it stays broken, " + _SHAPE_HINT[0].lower()
            + _SHAPE_HINT[1:],
        ) from None
    finally:
        if owned:
            stream.close()


def iter_feed(source: Source, *, document: str = "shows.xml") -> Iterator[Venue | Show]:
    """Stream ``shows.xml``: each :class:`Venue` (before its shows), then its :class:`Show`\\ s.

    Memory stays bounded: a show's elements are dropped as soon as it is yielded.
    ``document`` names the document in error messages (a URL or file name).
    """
    reader = _Reader(document)
    stack: list[Element] = []
    venue: Venue | None = None
    venue_id = ""
    venues_seen = shows_seen = 0
    for event, element in _events(source, document, "venues"):
        if event == "start":
            stack.append(element)
            depth = len(stack)
            if depth == 2 and element.tag == "venue":
                venues_seen += 1
                venue_id = reader.ident(element, f"venue number {venues_seen}")
                venue = None
            elif depth == 3 and element.tag == "shows" and venue is None and venue_id:
                venue = _venue(reader, stack[1], venue_id)
                yield venue
            continue
        stack.pop()
        depth = len(stack)
        if depth == 3 and element.tag == "show" and stack[1].tag == "venue":
            if venue is None:  # shows before the venue's <shows>: not the documented order
                venue = _venue(reader, stack[1], venue_id)
                yield venue
            shows_seen += 1
            yield reader.show(element, venue, shows_seen)
            stack[-1].remove(element)  # drop it: memory stays bounded by one show
        elif depth == 1 and element.tag == "venue":
            if venue is None:
                yield _venue(reader, element, venue_id)
            stack[-1].remove(element)
            venue, venue_id = None, ""


def _venue(reader: _Reader, element: Element, venue_id: str) -> Venue:
    kids = _children(element)
    address = kids.get("address")
    return Venue(venue_id, _text(kids.get("name")),
                 None if address is None else reader.venue_address(address))


def iter_shows(source: Source, *, document: str = "shows.xml") -> Iterator[Show]:
    """Stream the shows of ``shows.xml`` (each knows its venue)."""
    for item in iter_feed(source, document=document):
        if isinstance(item, Show):
            yield item


def read_shows(source: Source, *, document: str = "shows.xml") -> ShowsFeed:
    """Read a whole ``shows.xml`` into memory (fine for ordinary feeds)."""
    venues: list[Venue] = []
    shows: list[Show] = []
    for item in iter_feed(source, document=document):
        if isinstance(item, Show):
            shows.append(item)
        else:
            venues.append(item)
    return ShowsFeed(tuple(venues), tuple(shows))


def parse_performance(source: Source, *, document: str = "event.xml") -> Performance:
    """Read one per-performance document."""
    root: Element | None = None
    for event, element in _events(source, document, "event"):
        if event == "start" and root is None:
            root = element
    assert root is not None  # _events raises on a document without a root
    return _Reader(document).performance(root)
