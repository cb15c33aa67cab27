"""The kit's HTTP client with Ticketsolve's refusals in plain words.

The feed needs no credentials (spec §2.3), so there is no signer. Ticketsolve publishes
no rate-limit figure or answer: a 429 is retried after its ``Retry-After``, and so is a
403 — the storefront answers 403 when it is pushed too hard (spec §3.2, observed) — a
few times before it is reported. A 404 means the account (or the document) does not
exist.
"""

from __future__ import annotations

from houselights.errors import NotFoundError, SourceError
from houselights.sources.kit.http import (
    Classifier,
    HttpClient,
    Response,
    Retry,
    retry_after_seconds,
    safe_url,
)

from .feed import TruncatedFeedError
from .settings import TicketsolveSettings

__all__ = ["BOX_OFFICE", "classifier", "feed_bytes", "make_client"]

BOX_OFFICE = "Ticketsolve"


def classifier(settings: TicketsolveSettings) -> Classifier:
    """2xx is fine; 429, 403 and 5xx are retried; 404 is a missing account or document."""

    def classify(response: Response) -> None:
        status = response.status
        if 200 <= status < 300:
            return
        wait = retry_after_seconds(response.header("Retry-After"))
        if status in (403, 429):
            raise Retry(f"refused with {status} (Ticketsolve's rate limit?)", wait, status=429)
        if status >= 500:
            raise Retry(f"server error ({status})", status=status)
        if status == 404:
            raise NotFoundError(
                f"Ticketsolve has no {safe_url(response.url)} (404).",
                hint=f"Check the client name '{settings.client}' and the base URL "
                f"({settings.account_url}): the account's feed is <address>/shows.xml. "
                "Run `houselights check-setup SLUG`.",
            )
        raise SourceError(
            f"Ticketsolve refused {safe_url(response.url)} with status {status}.",
            hint="Run `houselights check-setup SLUG` to see which step fails.",
        )

    return classify


def feed_bytes(response: Response) -> bytes:
    """A document's body; an empty one is retried (a download cut short)."""
    if not response.body.strip():
        raise Retry("the document was empty", truncated=True)
    return response.body


def retry_truncated(error: TruncatedFeedError) -> Retry:
    """A document that ends early, as a retry."""
    return Retry(error.message, truncated=True)


def make_client(settings: TicketsolveSettings) -> HttpClient:
    """An HTTP client with the connection's budget, concurrency and retries."""
    return HttpClient(
        BOX_OFFICE,
        options=settings.http_options(),
        budget=settings.token_bucket(),
        classify=classifier(settings),
        transient_hint="Ticketsolve may be busy or limiting requests. Run the sync again "
        "later (nothing from the failed part was published), or lower --request-budget.",
    )
