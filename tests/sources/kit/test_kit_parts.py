"""The kit's small parts: paginators, settings, tabular files with another profile,
the registry, and choosing among an organisation's connections."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from houselights.context import Houselights
from houselights.errors import InputError, NotFoundError, UploadError
from houselights.orgs import service as orgs
from houselights.sources.kit.connections import open_source, save_connection
from houselights.sources.kit.files import Column, ColumnProfile, TableFile
from houselights.sources.kit.paging import (
    NextLinkPaginator,
    PageNumberPaginator,
    date_windows,
    resolve_link,
)
from houselights.sources.kit.registry import source_class, source_names
from houselights.sources.kit.settings import ConnectionSettings
from houselights.sources.kit.values import EUROS_AND_POUNDS, parse_money


def collect(aiter: Any) -> list[Any]:
    async def go() -> list[Any]:
        return [x async for x in aiter]

    return asyncio.run(go())


def test_page_numbers_stop_on_a_short_page_or_a_repeated_one() -> None:
    data = [{"id": n} for n in range(7)]
    asked: list[int] = []

    async def fetch(params: dict[str, Any]) -> list[Any]:
        asked.append(params["page"])
        start = (params["page"] - 1) * params["pageSize"]
        return data[start : start + params["pageSize"]]

    pages = collect(PageNumberPaginator(size=3).pages(fetch))
    assert [len(p) for p in pages] == [3, 3, 1] and asked == [1, 2, 3]

    async def stuck(params: dict[str, Any]) -> list[Any]:  # repeats its last page for ever
        return data[:3]

    assert len(collect(PageNumberPaginator(size=3).pages(stuck))) == 1


def test_next_links_relative_or_absolute_until_the_last_page() -> None:
    answers = {
        "https://h/a/api/v3/feed": {"next": "/a/api/v3/feed?p=2", "n": 2},
        "https://h/a/api/v3/feed?p=2": {"next": "https://h/a/api/v3/feed?p=3", "n": 2},
        "https://h/a/api/v3/feed?p=3": {"next": "https://h/a/api/v3/feed?p=4", "n": 1},
    }

    async def fetch(url: str) -> Any:
        return answers[url]

    paginator = NextLinkPaginator(next_of=lambda a: a["next"], is_last=lambda a: a["n"] < 2)
    pages = collect(paginator.pages(fetch, "https://h/a/api/v3/feed"))
    assert [p.url for p in pages] == list(answers)
    assert pages[-1].last and pages[-1].next_url == "https://h/a/api/v3/feed?p=4"
    assert resolve_link("https://h/a/api/v3/x", "/api/v3/y") == "https://h/api/v3/y"


def test_date_windows_cover_the_range_in_order() -> None:
    windows = date_windows(date(2025, 1, 1), date(2025, 1, 10), 4)
    assert windows == [
        (date(2025, 1, 1), date(2025, 1, 4)),
        (date(2025, 1, 5), date(2025, 1, 8)),
        (date(2025, 1, 9), date(2025, 1, 10)),
    ]


class Demo(ConnectionSettings):
    host: str
    token: SecretStr
    spare: SecretStr | None = None


def test_settings_split_secrets_and_explain_mistakes() -> None:
    settings = Demo.parse_input({"host": "h", "token": "s3cret", "request_budget": 0})
    clear, secrets = settings.split()
    assert secrets == {"token": "s3cret"} and "token" not in clear
    assert clear["request_budget"] is None and clear["sync_interval_minutes"] == 60
    assert settings.shown()["token"] == "set" and settings.shown()["spare"] == "not set"
    assert "s3cret" not in repr(settings)
    assert Demo.from_stored({**clear, "gone_since_v1": 1}, secrets) == settings
    with pytest.raises(InputError) as caught:
        Demo.parse_input({"host": "h", "token": "t", "timezone": "Mars/Base", "retries": -1})
    assert "timezone: 'Mars/Base' is not a time zone" in caught.value.message
    assert "retries:" in caught.value.message and caught.value.hint


EXPORT = ColumnProfile(
    "a box office's sales export",
    (
        Column(name="ref", label="Booking Ref", required=True, aliases=("Transaction",)),
        Column(name="paid", label="Paid (€)", required=True),
        Column(name="eircode", label="Eircode"),
    ),
    hint="Export the sales report again with its standard columns.",
)


def test_a_box_office_export_reads_through_its_own_profile(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Transaction;Paid (€);Eircode;Notes\nB1;€12,50;D02 X285;x\n", "cp1252")
    table = TableFile(path, EXPORT)
    assert table.detected.describe() == "CSV, Windows-1252, semicolon-separated"
    assert table.header.ignored == ("Notes",)
    rows = list(table.rows())
    assert [(r.line, r.cells) for r in rows] == [
        (2, {"ref": "B1", "paid": "€12,50", "eircode": "D02 X285"})
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("Booking,Amount\n", "utf-8")
    with pytest.raises(UploadError) as caught:
        TableFile(bad, EXPORT)
    assert "missing required columns: 'Booking Ref'" in caught.value.message
    assert caught.value.hint == EXPORT.hint
    assert parse_money("€12.50", EUROS_AND_POUNDS) == parse_money("12.50")


def test_registry_knows_the_built_in_sources() -> None:
    assert {"spektrix", "ticketsolve", "upload"} <= set(source_names())
    assert source_class("spektrix").title == "Spektrix"
    with pytest.raises(NotFoundError) as caught:
        source_class("ticketmaster-2000")
    assert "spektrix" in caught.value.hint


def test_an_organisation_with_two_connections_must_say_which(tmp_path: Path) -> None:
    hl = Houselights(data_dir=tmp_path, database_url=f"duckdb://{tmp_path / 'w.duckdb'}")
    with hl.warehouse.connect() as s, s.transaction():
        orgs.add_org(s, "two", "Two Box Offices")
    with pytest.raises(NotFoundError, match="not connected to a box office"):
        open_source(hl, "two")
    key = "c2VjcmV0"
    for client in ("a", "b"):
        settings = {"client": client, "api_login": "u", "api_key": key}
        save_connection(hl, "two", "spektrix", settings)
    assert open_source(hl, "two").source.name == "spektrix"
    with hl.warehouse.connect() as s, s.transaction():
        orgs.set_connection(s, hl.vault, "two", "other-box", {}, {})
    with pytest.raises(InputError) as caught:
        open_source(hl, "two")
    assert "other-box and spektrix" in caught.value.message and "--source" in caught.value.hint
    assert open_source(hl, "two", "spektrix").source.settings.client == "b"  # type: ignore[attr-defined]
    assert open_source(hl, "two", "upload").source.name == "upload"  # needs no connection
    hl.close()


def test_status_of_a_connection_this_version_cannot_use_says_what_to_fix(
    tmp_path: Path,
) -> None:
    from houselights.sources.kit.status import status_of

    hl = Houselights(data_dir=tmp_path, database_url=f"duckdb://{tmp_path / 'w.duckdb'}")
    with hl.warehouse.connect() as s, s.transaction():
        orgs.add_org(s, "old", "Old Connection")
        orgs.set_connection(
            s, hl.vault, "old", "spektrix", {"client": "old"}, {"api_key": "not base64!"}
        )
    status = status_of(hl, "old", "spektrix")
    assert status.problem is not None and "api-login" in status.problem
    assert "connect" in status.problem and "not base64!" not in repr(status.to_dict())
    assert status.settings == {"client": "old"} and status.next_run is None
    hl.close()
