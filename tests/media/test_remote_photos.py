"""Other servers' photos, as pages load them: fetched once from where a listing says, cleaned
like an upload, then served from here; never fetched for a URL that no listing shows; a
slow or broken server gets a placeholder and is not asked again within the hour."""

from __future__ import annotations

import asyncio
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedishare.core.listing import Image as ListingImage
from fedishare.core.listing import Listing
from fedishare.listings.ingest import keep
from fedishare.listings.wire import to_note
from fedishare.remote import media as remote_media
from fedishare.storage import media as media_store
from fedishare.web.photos import photo_src
from tests.clock import FakeClock
from tests.harness import Network, Node, network
from tests.listings.factory import listing
from tests.media.photos import has_gps, phone_jpeg

PICS = "http://pics.test"


class PhotoServer:
    """pics.test: serves a phone photo (GPS and all) at /bike.jpg, a web page at /page.jpg,
    a photo that takes a long time at /slow.jpg, and a redirect at /moved.jpg."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.photo = phone_jpeg((2000, 1000))
        self.app = Starlette(routes=[Route("/{name}", self.serve)])

    async def serve(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.asked.append(name)
        if name == "page.jpg":
            return Response("<html>not a photo</html>", media_type="text/html")
        if name == "slow.jpg":
            await asyncio.sleep(5)
        if name == "moved.jpg":
            return Response(status_code=302, headers={"Location": "/bike.jpg"})
        return Response(self.photo, media_type="image/jpeg")


async def _elms_listing(node: Node, *names: str) -> Listing:
    """A listing of another server's, kept here, showing photos on pics.test."""
    images = tuple(ListingImage(f"{PICS}/{n}", f"Photo {n}") for n in names)
    remote = listing(
        id="http://elm.test/listings/1",
        author="http://elm.test/users/bob",
        origin="remote",
        images=images,
        published=node.instance.clock(),
        updated=node.instance.clock(),
    )
    await keep(node.instance, remote, to_note(remote, "http://elm.test"))
    return remote


@pytest.fixture
async def oak_and_pics(net: Network) -> tuple[Node, PhotoServer]:
    server = PhotoServer()
    net.router.add("pics.test", server.app)
    return await net.add("oak.test"), server


async def test_a_remote_photo_is_fetched_once_cleaned_and_served_from_here(
    oak_and_pics: tuple[Node, PhotoServer],
) -> None:
    node, server = oak_and_pics
    await _elms_listing(node, "bike.jpg")
    image = ListingImage(f"{PICS}/bike.jpg", "Photo")
    src = photo_src(image)
    assert src == "/media/photo?src=" + quote(f"{PICS}/bike.jpg", safe="")
    first = await node.client.get(node.base + src)
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert not has_gps(first.content) and b"PhoneCo" not in first.content
    with Image.open(BytesIO(first.content)) as served:
        assert served.size == (1600, 800)
    small = await node.client.get(node.base + photo_src(image, thumbnail=True))
    with Image.open(BytesIO(small.content)) as served:
        assert served.size == (400, 200)
    again = await node.client.get(node.base + src)
    assert again.content == first.content
    assert server.asked == ["bike.jpg"]  # once, whatever the pages ask
    cached = await media_store.find_remote(node.instance.db, f"{PICS}/bike.jpg")
    assert cached is not None and cached.owner_id is None and cached.width == 1600


async def test_a_redirect_is_followed_to_the_photo(
    oak_and_pics: tuple[Node, PhotoServer],
) -> None:
    node, server = oak_and_pics
    await _elms_listing(node, "moved.jpg")
    r = await node.client.get(node.base + photo_src(ListingImage(f"{PICS}/moved.jpg", "")))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert server.asked == ["moved.jpg", "bike.jpg"]


async def test_no_listing_shows_it_so_it_is_never_fetched(
    oak_and_pics: tuple[Node, PhotoServer],
) -> None:
    node, server = oak_and_pics
    await _elms_listing(node, "bike.jpg")
    r = await node.client.get(node.base + photo_src(ListingImage(f"{PICS}/other.jpg", "")))
    assert r.status_code == 404
    r = await node.client.get(node.base + "/media/photo?src=file%3A%2F%2F%2Fetc%2Fpasswd")
    assert r.status_code == 400
    r = await node.client.get(node.base + "/media/photo?src=http%3A%2F%2Foak.test%2Fmedia%2F..%2Fx")
    assert r.status_code == 404
    assert server.asked == []


async def test_what_is_no_photo_gets_a_placeholder_and_is_not_asked_again_soon(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with network(tmp_path, clock) as net:
        server = PhotoServer()
        net.router.add("pics.test", server.app)
        node = await net.add("oak.test")
        await _elms_listing(node, "page.jpg")
        src = node.base + photo_src(ListingImage(f"{PICS}/page.jpg", ""))
        for _ in range(2):
            r = await node.client.get(src)
            assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
            assert r.headers["cache-control"] == "no-store"
        assert server.asked == ["page.jpg"]
        clock.advance(seconds=remote_media.RETRY_SECONDS + 1)
        await node.client.get(src)
        assert server.asked == ["page.jpg", "page.jpg"]


async def test_a_slow_server_makes_no_page_wait_long(
    oak_and_pics: tuple[Node, PhotoServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    node, server = oak_and_pics
    monkeypatch.setattr(remote_media, "FETCH_SECONDS", 0.3)
    await _elms_listing(node, "slow.jpg")
    loop = asyncio.get_running_loop()
    started = loop.time()
    r = await node.client.get(node.base + photo_src(ListingImage(f"{PICS}/slow.jpg", "")))
    assert loop.time() - started < 3
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    failed = await media_store.find_remote(node.instance.db, f"{PICS}/slow.jpg")
    assert failed is not None and failed.failed
    assert server.asked == ["slow.jpg"]
