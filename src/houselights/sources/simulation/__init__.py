"""Pieces every box-office simulator shares (neutral: no box office's facts live here).

* :mod:`.background` — run an aiohttp application on a background thread with its own
  event loop, so tests, the demo and the CLI drive a simulator with plain calls;
* :mod:`.ratelimit` — the token bucket simulators answer "too many requests" with;
* :mod:`.names` — made-up personal names for synthetic customers.
"""

from __future__ import annotations

from .background import BackgroundServer
from .ratelimit import RateLimiter

__all__ = ["BackgroundServer", "RateLimiter"]
