"""The XML documents the simulator serves: ``shows.xml`` and one document per performance.

Shapes follow spec §2.1 and §2.2 exactly (element names, nesting, attributes); text
formats the record does not show are **[invented]** and switchable through
:class:`~.config.FeedStyle`. ``shows.xml`` is produced in chunks (one per show), so a
50 MB feed can be written to a file without building it in memory.

Also here: the broken documents of the fault kinds (malformed, billion laughs, external
entity) — hostile on purpose, for testing readers; never parse them without defusedxml.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from .catalogue import DOORS_BEFORE, Catalogue, PerformanceRecord, ShowRecord, VenueRecord
from .clock import iso_local, rails_local, utc_to_local
from .config import FeedStyle

__all__ = [
    "FeedUrls",
    "billion_laughs",
    "event_xml",
    "external_entity",
    "iter_shows_xml",
    "malformed",
]

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
IMAGE_SIZES = ("large", "medium", "thumb")


@dataclass(frozen=True)
class FeedUrls:
    """Where the links inside the documents point.

    ``base`` is the account's root as a client reaches it (``http://127.0.0.1:N/demo`` on
    the simulator, ``https://demo.ticketsolve.com`` for real, or a custom domain):
    ``feed/url`` and the booking ``url`` hang off it, so a client fetching ``feed/url``
    comes back to the simulator. Images live on a made-up CDN under ``example.com``.
    """

    base: str
    images: str

    def show(self, show_id: int) -> str:
        """Public page of a show (the Ticketbooth storefront)."""
        return f"{self.base}/ticketbooth/shows/{show_id}"

    def booking(self, show_id: int, event_id: int) -> str:
        """Booking page of a performance."""
        return f"{self.base}/ticketbooth/shows/{show_id}/events/{event_id}"

    def feed(self, show_id: int, event_id: int) -> str:
        """The per-performance XML document."""
        return f"{self.base}/shows/{show_id}/events/{event_id}.xml"


class _Writer:
    def __init__(self, style: FeedStyle) -> None:
        self.style = style
        self.nl = "\n" if style.indent else ""
        self.sp = "  " if style.indent else ""

    def text(self, value: str) -> str:
        if self.style.cdata:
            return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"
        return escape(value)

    def line(self, depth: int, content: str) -> str:
        return f"{self.sp * depth}{content}{self.nl}"

    def zone(self, zone: str) -> str:
        label = zone if self.style.zone_label is None else self.style.zone_label
        return f" zone={quoteattr(label)}" if label else ""

    def event_time(self, at: datetime, zone: str) -> str:
        fmt = self.style.event_time_format
        if fmt == "rails":
            return rails_local(at, zone)
        if fmt == "iso":
            return iso_local(at, zone)
        return utc_to_local(at, zone).strftime("%Y-%m-%dT%H:%M:%S")


def _matches(show: ShowRecord, tag: str | None, category: str | None) -> bool:
    # Filter semantics are not documented (spec §1): case-insensitive exact match
    # [invented].
    if tag is not None and tag.casefold() not in {t.casefold() for t in show.tags}:
        return False
    return category is None or show.category.casefold() == category.casefold()


def _venue_head(w: _Writer, venue: VenueRecord) -> str:
    out = [w.line(1, f'<venue id="{venue.id}">'), w.line(2, f"<name>{w.text(venue.name)}</name>")]
    if w.style.venue_addresses:  # [invented] extension, off by default
        out.append(w.line(2, "<address>"))
        for tag, value in (("line1", venue.line1), ("town", venue.town),
                           ("county", venue.county), ("postcode", venue.postcode or ""),
                           ("country", venue.country)):
            out.append(w.line(3, f"<{tag}>{escape(value)}</{tag}>"))
        out.append(w.line(2, "</address>"))
    out.append(w.line(2, "<shows>"))
    return "".join(out)


def _show(w: _Writer, show: ShowRecord, perfs: list[PerformanceRecord], urls: FeedUrls) -> str:
    zone = show.venue.zone
    out = [
        w.line(3, f'<show id="{show.id}">'),
        w.line(4, f"<name>{w.text(show.name)}</name>"),
        w.line(4, f"<description>{w.text(show.description)}</description>"),
        w.line(4, f"<event_category>{w.text(show.category)}</event_category>"),
        w.line(4, f"<production_company_name>{w.text(show.company)}</production_company_name>"),
        w.line(4, f"<priority>{show.priority}</priority>"),
        w.line(4, f"<url>{escape(urls.show(show.id))}</url>"),
        w.line(4, f"<version>{show.version}</version>"),
        w.line(4, "<images>"),
        w.line(5, "<image>"),
    ]
    for size in IMAGE_SIZES:
        out.append(w.line(6, f'<url size="{size}">{urls.images}/shows/{show.id}/{size}.jpg</url>'))
    out += [w.line(5, "</image>"), w.line(4, "</images>"), w.line(4, "<tags>")]
    out += [w.line(5, f"<tag>{w.text(tag)}</tag>") for tag in show.tags]
    out += [w.line(4, "</tags>"), w.line(4, "<events>")]
    for perf in perfs:
        out += [
            w.line(5, f'<event id="{perf.id}">'),
            w.line(6, f"<name>{w.text(show.name)}</name>"),
            w.line(6, f'<date_time_iso format="ISO 8601"{w.zone(zone)}>'
                      f"{iso_local(perf.start, zone)}</date_time_iso>"),
            w.line(6, f"<status>{perf.status}</status>"),
            w.line(6, f"<venue_layout>{w.text(perf.layout)}</venue_layout>"),
            w.line(6, "<feed>"),
            w.line(7, f"<url>{escape(urls.feed(show.id, perf.id))}</url>"),
            w.line(6, "</feed>"),
            w.line(5, "</event>"),
        ]
    out += [w.line(4, "</events>"), w.line(3, "</show>")]
    return "".join(out)


def iter_shows_xml(
    catalogue: Catalogue, now: datetime, style: FeedStyle, urls: FeedUrls, *,
    tag: str | None = None, category: str | None = None,
) -> Iterator[str]:
    """``shows.xml`` at ``now`` in chunks, optionally filtered by ``tag``/``category``.

    Venues with no matching show are left out [invented].
    """
    w = _Writer(style)
    yield DECLARATION + w.line(0, "<venues>")
    for venue, shows in catalogue.listing(now, past=style.past_performances):
        chosen = [(s, p) for s, p in shows if _matches(s, tag, category)]
        if not chosen:
            continue
        yield _venue_head(w, venue)
        for show, perfs in chosen:
            yield _show(w, show, perfs, urls)
        yield w.line(2, "</shows>") + w.line(1, "</venue>")
    yield w.line(0, "</venues>")


def event_xml(perf: PerformanceRecord, style: FeedStyle, urls: FeedUrls) -> bytes:
    """The per-performance document (spec §2.2)."""
    w = _Writer(style)
    show = perf.show
    zone = show.venue.zone
    cur = f' currency="{show.venue.currency}"'
    opening = perf.start - DOORS_BEFORE
    out = [
        DECLARATION,
        w.line(0, f'<event id="{perf.id}">'),
        w.line(1, f"<date_time{w.zone(zone)}>{w.event_time(perf.start, zone)}</date_time>"),
        w.line(1, f"<opening_time{w.zone(zone)}>{w.event_time(opening, zone)}</opening_time>"),
        w.line(1, f"<onsale_time{w.zone(zone)}>{w.event_time(show.onsale, zone)}</onsale_time>"),
        w.line(1, f"<duration>{show.duration}</duration>"),
        w.line(1, f"<capacity>{perf.capacity}</capacity>"),
        w.line(1, f"<available>{perf.available}</available>"),
        w.line(1, f"<comment>{w.text(perf.comment)}</comment>"),
        w.line(1, f"<url>{escape(urls.booking(show.id, perf.id))}</url>"),
        w.line(1, f"<status>{perf.status}</status>"),
        w.line(1, "<transaction>"),
        w.line(2, f"<fee{cur}>{show.fee}</fee>"),
        w.line(2, f"<maximum_tickets>{show.max_tickets}</maximum_tickets>"),
        w.line(1, "</transaction>"),
        w.line(1, "<prices>"),
    ]
    for price in perf.prices:
        out += [
            w.line(2, "<price>"),
            w.line(3, f"<type>{w.text(price.type)}</type>"),
            w.line(3, f"<face_price{cur}>{price.face}</face_price>"),
            w.line(3, f"<selling_price{cur}>{price.selling}</selling_price>"),
            w.line(2, "</price>"),
        ]
    out += [w.line(1, "</prices>"), w.line(0, "</event>")]
    return "".join(out).encode()


def malformed(body: bytes) -> bytes:
    """``body`` with one closing tag misspelt half-way through (well-formedness error)."""
    middle = len(body) // 2
    at = body.find(b"</", middle)
    if at < 0:
        at = body.rfind(b"</")
    if at < 0:
        return body + b"<unclosed>"
    end = body.find(b">", at)
    return body[:at] + b"</mismatched_" + body[at + 2:end] + body[end:]


def billion_laughs(root: str) -> bytes:
    """A "billion laughs" document: nested entities that expand to ~3 GB if resolved."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<!DOCTYPE {root} [",
             '  <!ENTITY lol "lol">']
    for level in range(1, 10):
        ref = f"&lol{level - 1};" if level > 1 else "&lol;"
        lines.append(f'  <!ENTITY lol{level} "{ref * 10}">')
    lines += ["]>", f'<{root} id="1"><name>&lol9;</name></{root}>', ""]
    return "\n".join(lines).encode()


def external_entity(root: str) -> bytes:
    """An XXE document: an external entity reading a local file, used in a name."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE {root} [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
        f'<{root} id="1"><name>&xxe;</name></{root}>\n'
    ).encode()
