"""The feed parser: hand-written documents typed from the spec's examples, tolerance of the
variants it mentions, hostile and broken XML refused with clear errors, and equality with
the simulator's truth."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ticketsolve_helpers import tiny_config

from houselights.errors import HouselightsError, SourceError
from houselights.sources.ticketsolve.feed import (
    FeedError,
    HostileFeedError,
    MalformedFeedError,
    Show,
    TruncatedFeedError,
    Venue,
    iter_feed,
    iter_shows,
    parse_performance,
    parse_time,
    read_shows,
)
from houselights.sources.ticketsolve.simulator import (
    FeedStyle,
    TicketsolveSimulator,
    TicketsolveTruth,
)
from houselights.sources.ticketsolve.simulator.documents import billion_laughs, external_entity

IST = timezone(timedelta(hours=1))

# Typed by hand from spec §2.1 (shape), the public test fixture it cites (CDATA names,
# date_time_iso format="ISO 8601" zone="GMT" with an offset, status "cancelled") and the
# Craft plugin's reading of images (url@size per image).
SHOWS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<venues>
  <venue id="41">
    <name><![CDATA[The Old Courthouse]]></name>
    <shows>
      <show id="873662785">
        <name><![CDATA[  Dancing at Lughnasa  ]]></name>
        <description><![CDATA[<p>Brian Friel&rsquo;s <em>memory play</em>.</p>]]></description>
        <event_category><![CDATA[Drama]]></event_category>
        <production_company_name>Corrib &amp; Co</production_company_name>
        <priority>5</priority>
        <url>https://uch.ticketsolve.com/ticketbooth/shows/873662785</url>
        <version>12</version>
        <images>
          <image>
            <url size="large">https://cdn.example.com/1/large.jpg</url>
            <url size="medium">https://cdn.example.com/1/medium.jpg</url>
            <url size="thumb">https://cdn.example.com/1/thumb.jpg</url>
          </image>
        </images>
        <tags>
          <tag>Autumn</tag>
          <tag><![CDATA[Irish Language]]></tag>
        </tags>
        <events>
          <event id="128646839">
            <name><![CDATA[Dancing at Lughnasa]]></name>
            <date_time_iso format="ISO 8601" zone="GMT">2026-10-01T19:30:00+01:00</date_time_iso>
            <status>available</status>
            <venue_layout>Stalls</venue_layout>
            <feed>
              <url>https://uch.ticketsolve.com/shows/873662785/events/128646839.xml</url>
            </feed>
          </event>
          <event id="128646840">
            <name><![CDATA[Dancing at Lughnasa]]></name>
            <date_time_iso format="ISO 8601" zone="GMT">2026-11-02T19:30:00+00:00</date_time_iso>
            <status>cancelled</status>
            <venue_layout>Stalls</venue_layout>
            <feed><url>https://tickets.oldcourthouse.ie/shows/873662785/events/128646840.xml</url></feed>
          </event>
        </events>
      </show>
      <show id="1173669529">
        <name>Trad Night</name>
        <description></description>
        <events>
          <event id="128646999">
            <date_time_iso zone="Europe/Dublin">2026-12-05T20:00:00</date_time_iso>
          </event>
        </events>
      </show>
    </shows>
  </venue>
  <venue id="42">
    <name>Empty Hall</name>
    <shows/>
  </venue>
</venues>
"""

