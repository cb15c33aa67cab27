"""Fault injection: by probability or by script, plus the per-login rate limit.

Real Spektrix publishes no rate limits and no error bodies (spec §7–§8), so every fault's
exact shape here is **invented** — chosen to exercise a client's retry and error paths:

=========== ================================================================
kind        what the simulator does
=========== ================================================================
rate_limit  429, ``Retry-After: <seconds>``, JSON ``{"message": ...}``
server_error 5xx (503 unless the rule says otherwise), JSON ``{"message": ...}``
slow        answers normally after ``slow_ms`` extra milliseconds
timeout     hangs ``timeout_seconds`` (longer than any sane client timeout)
truncated   200 whose JSON body is cut in half (Content-Length matches the cut body)
html_403    a Cloudflare-style HTML "Attention Required" page with status 403
clock_skew  401 as if the ``Date`` header were outside the allowed window
=========== ================================================================

A **script** rule names a route template (``orders/{id}``, ``orders/sync``, ``*``) and the
request numbers that fail (``{3, 7}``: the 3rd and 7th request to that route, counted per
client from when the rule was set), which keeps tests deterministic.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from enum import Enum

from houselights.sources.simulation.ratelimit import RateLimiter

__all__ = [
    "FaultConfig",
    "FaultController",
    "FaultKind",
    "FaultRule",
    "RateLimiter",
    "parse_fault_probability",
    "parse_fault_rule",
]


class FaultKind(Enum):
    """The kinds of fault the simulator can inject."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    SLOW = "slow"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"
    HTML_403 = "html_403"
    CLOCK_SKEW = "clock_skew"


_KIND_ALIASES = {
    "429": FaultKind.RATE_LIMIT,
    "rate-limit": FaultKind.RATE_LIMIT,
    "5xx": FaultKind.SERVER_ERROR,
    "server-error": FaultKind.SERVER_ERROR,
    "html403": FaultKind.HTML_403,
    "html-403": FaultKind.HTML_403,
    "cloudflare": FaultKind.HTML_403,
    "skew": FaultKind.CLOCK_SKEW,
    "clock-skew": FaultKind.CLOCK_SKEW,
}


def fault_kind(name: str) -> FaultKind:
    """Read a fault kind by value or alias (``5xx``, ``429``, ``html403``, ``skew``…)."""
    key = name.strip().lower()
    if key in _KIND_ALIASES:
        return _KIND_ALIASES[key]
    if re.fullmatch(r"5\d\d", key):
        return FaultKind.SERVER_ERROR
    try:
        return FaultKind(key.replace("-", "_"))
    except ValueError:
        known = sorted({k.value for k in FaultKind} | set(_KIND_ALIASES))
        raise ValueError(f"unknown fault kind {name!r}; known: {', '.join(known)}") from None


@dataclass(frozen=True)
class FaultRule:
    """Fail the ``nth`` requests (1-based, counted per client) to ``route`` with ``kind``."""

    kind: FaultKind
    route: str = "*"
    nth: frozenset[int] = frozenset()
    status: int = 503

    def matches_route(self, route: str) -> bool:
        """True when this rule applies to requests for route template ``route``."""
        return self.route in ("*", route)


@dataclass(frozen=True)
class FaultConfig:
    """Fault settings: probabilities per kind, scripted rules, and the knobs they use.

    ``clock_offset_seconds`` shifts the simulator's wall clock, so *every* signed request
    is judged against a skewed server time (a whole-server clock-skew fault).
    """

    probabilities: dict[FaultKind, float] = field(default_factory=dict)
    rules: tuple[FaultRule, ...] = ()
    seed: int = 0
    slow_ms: float = 1_500.0
    timeout_seconds: float = 120.0
    retry_after_seconds: int = 1
    clock_offset_seconds: float = 0.0


