"""Data made safe to hand to a spreadsheet or a terminal.

Box office data and uploaded files are written by other people. Two things in them can
act instead of being shown:

* a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return runs
  as a formula when a CSV or XLSX file is opened in a spreadsheet (OWASP "CSV
  injection"). :func:`neutralise` gives such a cell a leading apostrophe, which
  spreadsheets show as text. Every CSV and XLSX writer of the CLI and the API uses it.
* control characters and escape sequences move the cursor, recolour, retitle or clear a
  terminal, and bidirectional overrides make text read differently from what it is.
  :func:`strip_control` removes them from anything the CLI prints.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_STARTS", "neutralise", "strip_control"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a text cell starts when a spreadsheet would evaluate it."""

# C0 controls but tab and newline (ESC starts every terminal escape sequence; CR rewrites
# the line), DEL, the C1 controls (0x9b is a one-byte CSI), and the bidirectional
# embedding, override and isolate marks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe if it is text a spreadsheet would evaluate;
    anything else (numbers, dates, ``None``) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def strip_control(text: str) -> str:
    """``text`` without the characters a terminal would act on (tabs and newlines kept)."""
    return _CONTROL.sub("", text)
