"""Signing: the spec §4.4 vectors, an independent signer, and the refusals of the
simulator's verifier — written from the spec apart from the client's signer, so the
client's signatures are checked by code that shares nothing with them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from houselights.sources.spektrix.auth import (
    EMPTY_BODY_MD5,
    authorization_header,
    body_md5,
    http_date,
    is_valid_key,
    sign,
    string_to_sign,
)
from houselights.sources.spektrix.simulator.verifier import Refusal, Verifier

KEY = "dGhpcyBpcyBhIHRlc3Q="
DATE = "Mon, 21 Oct 2020 07:28:00 GMT"
SPEC_NOW = datetime(2020, 10, 21, 7, 28, tzinfo=UTC)
GET_URL = "https://system.spektrix.com/apitesting/api/v3/customers/I-AK11-1ATK"
POST_URL = "https://system.spektrix.com/apitesting/api/v3/customers/I-AK11-1ATK/tags"
POST_BODY = '{"id":"11001ATRSBGDJMQQMCVKRJSQJPSBBHRPT"}'


def test_spec_get_vector() -> None:
    assert string_to_sign("GET", GET_URL, DATE) == f"GET\n{GET_URL}\n{DATE}"
    assert sign(KEY, "GET", GET_URL, DATE) == "Tn/2Y/c/MXkQUAIqbNeni8F6B1I="
    assert authorization_header("TestLogin", KEY, "GET", GET_URL, DATE) == (
        "SpektrixAPI3 TestLogin:Tn/2Y/c/MXkQUAIqbNeni8F6B1I="
    )


def test_spec_post_vector() -> None:
    assert body_md5(POST_BODY) == "aKvCItgqWIpVbBA91BxIAQ=="
    assert string_to_sign("POST", POST_URL, DATE, POST_BODY).endswith(
        "\naKvCItgqWIpVbBA91BxIAQ=="
    )
    assert sign(KEY, "POST", POST_URL, DATE, POST_BODY) == "iCo1aeWNzOj4k7A1VsrWfm1/xPw="


def test_spec_path_only_vector_is_computed_but_rejected() -> None:
    path_only = "/apitesting/api/v3/customers/I-AK11-1ATK"
    wrong = sign(KEY, "GET", path_only, DATE)
    assert wrong == "OUVM2OnFN34TXuyEwYrvhVgfeUk="
    verifier = Verifier({"TestLogin": KEY})
    result = verifier.check("GET", GET_URL, DATE, f"SpektrixAPI3 TestLogin:{wrong}", None,
                            now=SPEC_NOW)
    assert result.refusal is Refusal.BAD_SIGNATURE


def test_spec_vectors_verify() -> None:
    verifier = Verifier({"TestLogin": KEY})
    get = verifier.check("GET", GET_URL, DATE,
                         "SpektrixAPI3 TestLogin:Tn/2Y/c/MXkQUAIqbNeni8F6B1I=", None, now=SPEC_NOW)
    post = verifier.check("POST", POST_URL, DATE,
                          "SpektrixAPI3 TestLogin:iCo1aeWNzOj4k7A1VsrWfm1/xPw=",
                          POST_BODY.encode(), now=SPEC_NOW)
    assert get.refusal is None and get.login == "TestLogin"
    assert post.refusal is None


@settings(max_examples=40, deadline=None)
@given(
    key=st.binary(min_size=1, max_size=48).map(lambda b: base64.b64encode(b).decode()),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    query=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-=&%", max_size=40),
    body=st.binary(max_size=200),
)
def test_the_clients_signatures_pass_the_independent_verifier(
    key: str, method: str, query: str, body: bytes
) -> None:
    url = f"https://system.spektrix.com/acme/api/v3/orders?{query}"
    date = http_date(SPEC_NOW)
    header = authorization_header("Login", key, method, url, date, body)
    verdict = Verifier({"Login": key}).check(method, url, date, header, body, now=SPEC_NOW)
    assert verdict.refusal is None and verdict.login == "Login"


def test_empty_body_hashes() -> None:
    assert body_md5(b"") == EMPTY_BODY_MD5 == "1B2M2Y8AsgTpgAmY7PhCfg=="
    assert body_md5("{}") == "mZFLkyvTelC5g8XnyQrpOw=="
    # A body-less non-GET still has the fourth line; GET never has it.
    assert string_to_sign("DELETE", GET_URL, DATE).endswith("\n" + EMPTY_BODY_MD5)
    assert string_to_sign("GET", GET_URL, DATE, "{}") == f"GET\n{GET_URL}\n{DATE}"
    assert string_to_sign("get", GET_URL, DATE).startswith("GET\n")


def _independent(key: str, method: str, url: str, date: str, body: bytes) -> str:
    lines = [method, url, date]
    if method != "GET":
        lines.append(base64.b64encode(hashlib.md5(body).digest()).decode())
    digest = hmac.new(base64.b64decode(key), "\n".join(lines).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=1, max_size=48).map(lambda b: base64.b64encode(b).decode()),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-/=&?%@+", max_size=60),
    body=st.binary(max_size=200),
)
def test_matches_an_independent_signer(key: str, method: str, path: str, body: bytes) -> None:
    url = f"https://system.spektrix.com/acme/api/v3/{path}"
    assert sign(key, method, url, DATE, body) == _independent(key, method, url, DATE, body)


def test_http_date_is_rfc1123_gmt_in_english() -> None:
    assert http_date(datetime(2020, 10, 21, 7, 28, tzinfo=UTC)) == "Wed, 21 Oct 2020 07:28:00 GMT"
    # An aware local time is converted, never printed as local.
    bst = timezone(timedelta(hours=1))
    assert http_date(datetime(2024, 6, 1, 10, 0, tzinfo=bst)) == "Sat, 01 Jun 2024 09:00:00 GMT"
    assert http_date(datetime(2024, 6, 1, 10, 0)) == "Sat, 01 Jun 2024 10:00:00 GMT"
    assert http_date().endswith(" GMT")


@pytest.mark.parametrize("value", [
    "Mon, 21 Oct 2020 07:28:00 +0000",  # PHP DATE_RFC1123
    "Monday, 21-Oct-20 07:28:00 GMT",  # RFC 850
    "2020-10-21T07:28:00Z",
    "Mon, 21 Oct 2020 07:28:00 UTC",
    "Mon, 31 Feb 2020 07:28:00 GMT",
    "",
])
def test_the_verifier_reads_dates_strictly(value: str) -> None:
    sig = _independent(KEY, "GET", GET_URL, value, b"")
    verdict = Verifier({"TestLogin": KEY}).check(
        "GET", GET_URL, value, f"SpektrixAPI3 TestLogin:{sig}", None, now=SPEC_NOW
    )
    assert verdict.refusal is Refusal.MISSING_DATE


def test_malformed_headers_and_keys() -> None:
    verifier = Verifier({"TestLogin": KEY})
    for bad in ("SpektrixAPI3 TestLogin abc", "Basic dXNlcjpwdw==", "spektrixapi3 a:b",
                "SpektrixAPI3 :sig", "SpektrixAPI3 TestLogin:"):
        verdict = verifier.check("GET", GET_URL, DATE, bad, None, now=SPEC_NOW)
        assert verdict.refusal is Refusal.MALFORMED_HEADER, bad
    assert is_valid_key(KEY) and not is_valid_key("not base64!") and not is_valid_key("")


class TestVerifierRefusesEveryPitfall:
    """Spec §4.5: each way a client commonly gets signing wrong is refused."""

    verifier = Verifier({"TestLogin": KEY})

    def check(self, signature: str, *, url: str = GET_URL, date: str = DATE,
              now: datetime = SPEC_NOW, method: str = "GET", body: bytes | None = None,
              login: str = "TestLogin") -> Refusal | None:
        header = f"SpektrixAPI3 {login}:{signature}"
        return self.verifier.check(method, url, date, header, body, now=now).refusal

    def test_1_path_instead_of_full_url(self) -> None:
        sig = _independent(KEY, "GET", "/apitesting/api/v3/customers/I-AK11-1ATK", DATE, b"")
        assert self.check(sig) is Refusal.BAD_SIGNATURE

    def test_2_hex_hmac(self) -> None:
        text = string_to_sign("GET", GET_URL, DATE)
        hex_sig = hmac.new(base64.b64decode(KEY), text.encode(), hashlib.sha1).hexdigest()
        assert self.check(hex_sig) is Refusal.BAD_SIGNATURE

    def test_2b_hex_md5_body(self) -> None:
        text = f"POST\n{POST_URL}\n{DATE}\n{hashlib.md5(POST_BODY.encode()).hexdigest()}"
        digest = hmac.new(base64.b64decode(KEY), text.encode(), hashlib.sha1).digest()
        sig = base64.b64encode(digest).decode()
        assert self.check(sig, url=POST_URL, method="POST",
                          body=POST_BODY.encode()) is Refusal.BAD_SIGNATURE

    def test_3_undecoded_key(self) -> None:
        text = string_to_sign("GET", GET_URL, DATE)
        digest = hmac.new(KEY.encode(), text.encode(), hashlib.sha1).digest()
        assert self.check(base64.b64encode(digest).decode()) is Refusal.BAD_SIGNATURE

    def test_4_plus0000_date(self) -> None:
        date = "Wed, 21 Oct 2020 07:28:00 +0000"
        sig = _independent(KEY, "GET", GET_URL, date, b"")
        assert self.check(sig, date=date) is Refusal.MISSING_DATE

    def test_4_local_time_date(self) -> None:
        local = "Wed, 21 Oct 2020 08:28:00 GMT"  # BST wall clock labelled GMT
        sig = _independent(KEY, "GET", GET_URL, local, b"")
        assert self.check(sig, date=local) is Refusal.CLOCK_SKEW

    def test_4_date_differs_from_signed(self) -> None:
        sig = _independent(KEY, "GET", GET_URL, DATE, b"")
        assert self.check(sig, date="Wed, 21 Oct 2020 07:28:01 GMT") is (
            Refusal.BAD_SIGNATURE
        )

    def test_5_query_reencoded(self) -> None:
        signed = f"{GET_URL}?email=a+b@example.com"
        sig = _independent(KEY, "GET", signed, DATE, b"")
        sent = f"{GET_URL}?email=a%2Bb%40example.com"
        assert self.check(sig, url=sent) is Refusal.BAD_SIGNATURE
        reordered_sig = _independent(KEY, "GET", f"{GET_URL}?a=1&b=2", DATE, b"")
        assert self.check(reordered_sig, url=f"{GET_URL}?b=2&a=1") is Refusal.BAD_SIGNATURE

    def test_6_trailing_slash(self) -> None:
        sig = _independent(KEY, "GET", GET_URL, DATE, b"")
        assert self.check(sig, url=GET_URL + "/") is Refusal.BAD_SIGNATURE

    def test_7_body_serialised_twice(self) -> None:
        sig = _independent(KEY, "POST", POST_URL, DATE, POST_BODY.encode())
        wire = b'{"id": "11001ATRSBGDJMQQMCVKRJSQJPSBBHRPT"}'
        assert self.check(sig, url=POST_URL, method="POST", body=wire) is (
            Refusal.BAD_SIGNATURE
        )

    def test_8_clock_drift(self) -> None:
        sig = _independent(KEY, "GET", GET_URL, DATE, b"")
        assert self.check(sig, now=SPEC_NOW + timedelta(minutes=14)) is None
        assert self.check(sig, now=SPEC_NOW + timedelta(minutes=16)) is Refusal.CLOCK_SKEW
        assert self.check(sig, now=SPEC_NOW - timedelta(minutes=16)) is Refusal.CLOCK_SKEW

    def test_unknown_login_and_malformed_header(self) -> None:
        sig = _independent(KEY, "GET", GET_URL, DATE, b"")
        assert self.check(sig, login="Other") is Refusal.UNKNOWN_LOGIN
        result = self.verifier.check("GET", GET_URL, DATE, f"SpektrixAPI3 TestLogin {sig}",
                                     None, now=SPEC_NOW)
        assert result.refusal is Refusal.MALFORMED_HEADER
        missing = self.verifier.check("GET", GET_URL, None, f"SpektrixAPI3 TestLogin:{sig}",
                                      None, now=SPEC_NOW)
        assert missing.refusal is Refusal.MISSING_DATE

    def test_skew_window_is_configurable(self) -> None:
        verifier = Verifier({"TestLogin": KEY}, max_skew_seconds=60)
        sig = _independent(KEY, "GET", GET_URL, DATE, b"")
        result = verifier.check("GET", GET_URL, DATE, f"SpektrixAPI3 TestLogin:{sig}", None,
                                now=SPEC_NOW + timedelta(seconds=61))
        assert result.refusal is Refusal.CLOCK_SKEW
