"""A toy box office, used only in tests: the proof that the kit is enough.

The source is the first part of this file — a settings model, one paged HTTP stream and
the source class, written with nothing but the kit. The rest is the test scaffolding: a
tiny local HTTP server (with latency and faults) and the conformance harness.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr

from houselights.exchange.batch import Batch, RawRecord, StreamCursor
from houselights.exchange.state import StreamState
from houselights.sources.kit import (
    ConnectionSettings,
    HttpClient,
    Page,
    PageNumberPaginator,
    Response,
    Retry,
    RunPlan,
    Source,
    Stream,
    SyncRequest,
)
from houselights.sources.kit.connections import save_connection
from houselights.sources.kit.connections import sync_connection as sync
from houselights.sources.kit.harness import BadInput, BoxOffice, Harness

# --- the source (all a new box office has to write) -----------------------------------------


class ToySettings(ConnectionSettings):
    base_url: str = Field(description="The toy box office's address.")
    api_token: SecretStr = Field(description="The toy API token.")


def _json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except ValueError:
        raise Retry("the answer was cut short", truncated=True) from None


class EventsStream(Stream["ToySource"]):
    name = "events"

    async def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        since = state.cursor if state and state.cursor else ""
        async for items in PageNumberPaginator(size=25).pages(self.source.fetch, {"since": since}):
            since = max([since, *(str(e["updated"]) for e in items)])
            records = [RawRecord("events", str(e["id"]), e) for e in items]
            yield Page(records, [StreamCursor("events", since)], checkpoint=True)

    def map(self, page: Page) -> Batch:
        batch = Batch(records_in=len(page.records))
        batch.add("events", [
            {"event_id": r.record_key, "name": r.payload["name"], "season": None,
             "category": r.payload["category"], "event_type": None}
            for r in page.records
        ])
        return batch


class ToySource(Source[ToySettings]):
    name = "toy"
    title = "Toy box office"
    settings_model = ToySettings
    conformance = "toy_source:HARNESS"

    async def open(self) -> None:
        token = self.settings.api_token.get_secret_value()
        self.http = HttpClient(
            "The toy box office", options=self.settings.http_options(),
            budget=self.settings.token_bucket(),
            signer=lambda _: {"Authorization": f"Bearer {token}"},
        )
        await self.http.__aenter__()

    async def close(self) -> None:
        await self.http.__aexit__(None, None, None)

    async def fetch(self, params: dict[str, Any]) -> list[Any]:
        query = urllib.parse.urlencode(params)
        answer = await self.http.get(f"{self.settings.base_url}/events?{query}", _json)
        return list(answer)

    def plan(self, request: SyncRequest) -> list[RunPlan]:
        return [RunPlan("incremental", [EventsStream(self)])]

    def replay_streams(self) -> list[Stream[Any]]:
        return [EventsStream(self)]


# --- test scaffolding: a local toy server and the conformance harness -------------------------

TOKEN = "toy-secret-token-1234"


class ToyServer:
    """Events with an ``updated`` counter; ``?since=&page=&pageSize=`` in updated order."""

    def __init__(self, *, events: int, latency: float) -> None:
        self.events: list[dict[str, Any]] = []
        self.counter = 0
        self.latency = latency
        self.faults = 0.0
        self.random = random.Random(7)
        self.lock = threading.Lock()
        for _ in range(events):
            self.add()

    def add(self) -> None:
        self.counter += 1
        n = len(self.events) + 1
        self.events.append({"id": f"T{n:05d}", "name": f"Show {n}",
                            "category": ["Theatre", "Music", "Dance"][n % 3],
                            "updated": f"{self.counter:09d}"})

    def touch(self, index: int) -> None:
        self.counter += 1
        self.events[index] = {**self.events[index], "name": f"{self.events[index]['name']}!",
                              "updated": f"{self.counter:09d}"}

    def answer(self, path: str, auth: str | None) -> tuple[int, bytes]:
        if auth != f"Bearer {TOKEN}":
            return 401, b'{"message": "bad token"}'
        with self.lock:
            fault = self.random.random() < self.faults
            kind = self.random.choice(["500", "429", "cut"]) if fault else ""
        if kind in ("500", "429"):
            return int(kind), b"{}"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        since = query.get("since", [""])[0]
        page, size = int(query["page"][0]), int(query["pageSize"][0])
        with self.lock:
            rows = sorted((e for e in self.events if e["updated"] > since),
                          key=lambda e: e["updated"])
        body = json.dumps(rows[(page - 1) * size : page * size]).encode()
        return 200, body[: len(body) // 2] if kind == "cut" else body

    @contextmanager
    def running(self) -> Iterator[str]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.latency:
                    time.sleep(server.latency)  # the box office's own slowness
                status, body = server.answer(self.path, self.headers.get("Authorization"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()


class ToyBox(BoxOffice):
    secrets = (TOKEN,)

    def __init__(self, server: ToyServer, url: str) -> None:
        self.server, self.url = server, url

    def settings(self, **changes: Any) -> dict[str, Any]:
        return {"base_url": self.url, "api_token": TOKEN, "request_budget": None,
                "retries": 8, "backoff_seconds": 0.01, "timeout_seconds": 2, **changes}

    def connect(self, hl: Any, org_id: str) -> None:
        save_connection(hl, org_id, "toy", self.settings())

    def change(self) -> None:
        with self.server.lock:
            self.server.touch(0)
            self.server.add()

    def set_faults(self, on: bool) -> None:
        self.server.faults = 0.15 if on else 0.0

    def bad_inputs(self) -> list[BadInput]:
        def reconnect(**changes: Any) -> Any:
            return lambda hl, org: save_connection(hl, org, "toy", self.settings(**changes))

        def wrong_token(hl: Any, org: str) -> None:
            save_connection(hl, org, "toy", self.settings(api_token="wrong"))
            sync(hl, org, source="toy")

        return [
            BadInput("a missing base URL", reconnect(base_url=None)),
            BadInput("a negative request budget", reconnect(request_budget=-1)),
            BadInput("a wrong token", wrong_token),
        ]


class ToyHarness(Harness):
    source = "toy"
    plugin = "toy_source:ToySource"

    @contextmanager
    def box_office(self, folder: Path, *, slow: bool = False) -> Iterator[BoxOffice]:
        server = ToyServer(events=400 if slow else 60, latency=0.02 if slow else 0.0)
        with server.running() as url:
            yield ToyBox(server, url)


HARNESS = ToyHarness()

