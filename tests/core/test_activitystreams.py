from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from fedishare.core.activitystreams import iso, parse_iso

AT = datetime(2026, 5, 1, 10, 0, 7, tzinfo=UTC)


def test_times_written_by_iso_read_back() -> None:
    assert iso(AT) == "2026-05-01T10:00:07Z"
    assert parse_iso(iso(AT)) == AT


def test_offsets_and_fractions_are_kept() -> None:
    found = parse_iso("2026-05-01T12:00:07.250+02:00")
    assert found == AT + timedelta(milliseconds=250)
    assert found is not None and found.utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)


def test_anything_that_names_no_moment_is_none() -> None:
    for value in ("2026-05-01T10:00:07", "yesterday", "", None, 1714557607, ["2026"]):
        assert parse_iso(value) is None, value