# Typed from spec §2.2 (the fields the Craft plugin reads), with a custom-domain URL.
EVENT_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<event id="128646839">
  <date_time zone="Europe/Dublin">2026-10-01 19:30:00 +0100</date_time>
  <opening_time zone="Europe/Dublin">2026-10-01T19:00:00</opening_time>
  <onsale_time zone="London">2026-06-01 10:00</onsale_time>
  <duration>120</duration>
  <capacity>350</capacity>
  <available>12</available>
  <comment/>
  <url>https://tickets.oldcourthouse.ie/ticketbooth/shows/873662785/events/128646839</url>
  <status>available</status>
  <transaction>
    <fee currency="EUR">1.50</fee>
    <maximum_tickets>10</maximum_tickets>
  </transaction>
  <prices>
    <price>
      <type>Standard</type>
      <face_price currency="EUR">25.00</face_price>
      <selling_price currency="EUR">25.00</selling_price>
    </price>
    <price>
      <type><![CDATA[Concession]]></type>
      <face_price currency="EUR">25.00</face_price>
      <selling_price currency="EUR">20</selling_price>
    </price>
    <price>
      <type>Premium</type>
      <face_price>32.5</face_price>
    </price>
  </prices>
</event>
"""


def test_reads_the_documented_shows_feed() -> None:
    feed = read_shows(SHOWS_XML)
    assert feed.venues == (Venue("41", "The Old Courthouse"), Venue("42", "Empty Hall"))
    lughnasa, trad = feed.shows
    assert lughnasa.id == "873662785" and lughnasa.venue.id == "41"
    assert lughnasa.name == "Dancing at Lughnasa"  # CDATA, whitespace trimmed
    assert lughnasa.description == "<p>Brian Friel&rsquo;s <em>memory play</em>.</p>"
    assert lughnasa.category == "Drama" and lughnasa.production_company == "Corrib & Co"
    assert (lughnasa.priority, lughnasa.version) == (5, 12)
    assert lughnasa.images[0].url("medium") == "https://cdn.example.com/1/medium.jpg"
    assert lughnasa.images[0].url("huge") is None
    assert lughnasa.tags == ("Autumn", "Irish Language")
    first, second = lughnasa.events
    assert first.starts is not None and first.starts.zone == "GMT"
    assert first.starts.at == datetime(2026, 10, 1, 18, 30, tzinfo=UTC)  # the offset wins
    assert not first.cancelled and second.cancelled
    assert second.feed_url == \
        "https://tickets.oldcourthouse.ie/shows/873662785/events/128646840.xml"
    assert (trad.description, trad.category, trad.priority, trad.version) == (None,) * 4
    assert trad.images == () and trad.tags == ()
    (only,) = trad.events
    assert only.name is None and only.status is None and only.feed_url is None
    assert only.starts is not None
    assert only.starts.at == datetime(2026, 12, 5, 20, 0, tzinfo=ZoneInfo("Europe/Dublin"))


def test_streams_venues_before_their_shows() -> None:
    kinds = [type(item).__name__ for item in iter_feed(io.BytesIO(SHOWS_XML))]
    assert kinds == ["Venue", "Show", "Show", "Venue"]
    assert [s.id for s in iter_shows(SHOWS_XML)] == ["873662785", "1173669529"]


def test_reads_the_documented_event_document() -> None:
    perf = parse_performance(EVENT_XML, document="event 128646839")
    assert perf.id == "128646839" and perf.name is None
    assert perf.starts is not None and perf.starts.zone == "Europe/Dublin"
    assert perf.starts.at == datetime(2026, 10, 1, 19, 30, tzinfo=IST)
    assert perf.opens is not None  # no offset: placed in its @zone
    assert perf.opens.at == datetime(2026, 10, 1, 19, 0, tzinfo=ZoneInfo("Europe/Dublin"))
    assert perf.onsale is not None and perf.onsale.zone == "London"  # a Rails zone name
    assert perf.onsale.at.utcoffset() == timedelta(hours=1)
    assert (perf.duration, perf.capacity, perf.available) == (120, 350, 12)
    assert perf.comment is None and perf.status == "available" and not perf.cancelled
    assert perf.url is not None and perf.url.startswith("https://tickets.oldcourthouse.ie/")
    assert perf.fee is not None and (perf.fee.amount, perf.fee.currency) == (Decimal("1.50"),
                                                                             "EUR")
    assert perf.maximum_tickets == 10
    standard, concession, premium = perf.prices
    assert standard.discount == 0 and concession.discount == Decimal("5.00")
    assert concession.type == "Concession"
    assert premium.face is not None and premium.face.currency is None
    assert premium.selling is None and premium.discount is None


@pytest.mark.parametrize(("text", "zone", "expected"), [
    ("2025-09-12T19:30:00+01:00", None, datetime(2025, 9, 12, 19, 30, tzinfo=IST)),
    ("2025-09-12 19:30:00 +0100", "GMT", datetime(2025, 9, 12, 19, 30, tzinfo=IST)),
    ("2025-12-12T19:30:00Z", None, datetime(2025, 12, 12, 19, 30, tzinfo=UTC)),
    ("2025-12-12 19:30:00 UTC", None, datetime(2025, 12, 12, 19, 30, tzinfo=UTC)),
    ("2025-09-12T19:30", "Europe/London", datetime(2025, 9, 12, 18, 30, tzinfo=UTC)),
    ("2025-09-12 19:30:00", "IST", datetime(2025, 9, 12, 18, 30, tzinfo=UTC)),
    ("2025-09-12", "Dublin", datetime(2025, 9, 11, 23, 0, tzinfo=UTC)),
    ("2025-09-12T19:30:00", "Mars/Olympus", datetime(2025, 9, 12, 19, 30)),
    ("2025-09-12T19:30:00", None, datetime(2025, 9, 12, 19, 30)),
])
def test_date_times_with_and_without_zone(text: str, zone: str | None,
                                          expected: datetime) -> None:
    assert parse_time(text, zone) == expected
    assert (parse_time(text, zone).tzinfo is None) == (expected.tzinfo is None)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["tomorrow", "2025-13-01", "12/09/2025 19:30", ""])
def test_not_date_times(text: str) -> None:
    assert parse_time(text) is None


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
       st.booleans())
@settings(max_examples=150, deadline=None)
def test_any_name_survives_cdata_or_escaping(name: str, cdata: bool) -> None:
    encoded = ("<![CDATA[" + name.replace("]]>", "]]]]><![CDATA[>") + "]]>") if cdata \
        else escape(name)
    body = (f'<venues><venue id="1"><name>v</name><shows><show id="2"><name>{encoded}</name>'
            f"</show></shows></venue></venues>").encode()
    (show,) = iter_shows(body)
    assert show.name == (name.strip() or None)


# --- hostile and broken documents ------------------------------------------------------


@pytest.mark.parametrize("make", [billion_laughs, external_entity])
@pytest.mark.parametrize("root", ["venues", "event"])
def test_hostile_xml_is_refused_without_expansion(make: object, root: str) -> None:
    body = make(root)  # type: ignore[operator]
    with pytest.raises(HostileFeedError) as info:
        if root == "venues":
            list(iter_feed(body, document="https://demo.ticketsolve.com/shows.xml"))
        else:
            parse_performance(body, document="https://demo.ticketsolve.com/shows/1/events/2.xml")
    error = info.value
    assert isinstance(error, SourceError) and error.hint and not error.retriable
    assert "ticketsolve.com/" in error.message and "refused" in error.message
    assert "root:" not in error.message  # /etc/passwd was never read
    if make is external_entity:
        assert "file:///etc/passwd" in error.message


def test_a_parameter_entity_is_refused_too() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE venues [<!ENTITY % p SYSTEM '
            b'"file:///etc/passwd"> %p;]><venues/>')
    with pytest.raises(HostileFeedError, match="external entity"):
        read_shows(body)


def test_an_external_dtd_is_never_fetched(sim: TicketsolveSimulator) -> None:
    body = (f'<?xml version="1.0"?><!DOCTYPE venues SYSTEM "{sim.shows_url()}">'
            '<venues><venue id="1"><name>x</name></venue></venues>').encode()
    assert read_shows(body).venues == (Venue("1", "x"),)
    assert sim.requests() == {}


def test_malformed_xml_names_the_document_and_position() -> None:
    broken = SHOWS_XML.replace(b"</priority>", b"</prority>")
    with pytest.raises(MalformedFeedError) as info:
        read_shows(broken, document="https://uch.ticketsolve.com/shows.xml")
    error = info.value
    assert not isinstance(error, TruncatedFeedError)
    assert "https://uch.ticketsolve.com/shows.xml is not well-formed XML: mismatched tag " \
           "at line 11" in error.message
    assert error.hint and isinstance(error, HouselightsError)


@pytest.mark.parametrize("cut", [100, len(SHOWS_XML) // 2, len(SHOWS_XML) - 5])
def test_truncated_documents_are_retriable(cut: int) -> None:
    with pytest.raises(TruncatedFeedError) as info:
        read_shows(SHOWS_XML[:cut])
    assert info.value.retriable and "ends before it is complete" in info.value.message


@pytest.mark.parametrize(("body", "message"), [
    (b"", "is empty or not XML"),
    (b"   \n", "is empty or not XML"),
    (b"<html><head><title>Queue-it</title></head><body>Please wait</body></html>",
     "root element is <html>, expected <venues>"),
    (b"<event id='1'/>", "expected <venues>"),
    (b"<venues><venue><name>x</name></venue></venues>", "no id attribute"),
    (b"<venues><venue id='1'><shows><show id='2'><version>v2</version></show></shows>"
     b"</venue></venues>", "show 2: <version> is 'v2', not a whole number"),
    (b"<venues><venue id='1'><shows><show id='2'><events><event id='3'><date_time_iso>"
     b"soon</date_time_iso></event></events></show></shows></venue></venues>",
     "show 2, event 3: <date_time_iso> is 'soon', not a date-time"),
    (b"<venues>&nbsp;</venues>", "undefined entity"),
])
def test_documents_not_in_the_feed_shape(body: bytes, message: str) -> None:
    with pytest.raises(MalformedFeedError, match=message.replace("(", r"\(")):
        read_shows(body)


@pytest.mark.parametrize(("change", "message"), [
    ((b"<capacity>350</capacity>", b"<capacity>lots</capacity>"), "<capacity> is 'lots'"),
    ((b'<fee currency="EUR">1.50</fee>', b"<fee>1,50</fee>"), "<transaction/fee> is '1,50'"),
    ((b'<event id="128646839">', b"<event>"), "has no id attribute"),
    ((b"<duration>120</duration>", b"<duration>NaN</duration>"), "not a whole number"),
    ((b"<available>12</available>", b"<available>Infinity</available>"), "whole number"),
])
def test_bad_values_in_an_event_document(change: tuple[bytes, bytes], message: str) -> None:
    with pytest.raises(MalformedFeedError, match=message):
        parse_performance(EVENT_XML.replace(*change), document="event.xml")


def test_a_cut_inside_a_multibyte_character_is_truncation() -> None:
    body = "<venues><venue id='1'><name>Caf\u00e9 Théâtre</name></venue></venues>".encode()
    with pytest.raises(TruncatedFeedError):
        read_shows(body[: body.index(b"\xc3") + 1])


def test_a_missing_file_is_a_feed_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="cannot be read"):
        read_shows(tmp_path / "nope.xml")


# --- against the simulator -------------------------------------------------------------


def _assert_feed_equals_truth(sim: TicketsolveSimulator, truth: TicketsolveTruth,
                              body: bytes) -> list[Show]:
    feed = read_shows(body)
    venues = {v.venue_id: v for v in truth.venues}
    assert {v.id for v in feed.venues} <= set(venues)
    assert all(v.name == venues[v.id].name for v in feed.venues)
    expected = {s.show_id: s for s in truth.listed_shows}
    assert {s.id for s in feed.shows} == set(expected)
    for show in feed.shows:
        want = expected[show.id]
        assert (show.name, show.description, show.category, show.production_company,
                show.priority, show.version, show.tags, show.venue.id) == (
            want.name, want.description, want.category, want.production_company or None,
            want.priority, want.version, want.tags, want.venue_id)
        perfs = [p for p in truth.listed_performances if p.show_id == show.id]
        assert [e.id for e in show.events] == [p.event_id for p in perfs]
        for event, perf in zip(show.events, perfs, strict=True):
            assert event.starts is not None and event.starts.at == perf.starts_at
            assert (event.status, event.venue_layout, event.name) == (
                perf.status, perf.layout, perf.name)
            assert event.feed_url is not None and event.feed_url.endswith(
                f"/shows/{show.id}/events/{perf.event_id}.xml")
    return list(feed.shows)


def test_parser_equals_truth_on_the_generated_feed(shared_sim: TicketsolveSimulator,
                                                   shared_truth: TicketsolveTruth) -> None:
    shows = _assert_feed_equals_truth(shared_sim, shared_truth, shared_sim.shows_xml("demo"))
    assert len(shows) == len(shared_truth.listed_shows) > 20
    _assert_documents_equal_truth_for(shared_sim, shared_truth, "demo")


def _assert_documents_equal_truth_for(sim: TicketsolveSimulator, truth: TicketsolveTruth,
                                      client: str) -> None:
    for perf in truth.listed_performances:
        doc = parse_performance(sim.event_xml(perf.show_id, perf.event_id, client))
        assert doc.id == perf.event_id
        assert doc.starts is not None and doc.opens is not None and doc.onsale is not None
        assert (doc.starts.at, doc.opens.at, doc.onsale.at) == (
            perf.starts_at, perf.opening_at, perf.onsale_at)
        assert doc.starts.zone == perf.zone
        assert (doc.duration, doc.capacity, doc.available, doc.status, doc.maximum_tickets) == (
            perf.duration, perf.capacity, perf.available, perf.status, perf.maximum_tickets)
        assert doc.comment == (perf.comment or None)
        assert doc.fee is not None
        assert (doc.fee.amount, doc.fee.currency) == (perf.fee, perf.currency)
        got = [(p.type, p.face.amount if p.face else None, p.selling.amount if p.selling else None,
                p.face.currency if p.face else None) for p in doc.prices]
        assert got == [(p.type, p.face, p.selling, p.currency) for p in perf.prices]


@pytest.mark.parametrize("style", [
    FeedStyle(event_time_format="iso"),
    FeedStyle(event_time_format="local"),
    FeedStyle(zone_label="GMT", cdata=False),
    FeedStyle(venue_addresses=True, indent=False),
])
def test_parser_equals_truth_in_every_feed_style(style: FeedStyle) -> None:
    sim = TicketsolveSimulator(tiny_config(feed=style))
    truth = sim.truth()
    shows = _assert_feed_equals_truth(sim, truth, sim.shows_xml())
    if style.venue_addresses:
        postcodes = {s.venue.id: s.venue.address.postcode if s.venue.address else "x"
                     for s in shows}
        assert postcodes == {v.venue_id: v.postcode for v in truth.venues
                             if v.venue_id in postcodes}
    if style.zone_label is None:  # with "GMT" a local time would be misplaced, by design
        _assert_documents_equal_truth_for(sim, truth, "demo")


def test_parses_what_the_simulator_serves_over_http(shared_sim: TicketsolveSimulator,
                                                    shared_truth: TicketsolveTruth) -> None:
    with httpx.Client(trust_env=False) as http:
        body = http.get(shared_sim.shows_url("demo")).content
        shows = read_shows(body, document=shared_sim.shows_url("demo")).shows
        url = shows[0].events[0].feed_url
        assert url is not None
        doc = parse_performance(http.get(url).content, document=url)
    assert doc.id == shows[0].events[0].id
    assert doc.capacity == shared_truth.performance(doc.id).capacity
