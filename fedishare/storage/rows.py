"""Rows as dataclasses: a dataclass whose fields are named as the table's columns is read
from a row by `from_row`, and nothing else needs writing.

SQLite keeps neither booleans nor JSON documents: a field typed ``bool`` is stored as 0 or 1
and read back with `bool`, a field typed ``JSON`` is stored as JSON text and read back with
`json.loads`; every other field takes the column's value as it is.

Reads of many rows by key go `IN ({marks(chunk)})` for each of `chunks(keys)`, so that no
statement binds more values than SQLite allows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Sized
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from fedishare.core.types import JSON
from fedishare.storage.database import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")
K = TypeVar("K", bound=Hashable)
Reader = Callable[[Any], Any]

_READERS: dict[object, Reader] = {bool: bool, JSON: json.loads}

CHUNK = 500  # values per IN (...), well below SQLite's limit on bound parameters


def from_row(cls: type[D], row: Row) -> D:
    """The `cls` whose fields take the values of the row's columns of the same names."""
    return cls(
        **{name: row[name] if read is None else read(row[name]) for name, read in _fields(cls)}
    )


@cache
def _fields(cls: type[DataclassInstance]) -> tuple[tuple[str, Reader | None], ...]:
    """Each field's name, with the function that reads its column when not taken as is."""
    hints = get_type_hints(cls)
    return tuple((f.name, _READERS.get(hints[f.name])) for f in fields(cls))


def chunks(values: Iterable[K], size: int = CHUNK) -> list[list[K]]:
    """The distinct `values`, in their order, in lists of at most `size`."""
    unique = list(dict.fromkeys(values))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def marks(values: Sized) -> str:
    """One placeholder per value, for `IN (...)`: "?, ?, ?"."""
    return ", ".join("?" * len(values))
