"""Refusals under the API are Mastodon's JSON, whatever the caller accepts."""

from __future__ import annotations

from tests.client_api.conftest import Api


async def test_a_method_an_api_address_does_not_take_is_405_json(api: Api) -> None:
    r = await api.request("PATCH", "/api/v1/timelines/home", headers={"Accept": "text/html"})
    assert r.status_code == 405
    assert "GET" in r.headers["allow"]
    assert r.json() == {"error": "this address does not take PATCH"}


async def test_an_unknown_api_address_is_404_json(api: Api) -> None:
    r = await api.get("/api/v1/no/such/thing", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}
