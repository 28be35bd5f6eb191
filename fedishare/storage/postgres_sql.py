"""Storage modules' SQL (SQLite's dialect) as PostgreSQL runs it: one rule per difference.

Each statement is translated once and kept (`translate` is cached). Rules, in order:

- string literals and quoted names are left alone;
- parameters: `?` and `:name` become `$1`, `$2`...; a `:name` used twice is one parameter;
- ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING``;
- ``INDEXED BY index`` (a hint to SQLite's planner) goes; so does the unary ``+`` that keeps
  SQLite from using a column's index (``+l.status``): PostgreSQL has statistics instead;
- ``LIKE`` becomes ``ILIKE``: SQLite's LIKE ignores the case of ASCII letters;
- ``instr(a, b)`` is ``strpos(a, b)``; ``ifnull`` is ``coalesce``;
- the scalar ``max(a, b)`` and ``min(a, b)`` are ``greatest`` and ``least``;
- ``x IS ?`` (SQLite's equality that holds for NULLs too) is ``IS NOT DISTINCT FROM``;
- ``CAST(x AS REAL)`` is double precision (PostgreSQL's REAL is single), INTEGER is BIGINT;
- ``IN (SELECT value FROM json_each(?))`` (a JSON array bound as one parameter, SQLite's way
  to bind a list) is ``= ANY($n)``, and the parameter is bound as the list itself;
- ``LIMIT -1`` (no limit) is ``LIMIT ALL``;
- ``x IN name`` (SQLite's membership in a table or a WITH's result) is
  ``x IN (SELECT * FROM name)``.

Whatever else differs is written per dialect where it is used (`Database.dialect`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_LITERAL = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_MASK = "\x00{}\x00"
_MASKED = re.compile(r"\x00(\d+)\x00")
_PARAM = re.compile(r"\?|(?<![:\w]):([A-Za-z_]\w*)")
_JSON_LIST = re.compile(
    r"(NOT\s+)?IN\s*\(\s*SELECT\s+value\s+FROM\s+json_each\(\s*(\?|:[A-Za-z_]\w*)\s*\)\s*\)",
    re.IGNORECASE,
)
_SIMPLE = [
    (re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE), ""),
    (re.compile(r"(^|[\s(,])\+(?=[A-Za-z_]\w*\.\w)"), r"\1"),
    (re.compile(r"\bNOT\s+LIKE\b", re.IGNORECASE), "NOT ILIKE"),
    (re.compile(r"(?<!NOT )\bLIKE\b", re.IGNORECASE), "ILIKE"),
    (re.compile(r"\binstr\(", re.IGNORECASE), "strpos("),
    (re.compile(r"\bifnull\(", re.IGNORECASE), "coalesce("),
    (re.compile(r"\bIS\s+NOT\s+(?=\?|:[A-Za-z_])", re.IGNORECASE), "IS DISTINCT FROM "),
    (re.compile(r"\bIS\s+(?=\?|:[A-Za-z_])", re.IGNORECASE), "IS NOT DISTINCT FROM "),
    (re.compile(r"\bAS\s+REAL\s*\)", re.IGNORECASE), "AS DOUBLE PRECISION)"),
    (re.compile(r"\bAS\s+INTEGER\s*\)", re.IGNORECASE), "AS BIGINT)"),
    (re.compile(r"\bLIMIT\s+-1\b", re.IGNORECASE), "LIMIT ALL"),
    (
        re.compile(r"\bIN\s+(?!SELECT\b)([A-Za-z_]\w*)\b(?!\s*[(.])", re.IGNORECASE),
        r"IN (SELECT * FROM \1)",
    ),
]
_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\sRETURNING\s", re.IGNORECASE)
_SCALAR = re.compile(r"\b(max|min)\(", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Statement:
    """A translated statement: `sql` for asyncpg, and how to build its arguments: `order`
    gives each `$n`'s source (a position or a name), `lists` the `$n`s (0-based) whose value
    is bound as a list decoded from the JSON text passed."""

    sql: str
    order: tuple[int | str, ...]
    lists: frozenset[int]

    def arguments(self, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
        if isinstance(params, dict):
            values = [params[str(key)] for key in self.order]
        else:
            values = [params[int(key)] for key in self.order]
            if len(params) != len(self.order):
                raise ValueError(f"{len(params)} parameters for {len(self.order)} in {self.sql}")
        for index in self.lists:
            value = values[index]
            values[index] = json.loads(value) if isinstance(value, str) else list(value)
        return values


@lru_cache(maxsize=4096)
def translate(sql: str) -> Statement:
    literals: list[str] = []

    def mask(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return _MASK.format(len(literals) - 1)

    text = _LITERAL.sub(mask, sql)
    ignore = _OR_IGNORE.search(text) is not None
    text = _OR_IGNORE.sub("INSERT INTO", text)
    for pattern, replacement in _SIMPLE:
        text = pattern.sub(replacement, text)
    text = _scalar_max_min(text)

    def as_any(match: re.Match[str]) -> str:
        return ("<> ALL(" if match.group(1) else "= ANY(") + "\x01" + match.group(2) + ")"

    text = _JSON_LIST.sub(as_any, text)
    if ignore:
        returning = _RETURNING.search(text)
        at = returning.start() if returning else len(text.rstrip().rstrip(";"))
        text = text[:at] + " ON CONFLICT DO NOTHING" + text[at:]
    order: list[int | str] = []
    names: dict[str, int] = {}
    lists: set[int] = set()
    position = 0

    def number(match: re.Match[str]) -> str:
        nonlocal position
        listed = match.start() > 0 and text[match.start() - 1] == "\x01"
        name = match.group(1)
        if name is None:
            order.append(position)
            position += 1
            index = len(order) - 1
        elif name in names:
            index = names[name]
        else:
            order.append(name)
            index = names[name] = len(order) - 1
        if listed:
            lists.add(index)
        return f"${index + 1}"

    text = _PARAM.sub(number, text).replace("\x01", "")
    text = _MASKED.sub(lambda m: literals[int(m.group(1))], text)
    return Statement(text, tuple(order), frozenset(lists))


def _scalar_max_min(text: str) -> str:
    """max(a, b) -> greatest(a, b), min(a, b) -> least(a, b); the aggregates stay."""
    out: list[str] = []
    at = 0
    for match in _SCALAR.finditer(text):
        if match.start() < at:
            continue
        depth, comma, i = 0, False, match.end()
        while i < len(text):
            c = text[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                comma = True
            i += 1
        if comma:
            name = "greatest(" if match.group(1).lower() == "max" else "least("
            out.append(text[at : match.start()] + name)
            at = match.end()
    out.append(text[at:])
    return "".join(out)
