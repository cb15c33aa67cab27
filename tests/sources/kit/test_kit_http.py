"""The kit's HTTP client with an injected transport: policies, not the network."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from houselights.errors import SourceError, TransientSourceError
from houselights.sources.kit.budget import TokenBucket
from houselights.sources.kit.http import (
    HttpClient,
    HttpOptions,
    Request,
    Response,
    Retry,
    retry_after_seconds,
)

FAST = HttpOptions(retries=3, backoff_base=0.0, timeout=1.0)


class Script:
    """A transport answering from a list; records what it was sent."""

    def __init__(self, *answers: Response | BaseException) -> None:
        self.answers = list(answers)
        self.sent: list[Request] = []

    async def __call__(self, request: Request, timeout: float) -> Response:
        self.sent.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def ok(body: bytes = b"[]", **headers: str) -> Response:
    return Response(200, headers, body, "http://box/x")


def status(code: int, body: bytes = b"{}", **headers: str) -> Response:
    return Response(code, headers, body, "http://box/x")


def get(client: HttpClient, decode: Callable[[Response], object] = lambda r: r.body) -> object:
    async def go() -> object:
        async with client:
            return await client.get("http://box/x", decode)

    return asyncio.run(go())


def test_retries_429_and_5xx_honouring_retry_after_then_succeeds() -> None:
    transport = Script(status(429, **{"Retry-After": "0"}), status(503), ok(b"done"))
    client = HttpClient("Box", options=FAST, transport=transport)
    assert get(client) == b"done"
    assert client.stats.requests == 3 and client.stats.retries == 2
    assert client.stats.rate_limited == 1 and client.stats.server_errors == 1


def test_signer_runs_for_every_attempt() -> None:
    transport = Script(status(500), ok())
    calls: list[str] = []

    def sign(request: Request) -> dict[str, str]:
        calls.append(request.url)
        return {"Authorization": f"attempt {len(calls)}"}

    get(HttpClient("Box", options=FAST, transport=transport, signer=sign))
    assert [r.headers["Authorization"] for r in transport.sent] == ["attempt 1", "attempt 2"]


def test_truncated_body_is_retried_when_the_decoder_says_so() -> None:
    def decode(response: Response) -> object:
        if response.body == b"[1, 2":
            raise Retry("cut short", truncated=True)
        return response.body

    client = HttpClient("Box", options=FAST, transport=Script(ok(b"[1, 2"), ok(b"[1, 2]")))
    assert get(client, decode) == b"[1, 2]"
    assert client.stats.truncated == 1


def test_timeouts_and_dropped_connections_are_retried() -> None:
    transport = Script(TimeoutError(), ConnectionResetError(), ok(b"x"))
    client = HttpClient("Box", options=FAST, transport=transport)
    assert get(client) == b"x" and client.stats.timeouts == 1


def test_giving_up_says_who_what_and_why_in_plain_words() -> None:
    client = HttpClient(
        "Box", options=FAST, transport=Script(*[status(502)] * 4), transient_hint="Wait."
    )
    with pytest.raises(TransientSourceError) as caught:
        get(client)
    assert caught.value.message == (
        "Box did not give a usable answer for http://box/x after 4 attempts "
        "(last problem: server error (502))."
    )
    assert caught.value.hint == "Wait."


def test_a_refusal_is_not_retried_and_the_classifier_decides() -> None:
    transport = Script(status(403))
    client = HttpClient("Box", options=FAST, transport=transport)
    with pytest.raises(SourceError, match="Box refused http://box/x with status 403"):
        get(client)
    assert len(transport.sent) == 1

    def lenient(response: Response) -> None:
        return None  # a 404 that means "no such record"

    async def go() -> object:
        async with HttpClient("Box", options=FAST, transport=Script(status(404))) as c:
            return await c.get("http://box/x", lambda r: r.status, classify=lenient)

    assert asyncio.run(go()) == 404


def test_the_budget_is_spent_before_every_attempt() -> None:
    class Counting(TokenBucket):
        taken = 0

        async def acquire(self) -> None:
            Counting.taken += 1

    client = HttpClient(
        "Box", options=FAST, budget=Counting(1000), transport=Script(status(500), ok())
    )
    get(client)
    assert Counting.taken == 2


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_server_date_is_kept_for_clock_checks() -> None:
    client = HttpClient(
        "Box", options=FAST, transport=Script(ok(Date="Mon, 01 Dec 2025 10:00:00 GMT"))
    )
    get(client)
    difference = client.clock_difference()
    assert difference is not None and difference > 86_400  # that date is long past
