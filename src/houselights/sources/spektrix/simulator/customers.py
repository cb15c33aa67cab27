"""Customers of one simulated client: columns generated in bulk, payloads rendered on demand.

Customer payload fields follow the owner-mode customer model (spec §14.3): ``id``,
``title``, ``firstName``, ``lastName``, ``name``, ``email``, ``mobile``, ``phone``,
``birthDate``, ``billingAddress``, ``deliveryAddress``, ``addresses[]``,
``agreedStatements[]`` (the contact preferences agreed to), ``allStatements[]``,
``tags[]``, ``subscriptions``, ``creditBalance`` (a Money object), ``attribute_*`` — plus
``age``, ``passwordSet`` and ``giftAidDeclarationRequired`` from the web-mode sample
(§6.6). No ``friendlyId`` or ``createdDate`` (not in the model).

**Invented** (not public): the inner address keys ``{line1, line2, town, county,
postcode, country}`` (the postcode key is a variation), the Money object
``{amount, currency}``, and statement objects as ``GET statements`` serves them. Postcodes
are mostly valid UK postcodes of the organisation's city, some national, some lower-case
without a space, some invalid (``N/A``, an outward code alone…) and some missing — as
real data is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .catalogue import DAY
from .clock import from_micros
from .config import PayloadVariations
from .ids import CustomerIdCodec
from .names import FIRST_NAMES, LAST_NAMES, NATIONAL_OUTWARD_CODES, TITLES, City

__all__ = ["CustomerStore"]

I64 = npt.NDArray[np.int64]
_DOMAINS = ("example.com", "example.org", "example.net", "example.co.uk")
_EMAIL = re.compile(r"^[a-z]+\.[a-z]+(\d+)@example\.(?:com|org|net|co\.uk)$")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_HOW_HEARD = ("", "Brochure", "Website", "Social media", "Friend", "Newspaper")
# Postcode kinds: valid, valid-but-untidy, invalid, no address at all, address w/o postcode.
VALID, UNTIDY, INVALID, NO_ADDRESS, NO_POSTCODE = range(5)
_INVALID_FORMS = ("N/A", "{out}", "12345", "{out} 9", "{out}{inward}X")
N_STATEMENTS = 4


@dataclass
class _Columns:
    created: I64
    title: I64
    first: I64
    last: I64
    domain: I64
    has_email: npt.NDArray[np.bool_]
    has_mobile: npt.NDArray[np.bool_]
    birth_year: I64  # 0 = unknown
    postcode_kind: I64
    outward: I64  # index into CustomerStore.outward_codes
    inward: I64  # 0..(9*20*20-1)
    house: I64
    street: I64
    heard: I64


def _concat(a: _Columns, b: _Columns) -> _Columns:
    return _Columns(**{
        name: np.concatenate((getattr(a, name), getattr(b, name)))
        for name in _Columns.__dataclass_fields__
    })


class CustomerStore:
    """All customers of a client; rows are addressed by ``I-XXXX-XXXX`` ids (bijective)."""

    def __init__(
        self, city: City, seed: int, payload: PayloadVariations | None = None
    ) -> None:
        self.city = city
        self.payload = payload or PayloadVariations()
        self.statements: list[dict[str, Any]] = []
        """The statement objects (``GET statements``), for agreed/all statements."""
        self.tags: list[dict[str, Any]] = []
        self.codec = CustomerIdCodec(seed)
        self.outward_codes = city.outward_codes + NATIONAL_OUTWARD_CODES
        self._local = len(city.outward_codes)
        self.cols: _Columns | None = None
        # Current contact-preference state, one column per statement (True = agreed).
        self.preferences = np.zeros((0, N_STATEMENTS), np.bool_)

    def __len__(self) -> int:
        return 0 if self.cols is None else len(self.cols.created)

    def add(self, created: I64, rng: np.random.Generator) -> range:
        """Append customers created at ``created`` instants; returns their rows."""
        n = len(created)
        local = rng.random(n) < 0.7
        outward = np.where(
            local,
            rng.integers(0, self._local, n),
            rng.integers(self._local, len(self.outward_codes), n),
        )
        cols = _Columns(
            created=created.astype(np.int64),
            title=rng.integers(0, len(TITLES), n),
            first=rng.integers(0, len(FIRST_NAMES), n),
            last=rng.integers(0, len(LAST_NAMES), n),
            domain=rng.integers(0, len(_DOMAINS), n),
            has_email=rng.random(n) < 0.9,
            has_mobile=rng.random(n) < 0.6,
            birth_year=np.where(rng.random(n) < 0.35, rng.integers(1940, 2008, n), 0),
            postcode_kind=rng.choice(5, size=n, p=(0.82, 0.05, 0.04, 0.05, 0.04)),
            outward=outward,
            inward=rng.integers(0, 9 * 20 * 20, n),
            house=rng.integers(1, 200, n),
            street=rng.integers(0, len(self.city.streets), n),
            heard=rng.integers(0, len(_HOW_HEARD), n),
        )
        start = len(self)
        self.cols = cols if self.cols is None else _concat(self.cols, cols)
        self.preferences = np.concatenate(
            (self.preferences, np.zeros((n, N_STATEMENTS), np.bool_))
        )
        return range(start, start + n)

    # --- lookups -------------------------------------------------------------------------

    def row_of(self, customer_id: str, now_us: int) -> int | None:
        """Row of a customer id that exists at simulated time ``now_us``."""
        row = self.codec.row(customer_id)
        if row is None or row >= len(self) or self.cid(row) != customer_id:
            return None
        assert self.cols is not None
        return row if int(self.cols.created[row]) <= now_us else None

    def row_by_email(self, email: str, now_us: int) -> int | None:
        """Row of the customer with this email (case-insensitive), or ``None``."""
        wanted = email.strip().lower()
        match = _EMAIL.match(wanted)
        if match is None:
            return None
        row = int(match.group(1))
        if row >= len(self) or self.email(row) != wanted:
            return None
        assert self.cols is not None
        return row if int(self.cols.created[row]) <= now_us else None

    def cid(self, row: int) -> str:
        """Customer id of ``row``."""
        return self.codec.customer_id(row)

    def email(self, row: int) -> str | None:
        """Email address of ``row`` (lower case), or ``None``."""
        cols = self.cols
        assert cols is not None
        if not cols.has_email[row]:
            return None
        first = FIRST_NAMES[cols.first[row]].lower()
        last = LAST_NAMES[cols.last[row]].lower()
        return f"{first}.{last}{row}@{_DOMAINS[cols.domain[row]]}"

    def postcode(self, row: int) -> str | None:
        """The postcode as stored (may be untidy or invalid), or ``None`` if absent."""
        cols = self.cols
        assert cols is not None
        kind = int(cols.postcode_kind[row])
        if kind in (NO_ADDRESS, NO_POSTCODE):
            return None
        out = self.outward_codes[cols.outward[row]]
        code = int(cols.inward[row])
        inward = (f"{1 + code // 400}{_INWARD_LETTERS[(code // 20) % 20]}"
                  f"{_INWARD_LETTERS[code % 20]}")
        if kind == VALID:
            return f"{out} {inward}"
        if kind == UNTIDY:
            return f"{out}{inward}".lower()
        form = _INVALID_FORMS[row % len(_INVALID_FORMS)]
        return form.format(out=out, inward=inward)

    def address(self, row: int) -> dict[str, Any] | None:
        """The customer's address object (``None``: no address held)."""
        cols = self.cols
        assert cols is not None
        if int(cols.postcode_kind[row]) == NO_ADDRESS:
            return None
        return {
            "line1": f"{int(cols.house[row])} {self.city.streets[cols.street[row]]}",
            "line2": "",
            "town": self.city.name if cols.outward[row] < self._local else "",
            "county": "",
            self.payload.postcode_key: self.postcode(row) or "",
            "country": "United Kingdom",
        }

    def render(self, row: int, now_us: int) -> dict[str, Any]:
        """The System Owner payload of customer ``row`` (see the module docstring)."""
        cols = self.cols
        assert cols is not None
        v = self.payload
        first = FIRST_NAMES[cols.first[row]]
        last = LAST_NAMES[cols.last[row]]
        address = self.address(row)
        year = int(cols.birth_year[row])
        birth = f"{year}-{1 + row % 12:02d}-{1 + row % 28:02d}T00:00:00" if year else None
        mobile = f"+447700{900000 + row % 100000:06d}"[:13] if cols.has_mobile[row] else None
        payload: dict[str, Any] = {
            "id": self.cid(row),
            "title": TITLES[cols.title[row]],
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "email": self.email(row),
            "mobile": mobile,
            "phone": None,
            "birthDate": birth,
            "age": (from_micros(now_us).year - year) if year else None,
            "billingAddress": address if v.address_place == "billing" else None,
            "deliveryAddress": None,
            "addresses": [address] if address is not None else [],
            "passwordSet": bool(cols.has_email[row]) and row % 3 != 0,
            "giftAidDeclarationRequired": row % 5 == 0,
            "creditBalance": {"amount": 0.0, "currency": "GBP"},
            "tags": [self.tags[row % len(self.tags)]] if self.tags and row % 4 == 0 else [],
            "subscriptions": [],
            "attribute_HowDidYouHearAboutUs": _HOW_HEARD[cols.heard[row]],
        }
        if v.customer_statements:
            agreed = self.preferences[row]
            payload["agreedStatements"] = [
                s for i, s in enumerate(self.statements) if agreed[i]
            ]
            payload["allStatements"] = list(self.statements)
        if v.unknown_fields and row % 6 == 1:
            payload["preferredPronouns"] = "they/them"
        return payload

    def created_before(self, now_us: int) -> int:
        """How many rows exist at ``now_us`` (rows are appended in time order per batch)."""
        assert self.cols is not None
        return int(np.count_nonzero(self.cols.created <= now_us))


def customer_creation_times(
    first_order: I64, now_us: int, history_days: int, rng: np.random.Generator
) -> I64:
    """When each customer was created: before their first order (or any time if none)."""
    n = len(first_order)
    earliest = now_us - (history_days + 365) * DAY
    lead = rng.integers(0, 200 * DAY, n)
    no_orders = first_order < 0
    created = np.where(no_orders, rng.integers(earliest, now_us, n), first_order - lead)
    return np.maximum(created, earliest)
