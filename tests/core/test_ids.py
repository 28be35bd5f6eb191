"""Ids as apps send them: ASCII digits within SQLite's integers, nothing else."""

from __future__ import annotations

import pytest

from fedishare.core.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("117732241506304002", 117732241506304002),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # 9223372036854775808: SQLite would overflow
        ("9999999999999999999", None),
        ("99999999999999999999", None),
        ("0", None),
        ("", None),
        (None, None),
        ("²", None),  # str.isdigit() says yes
        ("٣", None),  # so does int(): an Arabic-Indic three
        ("12a", None),
        ("-5", None),
        (" 5", None),
        ("+5", None),
    ],
)
def test_parse_id(text: str | None, expected: int | None) -> None:
    assert parse_id(text) == expected
