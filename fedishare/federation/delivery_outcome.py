"""What an attempt's answer means for its delivery row: a pure function per case.

Any 2xx is delivered. 410 means the inbox is gone for good. Other 4xx fail at once, except
401 (the receiver may not have fetched our key yet: retried a few times) and 408/429
(retried, honouring Retry-After). 5xx, 1xx/3xx, timeouts and refused connections are retried
with backoff; those that show the host failing (5xx, 408, 429, transport errors) count toward
pausing it, and any sensible answer resets its count.
"""

from __future__ import annotations

import httpx

from fedishare.federation.backoff import (
    MAX_ATTEMPTS,
    MAX_DELAY,
    MAX_UNAUTHORIZED_ATTEMPTS,
    retry_delay,
)
from fedishare.storage.deliveries import Claim, Outcome, State


def judge(claim: Claim, status: int, now: float, *, retry_after: float | None = None) -> Outcome:
    """The outcome of an attempt that got an HTTP answer with `status`."""
    if 200 <= status < 300:
        return outcome_of(claim, "delivered", status=status, host_up=True)
    if status == 410:
        return outcome_of(claim, "gone", status=status, error="410 Gone", host_up=True)
    error = f"HTTP {status}"
    if status == 401:
        return retry(claim, now, error, status=status, max_attempts=MAX_UNAUTHORIZED_ATTEMPTS)
    if status in (408, 429) or status >= 500:
        return retry(claim, now, error, status=status, host_up=False, retry_after=retry_after)
    if 400 <= status < 500:
        return outcome_of(claim, "failed", status=status, error=error, host_up=True)
    # 1xx and 3xx: an inbox does not redirect; maybe a misconfigured proxy that gets fixed.
    return retry(claim, now, error, status=status)


def retry(
    claim: Claim,
    now: float,
    error: str,
    *,
    status: int | None = None,
    host_up: bool | None = None,
    retry_after: float | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Outcome:
    """Try again after the backoff for this attempt, or give up once attempts run out."""
    delay = retry_delay(claim.attempts, max_attempts=max_attempts)
    if delay is None:
        reason = f"gave up after {claim.attempts} attempts: {error}"
        return outcome_of(claim, "failed", status=status, error=reason, host_up=host_up)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_DELAY))
    return outcome_of(
        claim, "retry", next_try=now + delay, status=status, error=error, host_up=host_up
    )


def outcome_of(
    claim: Claim,
    state: State,
    *,
    next_try: float | None = None,
    status: int | None = None,
    error: str | None = None,
    host_up: bool | None = None,
) -> Outcome:
    return Outcome(
        id=claim.id,
        host=claim.host,
        inbox=claim.inbox,
        state=state,
        next_try=next_try,
        status=status,
        error=error,
        host_up=host_up,
    )


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
