"""Paging a client API list: the page asked for (`max_id`, `since_id`, `min_id`, `limit`)
and the `Link` header (`next`, `prev`) built from the ids of the page returned."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from starlette.requests import Request

from fedishare.client_api.params import Params
from fedishare.core.ids import MAX_ID, parse_id
from fedishare.core.paging import Page


def _id(params: Params, name: str) -> int | None:
    """A paging id. As Mastodon, whose schema has no 400 for these lists, nothing is
    refused: digits past every id are the largest id (so `since_id` of one finds nothing
    and `max_id` everything), text that names no id bounds nothing, 0 is the start."""
    text = params.text(name) or ""
    if text.isascii() and text.isdigit():
        return parse_id(text) or (0 if int(text) == 0 else MAX_ID)
    return None


def page_of(params: Params, *, default: int = 20, most: int = 40) -> Page:
    return Page(
        limit=params.integer("limit", default, lowest=1, highest=most) or default,
        max_id=_id(params, "max_id"),
        since_id=_id(params, "since_id"),
        min_id=_id(params, "min_id"),
    )


def link_header(request: Request, ids: Sequence[int | str]) -> dict[str, str]:
    """`Link: <…?max_id=OLDEST>; rel="next", <…?min_id=NEWEST>; rel="prev"` for a page
    (newest first) with these ids; nothing for an empty page. Other query parameters (such as
    `types[]`) are kept; the paging ones are replaced."""
    if not ids:
        return {}
    kept = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in ("max_id", "since_id", "min_id")
    ]
    base = str(request.url.replace(query=""))

    def url(name: str, value: int | str) -> str:
        return f"{base}?{urlencode([*kept, (name, str(value))])}"

    return {
        "Link": f'<{url("max_id", ids[-1])}>; rel="next", <{url("min_id", ids[0])}>; rel="prev"'
    }
