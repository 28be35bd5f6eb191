"""Routes: the vocabulary document of our listing terms. (Our listings at their ids are
served by fedishare/web/listing_pages.py: a page to browsers, the Note to servers.)"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedishare.listings.vocabulary import vocabulary_document

LD_JSON = "application/ld+json"


class LDJSONResponse(Response):
    media_type = LD_JSON

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, indent=1).encode("utf-8")


async def vocabulary(request: Request) -> Response:
    return LDJSONResponse(vocabulary_document(), headers={"Cache-Control": "max-age=86400"})


routes = [
    Route("/ns", vocabulary),
]
