"""JSON text: read fast (orjson, with the standard library for what orjson refuses), and
written compactly.

Every inbox POST is parsed once when it arrives and once more when the worker processes it;
orjson reads a 1.5 kB activity in about a third of the time. It refuses what the standard
library reads leniently (NaN and Infinity, lone surrogates), so text that it refuses is read
again by ``json``, and what neither reads raises ValueError. One difference remains: an
integer beyond 64 bits is read as a float, as JavaScript servers read it too.

Neither parser is given text nested deeper than `json_depth.MAX_DEPTH` levels: the standard
library's recurses, and would fail with a RecursionError (`json_depth.TooDeep` instead).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from fedishare.core.json_depth import check_depth


def parse_json(text: bytes | str) -> Any:
    """The value of a JSON text; ValueError (``json.JSONDecodeError``, UnicodeDecodeError
    for bytes that are not UTF-8, TooDeep for nesting past the limit) if it is not one."""
    check_depth(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def compact_json(value: Any) -> str:
    """`value` as JSON text without spaces, non-ASCII kept as is: how documents are stored
    and served."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
