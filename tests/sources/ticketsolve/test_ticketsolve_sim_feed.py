"""The simulated feed: URLs, the documented XML shapes (spec §2), filters and variants.

Documents are read here with plain (defused) ElementTree, not with houselights' own
parser, so the simulator is checked against the spec rather than against itself.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

import httpx
import pytest
from defusedxml import ElementTree
from ticketsolve_helpers import TINY, tiny_config

from houselights.sources.ticketsolve.simulator import (
    ClientConfig,
    FeedStyle,
    SimulatorConfig,
    TicketsolveSimulator,
    TicketsolveTruth,
)

SHOW_CHILDREN = ["name", "description", "event_category", "production_company_name",
                 "priority", "url", "version", "images", "tags", "events"]
EVENT_CHILDREN = ["name", "date_time_iso", "status", "venue_layout", "feed"]
DOCUMENT_CHILDREN = ["date_time", "opening_time", "onsale_time", "duration", "capacity",
                     "available", "comment", "url", "status", "transaction", "prices"]


def _xml(response: httpx.Response) -> Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root: Element = ElementTree.fromstring(response.content)
    return root


def _shows(root: Element) -> list[Element]:
    return root.findall("venue/shows/show")


def test_shows_xml_has_the_documented_shape(shared_sim: TicketsolveSimulator,
                                            http_client: httpx.Client) -> None:
    root = _xml(http_client.get(shared_sim.shows_url("demo")))
    assert root.tag == "venues"
    venues = root.findall("venue")
    assert venues and all(v.get("id", "").isdigit() for v in venues)
    assert all([c.tag for c in v][:2] == ["name", "shows"] for v in venues)
    for show in _shows(root):
        assert re.fullmatch(r"\d{9,10}", show.get("id", ""))
        assert [c.tag for c in show] == SHOW_CHILDREN
        assert int(show.findtext("priority", "")) >= 0
        assert int(show.findtext("version", "")) >= 1
        sizes = [u.get("size") for u in show.findall("images/image/url")]
        assert sizes == ["large", "medium", "thumb"]
        assert show.findall("tags/tag")
        for event in show.findall("events/event"):
            assert re.fullmatch(r"\d{9,10}", event.get("id", ""))
            assert [c.tag for c in event] == EVENT_CHILDREN
            when = event.find("date_time_iso")
            assert when is not None and when.get("format") == "ISO 8601"
            assert when.get("zone") == "Europe/Dublin"
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[01]:00", when.text or "")
            assert event.findtext("status") in ("available", "sold_out", "cancelled")


def test_names_are_cdata_as_in_the_public_fixture(shared_sim: TicketsolveSimulator) -> None:
    body = shared_sim.shows_xml("demo").decode()
    assert re.search(r"<show id=\"\d+\">\s*<name><!\[CDATA\[", body)
    assert "<event_category><![CDATA[" in body


def test_feed_urls_point_at_the_simulator_and_serve_the_event_document(
    shared_sim: TicketsolveSimulator, http_client: httpx.Client
) -> None:
    root = _xml(http_client.get(shared_sim.shows_url("demo")))
    show = _shows(root)[0]
    event = show.find("events/event")
    assert event is not None
    url = event.findtext("feed/url", "")
    assert url == f"{shared_sim.base_url('demo')}/shows/{show.get('id')}/events/" \
                  f"{event.get('id')}.xml"
    doc = _xml(http_client.get(url))
    assert doc.tag == "event" and doc.get("id") == event.get("id")
    assert [c.tag for c in doc] == DOCUMENT_CHILDREN
    for name in ("date_time", "opening_time", "onsale_time"):
        element = doc.find(name)
        assert element is not None and element.get("zone") == "Europe/Dublin"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0[01]00", element.text or "")
    fee = doc.find("transaction/fee")
    assert fee is not None and fee.get("currency") == "EUR"
    assert int(doc.findtext("transaction/maximum_tickets", "")) > 0
    prices = doc.findall("prices/price")
    assert prices and prices[0].findtext("type") == "Standard"
    for price in prices:
        assert [c.tag for c in price] == ["type", "face_price", "selling_price"]
        assert all(c.get("currency") == "EUR" for c in price[1:])
        assert float(price.findtext("selling_price", "")) <= float(
            price.findtext("face_price", "")) or price.findtext("type") == "Premium"
    assert show.findtext("url") == f"{shared_sim.base_url('demo')}/ticketbooth/shows/" \
                                   f"{show.get('id')}"


def test_event_document_matches_the_truth(shared_sim: TicketsolveSimulator,
                                          shared_truth: TicketsolveTruth,
                                          http_client: httpx.Client) -> None:
    perf = next(p for p in shared_truth.listed_performances if p.sold > 0)
    doc = _xml(http_client.get(
        f"{shared_sim.base_url('demo')}/shows/{perf.show_id}/events/{perf.event_id}.xml"))
    assert int(doc.findtext("capacity", "")) == perf.capacity
    assert int(doc.findtext("available", "")) == perf.available == \
        perf.capacity - perf.held - perf.sold
    assert int(doc.findtext("duration", "")) == perf.duration
    assert doc.findtext("status") == perf.status
    assert [(p.findtext("type"), p.findtext("face_price"), p.findtext("selling_price"))
            for p in doc.findall("prices/price")] == \
        [(p.type, str(p.face), str(p.selling)) for p in perf.prices]


def test_every_listed_show_and_performance_is_in_the_feed(
    shared_sim: TicketsolveSimulator, shared_truth: TicketsolveTruth
) -> None:
    root = ElementTree.fromstring(shared_sim.shows_xml("demo"))
    shows = {s.get("id") for s in _shows(root)}
    events = {e.get("id") for e in root.iter("event")}
    assert shows == {s.show_id for s in shared_truth.listed_shows}
    assert events == {p.event_id for p in shared_truth.listed_performances}
    assert len(shared_truth.performances) == 200 and len(shared_truth.shows) == 30


@pytest.mark.parametrize("tag", ["Autumn Season", "autumn season"])
def test_tag_filter(shared_sim: TicketsolveSimulator, shared_truth: TicketsolveTruth,
                    http_client: httpx.Client, tag: str) -> None:
    root = _xml(http_client.get(shared_sim.shows_url("demo"), params={"tag": tag}))
    got = {s.get("id") for s in _shows(root)}
    expected = {s.show_id for s in shared_truth.listed_shows if "Autumn Season" in s.tags}
    assert got == expected and 0 < len(got) < len(shared_truth.listed_shows)


def test_category_and_combined_filters(shared_sim: TicketsolveSimulator,
                                       shared_truth: TicketsolveTruth,
                                       http_client: httpx.Client) -> None:
    listed = shared_truth.listed_shows
    category = max({s.category for s in listed}, key=lambda c: sum(s.category == c for s in listed))
    root = _xml(http_client.get(shared_sim.shows_url("demo"), params={"category": category}))
    got = {s.get("id") for s in _shows(root)}
    assert got == {s.show_id for s in listed if s.category == category}
    assert {s.findtext("event_category") for s in _shows(root)} == {category}
    tag = next(t for s in listed if s.category == category for t in s.tags)
    both = _xml(http_client.get(shared_sim.shows_url("demo"),
                                params={"category": category.upper(), "tag": tag}))
    assert {s.get("id") for s in _shows(both)} == {
        s.show_id for s in listed if s.category == category and tag in s.tags}
    nothing = _xml(http_client.get(shared_sim.shows_url("demo"), params={"tag": "No such"}))
    assert list(nothing) == []


def test_two_clients_are_separate_accounts(shared_sim: TicketsolveSimulator) -> None:
    demo, north = shared_sim.truth("demo"), shared_sim.truth("north")
    assert demo.organisation != north.organisation
    assert (demo.currency, north.currency) == ("EUR", "GBP")
    assert north.zone == "Europe/London"
    assert shared_sim.requests("north") is not None
    urls = {c["client"]: c for c in shared_sim.urls()["clients"]}
    assert urls["north"]["shows_url"] == f"{shared_sim.root_url}/north/shows.xml"


@pytest.mark.parametrize("path", ["nobody/shows.xml", "demo/shows", "demo/shows/1/events/2.xml",
                                  "demo/venues.xml"])
def test_unknown_paths_are_404(shared_sim: TicketsolveSimulator, http_client: httpx.Client,
                               path: str) -> None:
    assert http_client.get(f"{shared_sim.root_url}/{path}").status_code == 404


def test_event_of_another_show_is_404_and_post_is_405(shared_sim: TicketsolveSimulator,
                                                      shared_truth: TicketsolveTruth,
                                                      http_client: httpx.Client) -> None:
    a, b = shared_truth.shows[0], shared_truth.shows[1]
    event = next(p for p in shared_truth.performances if p.show_id == a.show_id)
    base = shared_sim.base_url("demo")
    assert http_client.get(f"{base}/shows/{b.show_id}/events/{event.event_id}.xml"
                           ).status_code == 404
    assert http_client.post(f"{base}/shows.xml").status_code == 405


def test_venues_have_addresses_and_one_has_no_postcode(shared_truth: TicketsolveTruth) -> None:
    venues = shared_truth.venues
    assert all(v.name and v.line1 and v.town and v.county for v in venues)
    assert [v.postcode is None for v in venues] == [False] * (len(venues) - 1) + [True]
    eircode = re.compile(r"^[AC-FHKNPRTV-Y]\d{2}|D6W [0-9AC-FHKNPRTV-Y]{4}$")
    assert all(eircode.match(v.postcode) for v in venues if v.postcode)


@pytest.mark.parametrize("count", [0, 2, 9])
def test_postcodeless_venues_is_configurable(count: int) -> None:
    sim = TicketsolveSimulator(tiny_config(client=ClientConfig(scale=TINY,
                                                               postcodeless_venues=count)))
    venues = sim.truth().venues
    assert sum(v.postcode is None for v in venues) == min(count, len(venues))


def _style_sim(**style: Any) -> TicketsolveSimulator:
    return TicketsolveSimulator(tiny_config(feed=FeedStyle(**style)))


def test_zone_label_variants() -> None:
    gmt = _style_sim(zone_label="GMT").shows_xml().decode()
    assert 'format="ISO 8601" zone="GMT">' in gmt and "Europe/Dublin" not in gmt
    none = _style_sim(zone_label="")
    assert "zone=" not in none.shows_xml().decode()
    perf = none.truth().performances[0]
    assert "zone=" not in none.event_xml(perf.show_id, perf.event_id).decode()


@pytest.mark.parametrize(("fmt", "pattern"), [
    ("iso", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[01]:00"),
    ("local", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"),
])
def test_event_time_formats(fmt: str, pattern: str) -> None:
    sim = _style_sim(event_time_format=fmt)
    perf = sim.truth().performances[0]
    doc = ElementTree.fromstring(sim.event_xml(perf.show_id, perf.event_id))
    assert re.fullmatch(pattern, doc.findtext("date_time", ""))


def test_text_instead_of_cdata_and_invented_venue_addresses() -> None:
    sim = _style_sim(cdata=False, venue_addresses=True)
    body = sim.shows_xml().decode()
    assert "CDATA" not in body and "&lt;p&gt;" in body  # HTML descriptions escaped
    root = ElementTree.fromstring(body)
    addresses = {v.get("id"): v.findtext("address/postcode") for v in root.findall("venue")}
    truth = {v.venue_id: v.postcode or "" for v in sim.truth().venues}
    assert addresses == {k: truth[k] for k in addresses}


def test_past_performances_stay_listed_only_when_asked() -> None:
    default, keep = _style_sim(), _style_sim(past_performances=True)
    for sim in (default, keep):
        sim.advance(days=20)
    events = [len(ElementTree.fromstring(s.shows_xml()).findall(".//event"))
              for s in (default, keep)]
    truth = default.truth()
    assert events[0] == len(truth.listed_performances) < events[1] == len(truth.performances)
    assert all(p.starts_at > truth.now for p in truth.listed_performances)


def test_custom_feed_host_links_and_host_routing(http_client: httpx.Client) -> None:
    config = tiny_config(client=ClientConfig(scale=TINY, feed_host="tickets.example-venue.ie"))
    with TicketsolveSimulator(config).running() as sim:
        headers = {"Host": "tickets.example-venue.ie"}
        root = _xml(http_client.get(f"{sim.root_url}/shows.xml", headers=headers))
        url = root.findtext(".//event/feed/url", "")
        assert url.startswith("http://tickets.example-venue.ie/shows/")
        path = url.removeprefix("http://tickets.example-venue.ie")
        doc = _xml(http_client.get(f"{sim.root_url}{path}", headers=headers))
        assert doc.tag == "event"
        assert sim.requests() == {"/shows.xml": 1, path: 1}


def test_simulator_without_a_port_uses_ticketsolve_addresses() -> None:
    sim = TicketsolveSimulator(tiny_config())
    body = sim.shows_xml().decode()
    assert "<url>https://demo.ticketsolve.com/shows/" in body
    assert sim.datasets["demo"].currency == "EUR"
    multi = TicketsolveSimulator(SimulatorConfig(clients=(ClientConfig(name="a", scale=TINY),
                                                          ClientConfig(name="b", scale=TINY))))
    with pytest.raises(Exception, match="several simulated clients"):
        multi.truth()
