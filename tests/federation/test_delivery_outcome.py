"""What each answer to a delivery attempt means, without sending anything."""

from __future__ import annotations

import httpx
import pytest

from fedishare.federation import backoff
from fedishare.federation.delivery_outcome import judge, retry, retry_after_seconds
from fedishare.storage.deliveries import Claim

NOW = 1_000_000.0


def claim(attempts: int = 1) -> Claim:
    return Claim(
        id=7,
        inbox="https://elm.example/users/bob/inbox",
        host="elm.example",
        attempts=attempts,
        activity_rowid=1,
        actor_id=1,
        document="{}",
    )


@pytest.mark.parametrize(
    ("status", "state", "host_up"),
    [
        (200, "delivered", True),
        (202, "delivered", True),
        (299, "delivered", True),
        (410, "gone", True),
        (400, "failed", True),
        (404, "failed", True),
        (499, "failed", True),
        (401, "retry", None),
        (408, "retry", False),
        (429, "retry", False),
        (500, "retry", False),
        (503, "retry", False),
        (301, "retry", None),
    ],
)
def test_statuses(status: int, state: str, host_up: bool | None) -> None:
    out = judge(claim(), status, NOW)
    assert (out.state, out.status, out.host_up) == (state, status, host_up)
    assert (out.id, out.host, out.inbox) == (7, "elm.example", claim().inbox)
    if state == "retry":
        assert out.next_try == NOW + backoff.FIRST_DELAY
        assert out.error == f"HTTP {status}"


def test_the_last_attempt_fails_the_row() -> None:
    out = judge(claim(backoff.MAX_ATTEMPTS), 503, NOW)
    assert out.state == "failed"
    assert out.error == f"gave up after {backoff.MAX_ATTEMPTS} attempts: HTTP 503"
    assert judge(claim(backoff.MAX_UNAUTHORIZED_ATTEMPTS), 401, NOW).state == "failed"


def test_retry_after_lengthens_but_never_shortens_the_wait() -> None:
    assert judge(claim(), 429, NOW, retry_after=600).next_try == NOW + 600
    assert judge(claim(), 503, NOW, retry_after=1).next_try == NOW + backoff.FIRST_DELAY
    capped = judge(claim(), 429, NOW, retry_after=10**9).next_try
    assert capped == NOW + backoff.MAX_DELAY


def test_transport_errors_count_against_the_host() -> None:
    out = retry(claim(2), NOW, "ConnectError: refused", host_up=False)
    assert (out.state, out.next_try, out.host_up) == ("retry", NOW + 60, False)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("", None), ("Wed, 21 Oct 2026 07:28:00 GMT", None), ("-5", None)],
)
def test_retry_after_header(header: str, seconds: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})
    assert retry_after_seconds(response) == seconds
