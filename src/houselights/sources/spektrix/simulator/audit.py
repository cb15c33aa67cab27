"""The Customer Audit trail and its "Raw (XML)" report.

The four audit fields (User, Update method, Narrative, Date) are confirmed (spec §9.1);
the report layout is not public, so the XML here is **invented** (the spec §9.2
suggestion)::

    <?xml version="1.0" encoding="utf-8"?>
    <Report name="..." from="2025-02-28T00:00:00" to="2025-03-03T09:00:00">
      <Row><CustomerId>I-AB12-CD34</CustomerId><User>Web</User>
           <UpdateMethod>User</UpdateMethod><Narrative>…</Narrative>
           <Date>2025-03-01T10:12:13</Date></Row>
    </Report>

Dates are local (the client's time zone) without offset, like every other Spektrix local time.
Contact-preference narratives come from configurable templates (the real wording is
unknown), so a parser must be tolerant of several phrasings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import numpy.typing as npt

from .clock import LONDON, LocalZone, format_local
from .names import STAFF_USERS

__all__ = ["AuditLog", "AuditTemplates"]

I64 = npt.NDArray[np.int64]

USERS = ("Web", *STAFF_USERS, "spektrix\\autotagging", "spektrix\\import")
WEB, AUTOTAG_USER, IMPORT_USER = 0, len(USERS) - 2, len(USERS) - 1
METHODS = ("User", "AutoTag", "Bulk", "Import")
# Narrative kinds.
CREATED, OPT_IN, OPT_OUT, ADDRESS, AUTOTAG, BULK_TAG, IMPORTED, EMAIL = range(8)


@dataclass(frozen=True)
class AuditTemplates:
    """Narrative templates; ``{statement}`` and ``{tag}`` are filled in (wording invented)."""

    opt_in: tuple[str, ...] = (
        "Contact preference '{statement}' changed from No to Yes",
        "Agreed to statement: {statement}",
    )
    opt_out: tuple[str, ...] = (
        "Contact preference '{statement}' changed from Yes to No",
        "Withdrew agreement to statement: {statement}",
    )
    created: str = "Customer record created"
    address: str = "Billing address updated"
    autotag: str = "Tag '{tag}' added"
    bulk_tag: str = "Tag '{tag}' added via Customer List"
    imported: str = "Customer details updated by import"
    email: str = "Email address changed"


@dataclass
class _Rows:
    time: I64
    customer: I64
    user: I64
    method: I64
    kind: I64
    param: I64  # statement index for OPT_IN/OPT_OUT, tag index for tag rows


class AuditLog:
    """Audit rows of one client, kept sorted by time (appends only ever add later rows)."""

    def __init__(
        self,
        templates: AuditTemplates,
        statements: list[str],
        tags: list[str],
        *,
        zone: LocalZone = LONDON,
    ) -> None:
        self.templates = templates
        self.zone = zone
        self.statements = statements
        self.tags = tags
        empty = np.zeros(0, np.int64)
        self.rows = _Rows(empty, empty, empty, empty, empty, empty)

    def __len__(self) -> int:
        return len(self.rows.time)

    def append(
        self, time: I64, customer: I64, user: I64, method: I64, kind: I64, param: I64
    ) -> None:
        """Add rows (sorted by time among themselves, all after existing rows)."""
        order = np.argsort(time, kind="stable")
        new = (time, customer, user, method, kind, param)
        self.rows = _Rows(*(
            np.concatenate((old, np.asarray(add, np.int64)[order]))
            for old, add in zip(
                (self.rows.time, self.rows.customer, self.rows.user, self.rows.method,
                 self.rows.kind, self.rows.param),
                new, strict=True,
            )
        ))

    def narrative(self, index: int) -> str:
        """The narrative text of row ``index``."""
        t = self.templates
        kind = int(self.rows.kind[index])
        param = int(self.rows.param[index])
        if kind in (OPT_IN, OPT_OUT):
            choices = t.opt_in if kind == OPT_IN else t.opt_out
            template = choices[index % len(choices)]
            return template.format(statement=self.statements[param])
        if kind in (AUTOTAG, BULK_TAG):
            template = t.autotag if kind == AUTOTAG else t.bulk_tag
            return template.format(tag=self.tags[param])
        return {CREATED: t.created, ADDRESS: t.address, IMPORTED: t.imported,
                EMAIL: t.email}[kind]

    def window(self, start_us: int, end_us: int) -> range:
        """Row indexes with ``start_us <= time <= end_us``."""
        lo = int(np.searchsorted(self.rows.time, start_us, side="left"))
        hi = int(np.searchsorted(self.rows.time, end_us, side="right"))
        return range(lo, hi)

    def row_dict(self, index: int, customer_id: str) -> dict[str, Any]:
        """One audit row as a plain dict (the simulator's truth for tests)."""
        return {
            "customer_id": customer_id,
            "user": USERS[int(self.rows.user[index])],
            "update_method": METHODS[int(self.rows.method[index])],
            "narrative": self.narrative(index),
            "date": format_local(int(self.rows.time[index]), self.zone),
        }

    def to_xml(self, rows: list[dict[str, Any]], name: str, start: str, end: str) -> bytes:
        """Render rows as the invented "Raw (XML)" report layout."""
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n',
            f"<Report name={quoteattr(name)} from={quoteattr(start)} to={quoteattr(end)}>\n",
        ]
        for row in rows:
            parts.append(
                f"  <Row><CustomerId>{escape(row['customer_id'])}</CustomerId>"
                f"<User>{escape(row['user'])}</User>"
                f"<UpdateMethod>{escape(row['update_method'])}</UpdateMethod>"
                f"<Narrative>{escape(row['narrative'])}</Narrative>"
                f"<Date>{row['date']}</Date></Row>\n"
            )
        parts.append("</Report>\n")
        return "".join(parts).encode("utf-8")


