"""Finding a peer's community: its NodeInfo names it, else acct:community@DOMAIN."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.listings.peers import PeerError, find_community, list_peers, normalize_domain
from tests.harness import Network, Node

NODEINFO = "http://nodeinfo.diaspora.software/ns/schema/2.0"


def far_server(community: str | None, *, nodeinfo_host: str = "far.test") -> Starlette:
    """A server whose NodeInfo names `community` (None: names nothing), and whose WebFinger
    knows every name as an actor at /u/NAME."""

    async def index(request: Request) -> Response:
        href = f"http://{nodeinfo_host}/nodeinfo/2.0"
        return JSONResponse({"links": [{"rel": NODEINFO, "href": href}]})

    async def nodeinfo(request: Request) -> Response:
        metadata = {} if community is None else {"community": community}
        return JSONResponse({"version": "2.0", "metadata": metadata})

    async def webfinger(request: Request) -> Response:
        user = request.query_params["resource"].removeprefix("acct:").partition("@")[0]
        link = {
            "rel": "self",
            "type": "application/activity+json",
            "href": f"http://far.test/u/{user}",
        }
        return JSONResponse({"subject": f"acct:{user}@far.test", "links": [link]})

    return Starlette(
        routes=[
            Route("/.well-known/nodeinfo", index),
            Route("/nodeinfo/2.0", nodeinfo),
            Route("/.well-known/webfinger", webfinger),
        ]
    )


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        ("@hood@far.test", "http://far.test/u/hood"),
        ("hood@far.test", "http://far.test/u/hood"),
        (None, "http://far.test/u/community"),  # no community in NodeInfo
        ("@hood@elsewhere.test", "http://far.test/u/community"),  # not its own
        ("nonsense", "http://far.test/u/community"),
    ],
)
async def test_the_community_is_found(
    net: Network, node: Node, named: str | None, expected: str
) -> None:
    net.router.add("far.test", far_server(named))
    assert await find_community(node.instance, "far.test") == expected


async def test_a_nodeinfo_elsewhere_is_not_followed(net: Network, node: Node) -> None:
    net.router.add("far.test", far_server("@hood@far.test", nodeinfo_host="other.test"))
    assert await find_community(node.instance, "far.test") == "http://far.test/u/community"


async def test_no_community_found(node: Node) -> None:
    with pytest.raises(PeerError, match=r"nowhere\.test: no community found"):
        await find_community(node.instance, "nowhere.test")


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("Far.Test", "far.test"),
        ("far.test:8080", "far.test:8080"),
        ("https://far.test/", "far.test"),
        ("http://far.test:80", "far.test"),
        ("127.0.0.1:9000", "127.0.0.1:9000"),
    ],
)
def test_domains(node: Node, given: str, domain: str) -> None:
    assert normalize_domain(node.instance, given) == domain


@pytest.mark.parametrize("given", ["", "far test", "a@far.test", "far.test/path", "-far.test"])
def test_not_domains(node: Node, given: str) -> None:
    with pytest.raises(PeerError, match="is not a domain"):
        normalize_domain(node.instance, given)
    with pytest.raises(PeerError, match=r"oak\.test is this instance"):
        normalize_domain(node.instance, "oak.test")


async def test_no_peers_at_first(node: Node) -> None:
    assert await list_peers(node.instance) == []
