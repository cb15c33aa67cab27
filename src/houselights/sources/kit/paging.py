"""Paginators: small classes that walk a paged list, whatever fetches each page.

Each paginator is given an async ``fetch`` (so it works with any client, signed or not,
and with an injected transport in tests) and yields one page at a time:

* :class:`PageNumberPaginator` — ``?page=1,2,…&pageSize=N``; stops on a short page, an
  empty page, or a page that adds no new item (some APIs repeat the last page for ever).
* :class:`NextLinkPaginator` — follows a link the server gives (``paging.next``, a
  ``Link`` header…), relative or absolute, resolved by a hook (a box office may print
  links without part of its base path); stops when there is no next link, the link does
  not move, or the page says it is the last.
* :func:`date_windows` — splits a date range into windows of at most N days, for APIs
  that only answer for short ranges.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = [
    "LinkedPage",
    "NextLinkPaginator",
    "PageNumberPaginator",
    "date_windows",
    "resolve_link",
]


@dataclass(frozen=True)
class PageNumberPaginator:
    """Numbered pages of a list; ``key`` tells items apart (to spot a repeated page)."""

    page_param: str = "page"
    size_param: str = "pageSize"
    size: int = 200
    first: int = 1
    key: Callable[[Any], Hashable] = lambda item: str(item.get("id"))

    async def pages(
        self,
        fetch: Callable[[dict[str, Any]], Awaitable[list[Any]]],
        params: dict[str, Any] | None = None,
    ) -> AsyncIterator[list[Any]]:
        """Yield each page's new items; ``fetch(params)`` returns a page's items."""
        seen: set[Hashable] = set()
        number = self.first
        while True:
            query = {**(params or {}), self.page_param: number, self.size_param: self.size}
            items = await fetch(query)
            fresh = []
            for item in items:
                k = self.key(item)
                if k not in seen:
                    seen.add(k)
                    fresh.append(item)
            if fresh:
                yield fresh
            if len(items) < self.size or not fresh:
                return
            number += 1

    async def collect(
        self,
        fetch: Callable[[dict[str, Any]], Awaitable[list[Any]]],
        params: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Every item of every page."""
        out: list[Any] = []
        async for page in self.pages(fetch, params):
            out.extend(page)
        return out


def resolve_link(base: str, link: str) -> str:
    """An absolute URL for ``link`` found in an answer from ``base`` (RFC 3986 join)."""
    return urllib.parse.urljoin(base, link)


@dataclass(frozen=True)
class NextLinkPaginator:
    """Pages linked by the server.

    ``next_of(answer)`` finds the next link in an answer (``None``: no more);
    ``is_last(answer)`` may end earlier (a short page); ``resolve(url, link)`` makes the
    link absolute (default: a plain join against the URL the answer came from).
    """

    next_of: Callable[[Any], str | None]
    is_last: Callable[[Any], bool] = lambda answer: False
    resolve: Callable[[str, str], str] = resolve_link

    async def pages(
        self, fetch: Callable[[str], Awaitable[Any]], url: str
    ) -> AsyncIterator[LinkedPage]:
        """Yield each page from ``url`` until the last."""
        while True:
            answer = await fetch(url)
            link = self.next_of(answer)
            nxt = self.resolve(url, link) if link else None
            last = nxt is None or nxt == url or self.is_last(answer)
            yield LinkedPage(url, answer, nxt, last)
            if last or nxt is None:
                return
            url = nxt


@dataclass(frozen=True)
class LinkedPage:
    """One page of a linked list: where it came from, the answer, the (absolute) next
    link — the position to resume from, even on the last page when the server gives one —
    and whether it is the last."""

    url: str
    answer: Any
    next_url: str | None
    last: bool


def date_windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """``[start, end]`` (inclusive) split into consecutive windows of at most ``days``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    windows = []
    day = start
    while day <= end:
        last = min(end, day + timedelta(days=days - 1))
        windows.append((day, last))
        day = last + timedelta(days=1)
    return windows
