"""Markers: read positions that a member's apps share, versioned, kept across restarts."""

from __future__ import annotations

from tests.client_api.conftest import Api, signed_in
from tests.client_api.schema import check
from tests.harness import Network

M = "/api/v1/markers"


async def test_markers_are_set_read_and_versioned(api: Api) -> None:
    assert check(await api.get(M), "GET", M) == {}
    assert check(await api.get(M, params={"timeline[]": ["home", "notifications"]}), "GET", M) == {}
    r = await api.post(M, data={"home[last_read_id]": "1000", "notifications[last_read_id]": "7"})
    both = check(r, "POST", M)
    assert both["home"]["last_read_id"] == "1000" and both["home"]["version"] == 1
    assert both["notifications"]["last_read_id"] == "7"
    again = check(await api.post(M, json={"home": {"last_read_id": "1200"}}), "POST", M)
    assert list(again) == ["home"]
    assert again["home"]["last_read_id"] == "1200" and again["home"]["version"] == 2
    read = check(await api.get(M, params={"timeline[]": ["home", "notifications"]}), "GET", M)
    assert read["home"]["version"] == 2 and read["notifications"]["version"] == 1
    only = check(await api.get(M, params={"timeline[]": "notifications"}), "GET", M)
    assert list(only) == ["notifications"]
    # Another member has their own.
    _, token = await api.new_member("carol")
    assert check(await api.as_(token).get(M, params={"timeline[]": "home"}), "GET", M) == {}


async def test_a_bad_marker_is_refused(api: Api) -> None:
    r = await api.post(M, json={"home": {"last_read_id": "not-an-id"}})
    assert r.status_code == 422
    assert "last_read_id" in check(r, "POST", M)["error"]


async def test_markers_outlive_a_restart(net: Network) -> None:
    node = await net.add("oak.test")
    api = await signed_in(node, "alice")
    check(await api.post(M, json={"home": {"last_read_id": "55"}}), "POST", M)
    await net.aclose()
    net2 = Network(net.directory)
    try:
        again = await net2.add("oak.test")
        reopened = Api(again, api.member, api.token)
        kept = check(await reopened.get(M, params={"timeline[]": "home"}), "GET", M)
        assert kept["home"]["last_read_id"] == "55"
    finally:
        await net2.aclose()
