"""Parsers for the upload template's own vocabulary: line types, statuses, channels.

The generic cell parsers (dates, money, counts, flags) are the kit's
(:mod:`houselights.sources.kit.values`), shared with every file source.
"""

from __future__ import annotations

import functools

from houselights.sources.kit.values import (
    CellValue,
    ValueProblem,
    cell_text,
    normalise_word,
    quoted,
)
from houselights.sources.upload.columns import (
    CHANNEL_WORDS,
    LINE_TYPE_WORDS,
    LINE_TYPES,
    STATUS_WORDS,
    STATUSES,
)

__all__ = ["parse_channel", "parse_line_type", "parse_status"]


@functools.lru_cache(maxsize=4096)
def parse_line_type(value: CellValue) -> str:
    """A line type word → ``ticket``, ``supplementary``, ``product``, ``fee``, … ."""
    kind = LINE_TYPE_WORDS.get(normalise_word(cell_text(value)))
    if kind is None:
        raise ValueProblem(
            f"{quoted(value)} is not a line type (use one of: {', '.join(LINE_TYPES)})"
        )
    return kind


@functools.lru_cache(maxsize=4096)
def parse_status(value: CellValue) -> str:
    """A status word → ``issued``, ``returned`` or ``cancelled``."""
    status = STATUS_WORDS.get(normalise_word(cell_text(value)))
    if status is None:
        raise ValueProblem(
            f"{quoted(value)} is not a status (use one of: {', '.join(STATUSES)})"
        )
    return status


@functools.lru_cache(maxsize=4096)
def parse_channel(value: CellValue) -> str:
    """A sales channel word → ``online``, ``box_office``, ``phone``, ``agent``, ``other``."""
    return CHANNEL_WORDS.get(normalise_word(cell_text(value)), "other")
