"""Fault injection for the Ticketsolve simulator: scripted rules and probabilities.

Ticketsolve publishes no error bodies and no rate limit (spec §2.3), so the exact shape
of every fault is **[invented]** except where noted:

================ =================================================================
kind             what the simulator answers
================ =================================================================
rate_limit       429, ``Retry-After: <seconds>``, a short text body
forbidden        403 with nginx's HTML error page — Ticketsolve-style refusal: plain
                 calls to its storefront API have been answered 403 (spec §3.2, [O]);
                 that the feed answers so when over a limit is [invented]
server_error     5xx (503 unless the rule says otherwise), Rails' "We're sorry" page
slow             the normal answer after ``slow_ms`` extra milliseconds
timeout          hangs ``timeout_seconds`` (longer than any sane client timeout)
truncated        200 whose XML body is cut in half (Content-Length matches the cut)
malformed        200 whose XML has a mismatched closing tag half-way through
entity_expansion 200 with a "billion laughs" document (nested ``<!ENTITY>`` expansion)
external_entity  200 with ``<!ENTITY xxe SYSTEM "file:///etc/passwd">`` used in a name
================ =================================================================

A rule names a **route** — ``*``, a route template (``shows.xml``,
``shows/{show}/events/{event}.xml``) or a glob over the path below the client
(``shows/873662785/events/*.xml``) — and either the request numbers that fail (``{3, 7}``:
the 3rd and 7th matching request, counted per client from when the rule was set) or a
probability. Global probabilities apply to every request.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from enum import Enum
from fnmatch import fnmatchcase

from houselights.sources.simulation import RateLimiter

__all__ = [
    "ROUTES",
    "FaultConfig",
    "FaultController",
    "FaultKind",
    "FaultRule",
    "InjectedFault",
    "fault_kind",
    "parse_fault_probability",
    "parse_fault_rule",
]

SHOWS_ROUTE = "shows.xml"
EVENT_ROUTE = "shows/{show}/events/{event}.xml"
ROUTES = (SHOWS_ROUTE, EVENT_ROUTE)
"""The route templates the simulator serves, below ``/<client>/``."""


class FaultKind(Enum):
    """The kinds of fault the simulator can inject."""

    RATE_LIMIT = "rate_limit"
    FORBIDDEN = "forbidden"
    SERVER_ERROR = "server_error"
    SLOW = "slow"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"
    ENTITY_EXPANSION = "entity_expansion"
    EXTERNAL_ENTITY = "external_entity"


_KIND_ALIASES = {
    "429": FaultKind.RATE_LIMIT,
    "rate-limit": FaultKind.RATE_LIMIT,
    "403": FaultKind.FORBIDDEN,
    "5xx": FaultKind.SERVER_ERROR,
    "server-error": FaultKind.SERVER_ERROR,
    "billion-laughs": FaultKind.ENTITY_EXPANSION,
    "laughs": FaultKind.ENTITY_EXPANSION,
    "entity-expansion": FaultKind.ENTITY_EXPANSION,
    "xxe": FaultKind.EXTERNAL_ENTITY,
    "external-entity": FaultKind.EXTERNAL_ENTITY,
}

_ROUTE_ALIASES = {"event.xml": EVENT_ROUTE, "events": EVENT_ROUTE, "shows": SHOWS_ROUTE}


def fault_kind(name: str) -> FaultKind:
    """Read a fault kind by value or alias (``429``, ``403``, ``5xx``, ``503``, ``xxe``…)."""
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
    """Fail requests to ``route`` with ``kind``: the ``nth`` matching ones (1-based,
    per client) and/or each with ``probability``."""

    kind: FaultKind
    route: str = "*"
    nth: frozenset[int] = frozenset()
    probability: float = 0.0
    status: int = 503

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", _ROUTE_ALIASES.get(self.route, self.route))

    def matches(self, template: str, path: str) -> bool:
        """True when this rule applies to a request for ``path`` (route ``template``)."""
        return self.route in ("*", template) or fnmatchcase(path, self.route)


@dataclass(frozen=True)
class FaultConfig:
    """Fault settings: probabilities per kind, scripted rules, and the knobs they use."""

    probabilities: dict[FaultKind, float] = field(default_factory=dict)
    rules: tuple[FaultRule, ...] = ()
    seed: int = 0
    slow_ms: float = 1_500.0
    timeout_seconds: float = 120.0
    retry_after_seconds: int = 1


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
    """Read ``KIND@ROUTE=N,N`` or ``KIND@ROUTE=P%`` for ``--fault``.

    ``503@shows.xml=1,2``; ``xxe@shows/*/events/*.xml=3``; ``slow@shows.xml=50%``.
    """
    head, sep, spec = text.partition("=")
    kind_text, _, route = head.partition("@")
    spec = spec.strip()
    if not sep or not spec:
        raise ValueError(f"expected KIND@ROUTE=N[,N…] or KIND@ROUTE=P%, got {text!r}")
    kind = fault_kind(kind_text)
    status = int(kind_text) if re.fullmatch(r"\s*5\d\d\s*", kind_text) else 503
    if spec.endswith("%"):
        probability = float(spec[:-1]) / 100
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"a percentage must be between 0 and 100, got {spec}")
        return FaultRule(kind, route.strip() or "*", probability=probability, status=status)
    nth = frozenset(int(n) for n in spec.split(",") if n.strip())
    if any(n < 1 for n in nth):
        raise ValueError("request numbers start at 1")
    return FaultRule(kind, route.strip() or "*", nth, status=status)


@dataclass(frozen=True)
class InjectedFault:
    """The fault chosen for one request (``status`` for server errors)."""

    kind: FaultKind
    status: int = 503


class FaultController:
    """Live fault state of a running simulator; safe to change from any thread."""

    def __init__(self, config: FaultConfig, rate_limit: float | None = None,
                 rate_limit_status: int = 429) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - fault dice, not security
        self._probabilities = dict(config.probabilities)
        self._rules: list[FaultRule] = list(config.rules)
        self._counts: dict[tuple[int, str], int] = {}
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.rate_limit_status = rate_limit_status

    @property
    def config(self) -> FaultConfig:
        """The knobs (slow_ms, timeout_seconds, retry_after_seconds) in force."""
        return self._config

    def set_probability(self, kind: FaultKind, probability: float) -> None:
        """Inject ``kind`` into that share of all requests (0 switches it off)."""
        with self._lock:
            self._probabilities[kind] = probability

    def script(
        self, kind: FaultKind, route: str = "*", nth: set[int] | frozenset[int] = frozenset(),
        *, probability: float = 0.0, status: int = 503,
    ) -> FaultRule:
        """Add a rule; its request numbering starts from 1 now."""
        rule = FaultRule(kind, route, frozenset(nth), probability, status)
        with self._lock:
            self._rules.append(rule)
        return rule

    def set_rate_limit(self, rate: float | None, status: int | None = None) -> None:
        """Change the per-client requests-per-second limit (``None`` = unlimited) and,
        optionally, the status it answers with (429 or 403)."""
        with self._lock:
            self.limiter = RateLimiter(rate) if rate else None
            if status is not None:
                self.rate_limit_status = status

    def clear(self) -> None:
        """Remove every probability, rule and counter (the rate limit stays)."""
        with self._lock:
            self._probabilities.clear()
            self._rules.clear()
            self._counts.clear()

    @property
    def active(self) -> bool:
        """True when any rule or probability is set (else requests skip fault bookkeeping)."""
        return bool(self._rules) or any(p > 0 for p in self._probabilities.values())

    def choose(self, client: str, template: str, path: str) -> InjectedFault | None:
        """Count this request against every matching rule and pick its fault, if any.

        Scripted request numbers first, then rule probabilities, then global ones.
        """
        with self._lock:
            chosen: InjectedFault | None = None
            for index, rule in enumerate(self._rules):
                if not rule.matches(template, path):
                    continue
                key = (index, client)
                number = self._counts.get(key, 0) + 1
                self._counts[key] = number
                if chosen is None and (
                    number in rule.nth
                    or (rule.probability > 0 and self._rng.random() < rule.probability)
                ):
                    chosen = InjectedFault(rule.kind, rule.status)
            if chosen is not None:
                return chosen
            for kind, probability in self._probabilities.items():
                if probability > 0 and self._rng.random() < probability:
                    return InjectedFault(kind)
        return None
