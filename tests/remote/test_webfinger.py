"""resolve_handle against a fedishare node on the harness router."""

from __future__ import annotations

import pytest

from fedishare.federation.errors import FetchError
from fedishare.remote.webfinger import WebFingerError, resolve_handle, self_link, split_handle
from tests.harness import Network


@pytest.mark.parametrize(
    "handle", ["@community@elm.test", "community@elm.test", "acct:Community@ELM.test"]
)
async def test_a_handle_resolves_to_the_actor_id(net: Network, handle: str) -> None:
    oak = await net.add("oak.test")
    await net.add("elm.test")
    assert await resolve_handle(oak.instance, handle) == "http://elm.test/users/community"
    request = next(r for r in net.router.requests if r.url.path == "/.well-known/webfinger")
    assert request.url.params["resource"].lower() == "acct:community@elm.test"
    assert "signature" not in request.headers


async def test_an_unknown_account_is_a_fetch_error(net: Network) -> None:
    oak = await net.add("oak.test")
    await net.add("elm.test")
    with pytest.raises(FetchError) as caught:
        await resolve_handle(oak.instance, "@nobody@elm.test")
    assert caught.value.status == 404


@pytest.mark.parametrize(
    "handle", ["", "ann", "@ann", "ann@", "@a@b@c", "ann@host/path", "a:b@host"]
)
def test_malformed_handles_are_refused(handle: str) -> None:
    with pytest.raises(WebFingerError):
        split_handle(handle)


def test_a_host_with_a_port_is_kept() -> None:
    assert split_handle("@ann@127.0.0.1:8080") == ("ann", "127.0.0.1:8080")


def test_only_an_activitypub_self_link_counts() -> None:
    jrd = {
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "h"},
            {"rel": "self", "type": "text/html", "href": "no"},
            {"rel": "self", "type": 'application/ld+json; profile="x"', "href": "yes"},
        ]
    }
    assert self_link(jrd) == "yes"
    assert self_link({"links": "nope"}) is None
    assert self_link({}) is None
