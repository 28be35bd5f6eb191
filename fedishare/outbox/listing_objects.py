"""Routes: the vocabulary document, and our listings at their ids."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.http.responses import ActivityJSONResponse
from fedishare.listings.vocabulary import vocabulary_document
from fedishare.storage import listings as store

LD_JSON = "application/ld+json"


class LDJSONResponse(Response):
    media_type = LD_JSON

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, indent=1).encode("utf-8")


async def vocabulary(request: Request) -> Response:
    return LDJSONResponse(vocabulary_document(), headers={"Cache-Control": "max-age=86400"})


async def listing(request: Request) -> Response:
    """One of our listings as its Note; a deleted one answers 410 with its Tombstone.
    Followers-only listings are not served to whoever asks (no signed-fetch check yet)."""
    inst: Instance = request.state.instance
    stored = await store.get_document(inst.db, f"{inst.urls.base}{request.url.path}")
    if stored is None:
        raise NotFound("no such listing")
    document, deleted = stored
    if deleted:
        return ActivityJSONResponse(document, status_code=410)
    found = await store.get(inst.db, document["id"])
    if found is None or not found.is_local or found.visibility == "followers":
        raise NotFound("no such listing")
    return ActivityJSONResponse(document)


routes = [
    Route("/ns", vocabulary),
    Route("/listings/{uuid}", listing),
]
