from datetime import UTC, datetime, timedelta, timezone

import pytest

from fedishare.federation.dates import check_freshness, http_date, parse_http_date
from fedishare.federation.errors import DateOutOfRange, MalformedSignature

NOW = datetime(2024, 7, 2, 10, 0, tzinfo=UTC)


def test_http_date_is_imf_fixdate() -> None:
    assert http_date(NOW) == "Tue, 02 Jul 2024 10:00:00 GMT"
    assert http_date(datetime(2025, 1, 5, 3, 4, 5, 999999, tzinfo=UTC)) == (
        "Sun, 05 Jan 2025 03:04:05 GMT"
    )


def test_http_date_converts_to_gmt() -> None:
    paris = timezone(timedelta(hours=2))
    assert http_date(datetime(2024, 7, 2, 12, 0, tzinfo=paris)) == "Tue, 02 Jul 2024 10:00:00 GMT"


def test_http_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        http_date(datetime(2024, 7, 2, 10, 0))


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 02 Jul 2024 10:00:00 GMT",
        "Tuesday, 02-Jul-24 10:00:00 GMT",
        "Tue Jul  2 10:00:00 2024",
        "Tue, 02 Jul 2024 12:00:00 +0200",
    ],
)
def test_parse_http_date_formats(value: str) -> None:
    assert parse_http_date(value) == NOW
    assert parse_http_date(value).tzinfo is not None


@pytest.mark.parametrize("value", ["", "yesterday", "Tue, 32 Jul 2024 10:00:00 GMT"])
def test_parse_http_date_rejects_garbage(value: str) -> None:
    with pytest.raises(MalformedSignature):
        parse_http_date(value)


def test_freshness_window_is_one_hour_either_side() -> None:
    hour = timedelta(hours=1)
    check_freshness(NOW - hour, NOW)
    check_freshness(NOW + hour, NOW)
    with pytest.raises(DateOutOfRange, match="too old"):
        check_freshness(NOW - hour - timedelta(seconds=1), NOW)
    with pytest.raises(DateOutOfRange, match="future"):
        check_freshness(NOW + hour + timedelta(seconds=1), NOW)


def test_freshness_honours_expiry_with_skew() -> None:
    check_freshness(NOW, NOW, expires=NOW - timedelta(minutes=59))
    with pytest.raises(DateOutOfRange, match="expired"):
        check_freshness(NOW, NOW, expires=NOW - timedelta(minutes=61))
