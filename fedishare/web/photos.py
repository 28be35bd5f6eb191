"""Where a page loads a listing's photo from, and the routes that serve photos.

Pages load every photo from this instance: `photo_src` points at /media/photo, which
serves our own files, or our copy of another server's photo (fetched the first time it is
asked for: `fedishare.remote.media`). Our files are also served at /media/NAME, the URLs
that our listings' attachments carry for other servers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound
from fedishare.core.listing import Image
from fedishare.media import files
from fedishare.media.processing import MEDIA_TYPE
from fedishare.remote.media import cached_photo

SMALL = "small"
# Files never change under a name, and a cached copy of another server's photo stands.
_CACHE = {"Cache-Control": "public, max-age=2592000, immutable"}
# While another server's photo cannot be had: a plain box, asked for again next time.
_PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3">'
    '<rect width="4" height="3" fill="#d5dae0"/></svg>'
)


def photo_src(image: Image, *, thumbnail: bool = False) -> str:
    """The URL a page shows for `image`: always on this instance."""
    src = "/media/photo?src=" + quote(image.url, safe="")
    return src + f"&size={SMALL}" if thumbnail else src


async def photo(request: Request) -> Response:
    """/media/photo?src=URL[&size=small]: the photo a listing shows at URL, from here."""
    inst: Instance = request.state.instance
    src = request.query_params.get("src", "")
    small = request.query_params.get("size") == SMALL
    if not src.startswith(("https://", "http://")):
        raise Invalid("src: the URL of a listing's photo")
    ours = f"{inst.urls.base}/media/"
    if src.startswith(ours):
        name = urlsplit(src).path.removeprefix("/media/")
        return await _file(inst, files.thumbnail_name(name) if small else name)
    cached = await cached_photo(inst, src)
    if cached is None:
        return Response(
            _PLACEHOLDER, media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
        )
    return await _file(inst, cached.thumbnail_path if small else cached.path)


async def stored(request: Request) -> Response:
    """/media/AB/NAME.jpg: one of our files, at the URL our attachments carry."""
    inst: Instance = request.state.instance
    return await _file(inst, f"{request.path_params['shard']}/{request.path_params['name']}")


async def _file(inst: Instance, name: str) -> Response:
    path: Path | None = files.location(inst.config.instance.media, name)
    if path is None or not await asyncio.to_thread(path.is_file):
        raise NotFound("no such photo")
    return FileResponse(path, media_type=MEDIA_TYPE, headers=_CACHE)


routes: list[BaseRoute] = [
    Route("/media/photo", photo),
    Route("/media/{shard}/{name}", stored),
]