def parse_fault_probability(text: str) -> tuple[FaultKind, float]:
    """Read ``KIND=P`` (e.g. ``5xx=0.05``) for ``--fault-rate``."""
    kind_text, sep, prob_text = text.partition("=")
    if not sep:
        raise ValueError(f"expected KIND=PROBABILITY, got {text!r}")
    probability = float(prob_text)
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be between 0 and 1, got {prob_text}")
    return fault_kind(kind_text), probability


def parse_fault_rule(text: str) -> FaultRule:
    """Read ``KIND@ROUTE=N,N`` (e.g. ``503@orders/{id}=3,7``) for ``--fault``."""
    head, sep, numbers = text.partition("=")
    kind_text, _, route = head.partition("@")
    if not sep or not numbers.strip():
        raise ValueError(f"expected KIND@ROUTE=N[,N…], got {text!r}")
    kind = fault_kind(kind_text)
    nth = frozenset(int(n) for n in numbers.split(",") if n.strip())
    if any(n < 1 for n in nth):
        raise ValueError("request numbers start at 1")
    status = int(kind_text) if re.fullmatch(r"\s*5\d\d\s*", kind_text) else 503
    return FaultRule(kind, route.strip() or "*", nth, status)


@dataclass(frozen=True)
class InjectedFault:
    """The fault chosen for one request (``status`` for server errors)."""

    kind: FaultKind
    status: int = 503


class FaultController:
    """Live fault state of a running simulator; safe to change from any thread."""

    def __init__(self, config: FaultConfig, rate_limit: float | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - fault dice, not security
        self._probabilities = dict(config.probabilities)
        self._rules: list[FaultRule] = list(config.rules)
        self._counts: dict[tuple[str, str], int] = {}
        self.clock_offset_seconds = config.clock_offset_seconds
        self.limiter = RateLimiter(rate_limit) if rate_limit else None

    @property
    def config(self) -> FaultConfig:
        """The knobs (slow_ms, timeout_seconds, retry_after_seconds) in force."""
        return self._config

    def set_probability(self, kind: FaultKind, probability: float) -> None:
        """Inject ``kind`` into that share of requests (0 switches it off)."""
        with self._lock:
            self._probabilities[kind] = probability

    def script(
        self, kind: FaultKind, route: str = "*", nth: set[int] | frozenset[int] = frozenset(),
        *, status: int = 503,
    ) -> None:
        """Add a scripted rule; request numbering for ``route`` restarts from 1."""
        with self._lock:
            self._rules.append(FaultRule(kind, route, frozenset(nth), status))
            self._counts = {k: v for k, v in self._counts.items() if k[1] != route}

    def set_rate_limit(self, rate: float | None) -> None:
        """Change the per-login requests-per-second budget (``None`` = unlimited)."""
        with self._lock:
            self.limiter = RateLimiter(rate) if rate else None

    def clear(self) -> None:
        """Remove every probability, rule, counter and clock offset."""
        with self._lock:
            self._probabilities.clear()
            self._rules.clear()
            self._counts.clear()
            self.clock_offset_seconds = 0.0

    @property
    def active(self) -> bool:
        """True when any rule or probability is set (else requests skip fault bookkeeping)."""
        return bool(self._rules) or any(p > 0 for p in self._probabilities.values())

    def choose(self, client: str, route: str, number: int, total: int) -> InjectedFault | None:
        """The fault for this request, scripted rules first, then probabilities."""
        with self._lock:
            for rule in self._rules:
                if rule.matches_route(route):
                    n = total if rule.route == "*" else number
                    if n in rule.nth:
                        return InjectedFault(rule.kind, rule.status)
            for kind, probability in self._probabilities.items():
                if probability > 0 and self._rng.random() < probability:
                    return InjectedFault(kind)
        return None

    def count(self, client: str, route: str) -> tuple[int, int]:
        """Count one request; returns (number for this route, number across all routes)."""
        with self._lock:
            n = self._counts.get((client, route), 0) + 1
            self._counts[(client, route)] = n
            total = self._counts.get((client, "*"), 0) + 1
            self._counts[(client, "*")] = total
            return n, total
