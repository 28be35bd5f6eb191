"""How deeply a JSON text nests, found without parsing it: a guard run before any parser
that recurses.

A JSON text of 20,000 nested arrays fits in 40 kB. orjson refuses it (its limit is 1,024
levels) and the standard library's parser recurses until Python's own limit stops it, with
a RecursionError rather than a ValueError. So every JSON text from another server or a
client is scanned first, iteratively, and one nested deeper than MAX_DEPTH levels is
refused as TooDeep, a ValueError like any other bad JSON.

Cost: every inbox POST is scanned. A text with no more than MAX_DEPTH opening brackets in
all cannot nest deeper, which two `bytes.count` calls show (a few µs for a 2 kB activity,
most of which have a few dozen brackets). Only a text with more is scanned properly, at C
speed but for one step: strings are cut out (a bracket inside one does not count), every
byte but the brackets is deleted, the rest mapped to +1 and -1, and the highest running sum
taken; about as long as orjson takes to parse the same text.
"""

from __future__ import annotations

import re
from itertools import accumulate

# Deeper than any activity or actor document in use (Mastodon's nest five or six levels),
# far below where a parser's recursion could be exhausted.
MAX_DEPTH = 64

# A JSON string: a quote, then anything but a quote or a backslash, or an escaped byte; up
# to the closing quote or, in text that is not JSON, to the end. Possessive, so that text
# full of quotes and backslashes is still read once, never backtracked over.
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class TooDeep(ValueError):
    """A JSON text nests arrays and objects deeper than the limit."""


def check_depth(text: bytes | str, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep if `text`, read as JSON, has more than `limit` arrays and objects open
    at some point (brackets in strings not counted). Text that is not JSON is judged the
    same way: a parser never recurses deeper than that before it fails."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    if data.count(b"[") + data.count(b"{") <= limit:
        return
    steps = _STRING.sub(b"", data).translate(_STEPS, _NOT_BRACKETS)
    if max(accumulate(memoryview(steps).cast("b")), default=0) > limit:
        raise TooDeep(f"JSON nested deeper than {limit} levels")
