"""What the board's form asks for: the values as typed (for the form and its links), the
board's defaults, and the search they make, read by the same `parse_query` as the JSON API.

A form sends every field, empty or not; an empty field means "not given". When the page is
opened without a place, the form is prefilled with the member's or the community's, with no
distance limit: cards then say how far each listing is, and nothing is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from fedishare.core.errors import Invalid
from fedishare.listings.search import ANY_DISTANCE, DEFAULT_RADIUS_KM, parse_query
from fedishare.storage.listing_search import Query, fts_query

# The form's fields, as parse_query names them.
FIELDS = (
    "purpose", "kind", "status", "origin", "q", "lat", "lon", "radius", "order", "from", "to",
    "party",
)  # fmt: skip
# What else a board's address may say; anything more (a tracker's tag on a shared link) is
# left out rather than refused.
ADDRESS_ONLY = ("offset", "limit", "tag")
# Reserved listings stay on the board (marked so): someone may be next in line.
DEFAULT_STATUS = "open,reserved"


@dataclass(frozen=True)
class BoardFilters:
    params: dict[str, str]  # what was asked for, defaults included: the form's values
    query: Query | None  # None when a parameter was refused
    errors: dict[str, str]  # a refusal's reason by form field, "" for any other parameter
    refusal: Invalid | None = None
    refined: bool = False  # a filter besides the words differs from the board's defaults

    def link(self, path: str, **changes: str | None) -> str:
        """`path` with these parameters, changed (None removes one)."""
        params = {**self.params, **changes}
        kept = {k: v for k, v in params.items() if v is not None}
        return f"{path}?{urlencode(kept)}" if kept else path


def read(
    given: Mapping[str, str], *, tag: str | None = None, place: tuple[float, float] | None = None
) -> BoardFilters:
    """The board's filters from a page's query string; `tag` comes from the page's path and
    `place` (the member's or the community's) prefills an empty form."""
    known = {k: v for k, v in given.items() if k in FIELDS or k in ADDRESS_ONLY}
    typed = {k: v.strip() for k, v in known.items() if v.strip()}
    params = _with_defaults(typed, known.keys(), tag, place)
    words = {"q": typed["q"]} if "q" in typed else {}
    usual = _with_defaults(words, words.keys(), tag, place)
    refined = any(params.get(k) != usual.get(k) for k in FIELDS)
    try:
        query = parse_query(params)
    except Invalid as refusal:
        name, _, reason = refusal.reason.partition(": ")
        field = name if name in FIELDS and reason else ""
        errors = {field: reason if field else refusal.reason}
        return BoardFilters(params, None, errors, refusal, refined)
    return BoardFilters(params, query, {}, None, refined)


def _with_defaults(
    typed: dict[str, str],
    given: Iterable[str],
    tag: str | None,
    place: tuple[float, float] | None,
) -> dict[str, str]:
    """The parameters with the board's defaults for those the query string leaves out."""
    named = set(given)
    params = dict(typed)
    if tag is not None:
        params["tag"] = tag
    if place is not None and "lat" not in named and "lon" not in named:
        params["lat"], params["lon"] = (f"{x:.2f}" for x in place)
        params.setdefault("radius", ANY_DISTANCE)
    elif ("lat" in params or "lon" in params) and "radius" not in params:
        params["radius"] = f"{DEFAULT_RADIUS_KM:g}"  # what parse_query takes: the form shows it
    if "status" not in named:
        params["status"] = DEFAULT_STATUS
    if "order" not in named:
        params["order"] = "relevance" if fts_query(params.get("q", "")) else "newest"
    return params
