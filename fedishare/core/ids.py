"""Reading the ids that apps send (status, notification, media, account ids, paging ids).

Every id we give out is a positive SQLite integer, so anything else names nothing: text with
other characters ("²" and "٣" are digits to `str.isdigit`, not to us) or a number past
SQLite's range, which would otherwise overflow in the query. One reading for the whole
client API, so that a bad id is "not found" (or a bad paging parameter) everywhere alike
instead of a crash in one place.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1  # SQLite's largest INTEGER
_DIGITS = frozenset("0123456789")


def parse_id(text: str | None) -> int | None:
    """The id `text` spells (ASCII digits, 1 to 2**63-1); None for anything else."""
    if not text or len(text) > 19 or not _DIGITS.issuperset(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
