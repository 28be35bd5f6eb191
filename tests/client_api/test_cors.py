"""Browser apps on their own sites (Elk, Phanpy) call the API across origins: CORS on the API's
paths, preflights answered, and errors there always Mastodon's JSON, never a page."""

from __future__ import annotations

import pytest

from tests.client_api.conftest import Api
from tests.client_api.schema import check

ELK = "https://elk.zone"


async def test_a_preflight_is_answered_for_the_api(api: Api) -> None:
    response = await api.node.client.options(
        f"{api.base}/api/v1/statuses",
        headers={
            "Origin": ELK,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    for name in ("authorization", "content-type", "idempotency-key"):
        assert name in allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_a_preflight_naming_no_headers_gets_the_usual_ones(api: Api) -> None:
    response = await api.node.client.options(
        f"{api.base}/oauth/token",
        headers={"Origin": ELK, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    allowed = response.headers["access-control-allow-headers"]
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= {
        h.strip() for h in allowed.split(",")
    }


@pytest.mark.parametrize(
    "path",
    ["/api/v2/instance", "/api/v1/trends/tags", "/.well-known/nodeinfo", "/nodeinfo/2.0"],
)
async def test_answers_carry_cors_and_expose_link(api: Api, path: str) -> None:
    response = await api.node.client.get(api.base + path, headers={"Origin": ELK})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers.get_list("access-control-allow-origin") == ["*"]  # once, not twice
    assert "Link" in response.headers["access-control-expose-headers"]


async def test_errors_carry_cors_too(api: Api) -> None:
    response = await api.node.client.get(f"{api.base}/api/v1/lists", headers={"Origin": ELK})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "*"
    check(response, "GET", "/api/v1/lists")


async def test_the_web_board_gets_no_cors(api: Api) -> None:
    response = await api.node.client.get(f"{api.base}/board", headers={"Origin": ELK})
    assert "access-control-allow-origin" not in response.headers
    preflight = await api.node.client.options(
        f"{api.base}/login", headers={"Origin": ELK, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_security_headers_stay_on_api_answers(api: Api) -> None:
    response = await api.get("/api/v2/instance")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "accept", ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "*/*"]
)
async def test_an_unknown_api_path_answers_json_404_even_to_a_browser(
    api: Api, accept: str
) -> None:
    response = await api.get("/api/v1/no_such_thing", headers={"Accept": accept})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": "Record not found"}
    # A known path's 404 is schema-valid, page-preferring Accept or not.
    missing = await api.get("/api/v1/lists/5", headers={"Accept": accept})
    assert check(missing, "GET", "/api/v1/lists/{id}") == {"error": "Record not found"}


async def test_token_errors_are_json_whatever_the_accept(api: Api) -> None:
    response = await api.node.client.post(
        f"{api.base}/oauth/no_such", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404  # /oauth/ pages other than token/revoke stay pages
    assert response.headers["content-type"].startswith("text/html")
    refused = await api.as_("not-a-token").get("/api/v1/lists", headers={"Accept": "text/html"})
    assert refused.status_code == 401
    assert check(refused, "GET", "/api/v1/lists") == {"error": "The access token is invalid"}
