"""Ticket types in plain words: which names mark a concession or a complimentary ticket.

Shared by every source (box offices name their ticket types freely: "Conc.", "OAP",
"House comp"); the canonical ``order_lines.is_concession`` / ``is_comp`` flags come from here.
"""

from __future__ import annotations

import re

__all__ = ["is_comp_ticket_type", "is_concession_ticket_type"]

_CONCESSION_RE = re.compile(
    r"(?<![a-z0-9])(concessions?|concs?|students?|seniors?|child(ren)?|kids?|juniors?|"
    r"youth|young (person|people)|oaps?|pensioners?|unwaged|unemployed|jobseekers?|nus|"
    r"disabled|disability|under ?\d{1,2}s?|u\d{1,2}s?|over ?[5-9]\d?s?|[5-9]\d\+)(?![a-z0-9])",
    re.IGNORECASE,
)
_COMP_RE = re.compile(r"(?<![a-z0-9])(comps?|complimentary)(?![a-z0-9])", re.IGNORECASE)


def is_concession_ticket_type(ticket_type: str) -> bool:
    """Whether a ticket type's name marks a concession (student, 60+, under 18, …)."""
    return _CONCESSION_RE.search(ticket_type) is not None


def is_comp_ticket_type(ticket_type: str) -> bool:
    """Whether a ticket type's name marks a complimentary ticket (comp, complimentary)."""
    return _COMP_RE.search(ticket_type) is not None
