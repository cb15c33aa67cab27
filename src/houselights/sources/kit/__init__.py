"""The source kit: what every box office connector shares.

A connector is a :class:`Source` (who it is, its typed :class:`ConnectionSettings`, what a
sync does) and its :class:`Stream` objects (read pages of raw records; map a page to a
batch). The kit supplies the rest: the runner that owns exchange runs
(:func:`run_sync`), one HTTP client with injectable signing, classification, retries,
budget and transport (:class:`HttpClient`), paginators, tabular file readers with column
profiles (:class:`TableFile`, within :class:`FileLimits`), setup-check results,
connection status, the registry and the conformance suite every source passes
(:mod:`houselights.conformance`).
See ``docs/sources.md``.
"""

from .budget import RequestBudget, TokenBucket
from .files import Column, ColumnProfile, FileStream, TableFile
from .http import HttpClient, HttpOptions, Request, Response, Retry
from .limits import FileLimits
from .paging import NextLinkPaginator, PageNumberPaginator, date_windows
from .settings import ConnectionSettings
from .setup import SetupCheckResult, SetupStep
from .source import Page, RunPlan, Source, Stream, SyncRequest

__all__ = [
    "Column",
    "ColumnProfile",
    "ConnectionSettings",
    "FileLimits",
    "FileStream",
    "HttpClient",
    "HttpOptions",
    "NextLinkPaginator",
    "Page",
    "PageNumberPaginator",
    "Request",
    "RequestBudget",
    "Response",
    "Retry",
    "RunPlan",
    "SetupCheckResult",
    "SetupStep",
    "Source",
    "Stream",
    "SyncRequest",
    "TableFile",
    "TokenBucket",
    "date_windows",
]
