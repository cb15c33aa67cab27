"""The exchange: raw records → canonical rows → staged batch → checks → atomic publish."""

from houselights.exchange.batch import Batch, RawRecord, RejectedRow, StreamCursor
from houselights.exchange.run import ExchangeRun, LoadResult

__all__ = ["Batch", "ExchangeRun", "LoadResult", "RawRecord", "RejectedRow", "StreamCursor"]