def history_rows(
    created: I64, now_us: int, n_statements: int, n_tags: int, rng: np.random.Generator,
    first_row: int = 0,
) -> tuple[tuple[I64, I64, I64, I64, I64, I64], npt.NDArray[np.bool_]]:
    """Audit rows for newly created customers up to ``now_us``, and their final preferences.

    Contact-preference changes toggle: each customer starts with nothing agreed, the
    first change to a statement is an opt-in, the next an opt-out, and so on — so the
    final state (returned, one row per customer) is consistent with the trail.
    """
    n = len(created)
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    web = rng.random(n) < 0.6
    staff = rng.integers(1, 1 + len(STAFF_USERS), n)
    parts: list[tuple[I64, I64, I64, I64, I64, I64]] = [(
        created, rows, np.where(web, WEB, staff), np.zeros(n, np.int64),
        np.full(n, CREATED, np.int64), np.zeros(n, np.int64),
    )]
    span = np.maximum(now_us - created, 1)

    # Contact preference changes, with toggling values.
    k = rng.poisson(1.3, n)
    who = np.repeat(np.arange(n), k)
    m = len(who)
    when = created[who] + (span[who] * rng.random(m)).astype(np.int64)
    statement = rng.integers(0, n_statements, m)
    order = np.lexsort((when, statement, who))
    who, when, statement = who[order], when[order], statement[order]
    group_start = np.ones(m, np.bool_)
    group_start[1:] = (who[1:] != who[:-1]) | (statement[1:] != statement[:-1])
    start_index = np.maximum.accumulate(np.where(group_start, np.arange(m), 0))
    nth = np.arange(m) - start_index
    kind = np.where(nth % 2 == 0, OPT_IN, OPT_OUT)
    channel = rng.random(m)
    user = np.where(channel < 0.6, WEB, rng.integers(1, 1 + len(STAFF_USERS), m))
    method = np.where(channel > 0.85, 2, 0)  # 2 = Bulk
    parts.append((when, rows[who], user, method, kind, statement))
    flips = np.zeros((n, n_statements), np.int64)
    np.add.at(flips, (who, statement), 1)
    final = flips % 2 == 1

    # Other changes: address edits, autotagging, bulk tags, imports, email changes.
    k2 = rng.poisson(0.8, n)
    who2 = np.repeat(np.arange(n), k2)
    m2 = len(who2)
    when2 = created[who2] + (span[who2] * rng.random(m2)).astype(np.int64)
    kind2 = rng.choice(
        np.array([ADDRESS, AUTOTAG, BULK_TAG, IMPORTED, EMAIL]), size=m2,
        p=(0.3, 0.35, 0.15, 0.1, 0.1),
    )
    user2 = np.where(
        kind2 == AUTOTAG, AUTOTAG_USER,
        np.where(kind2 == IMPORTED, IMPORT_USER, rng.integers(0, 1 + len(STAFF_USERS), m2)),
    )
    method2 = np.select([kind2 == AUTOTAG, kind2 == BULK_TAG, kind2 == IMPORTED], [1, 2, 3], 0)
    parts.append((when2, rows[who2], user2, method2, kind2, rng.integers(0, n_tags, m2)))

    cols = tuple(np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(6))
    keep = cols[0] <= now_us
    return (
        (cols[0][keep], cols[1][keep], cols[2][keep], cols[3][keep], cols[4][keep],
         cols[5][keep]),
        final,
    )
