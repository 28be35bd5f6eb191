"""The retry schedule and host pauses, as pure functions."""

from __future__ import annotations

import pytest

from fedishare.federation import backoff


def test_the_schedule_doubles_from_30_seconds_up_to_12_hours() -> None:
    assert backoff.schedule()[:6] == [30, 60, 120, 240, 480, 960]
    assert backoff.schedule()[-3:] == [12 * 3600] * 3
    assert len(backoff.schedule()) == backoff.MAX_ATTEMPTS - 1


def test_a_delivery_is_given_up_about_two_days_after_its_first_attempt() -> None:
    hours = sum(backoff.schedule()) / 3600
    assert 48 <= hours <= 56
    assert backoff.retry_delay(backoff.MAX_ATTEMPTS - 1) == 12 * 3600
    assert backoff.retry_delay(backoff.MAX_ATTEMPTS) is None
    assert backoff.retry_delay(3, max_attempts=3) is None
    assert backoff.retry_delay(2, max_attempts=3) == 60


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError):
        backoff.retry_delay(0)


def test_a_host_is_paused_only_after_repeated_failures_and_ever_longer() -> None:
    first = backoff.HOST_FAILURES_BEFORE_PAUSE
    assert [backoff.host_pause(n) for n in range(first)] == [0.0] * first
    assert backoff.host_pause(first) == 30
    assert backoff.host_pause(first + 1) == 60
    assert backoff.host_pause(first + 100) == backoff.MAX_HOST_PAUSE == 6 * 3600
