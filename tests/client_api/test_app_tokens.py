"""Tokens and the endpoints they open, as Mastodon answers: an app's own token
(client_credentials) on a member's endpoint is 422; /api/v1/preferences wants
`read:accounts`."""

from __future__ import annotations

from fedishare.storage import tokens
from tests.client_api.conftest import Api
from tests.client_api.schema import check


async def _token(api: Api, scopes: list[str], *, member: bool = True) -> str:
    inst = api.node.instance
    async with inst.db.transaction() as tx:
        return await tokens.insert(
            tx,
            actor_id=api.member.id if member else None,
            app_id=None,
            scopes=scopes,
            now=inst.clock().timestamp(),
        )


async def test_an_apps_own_token_cannot_act_as_a_member(api: Api) -> None:
    app = api.as_(await _token(api, ["read", "write"], member=False))
    error = {"error": "This method requires an authenticated user"}
    r = await app.get("/api/v1/timelines/home")
    assert r.status_code == 422
    assert check(r, "GET", "/api/v1/timelines/home") == error
    r = await app.post("/api/v1/statuses", json={"status": "from nobody"})
    assert r.status_code == 422
    assert check(r, "POST", "/api/v1/statuses") == error
    # What anyone may read, it reads.
    r = await app.get("/api/v1/timelines/public")
    assert r.status_code == 200
    check(r, "GET", "/api/v1/timelines/public")


async def test_preferences_want_read_accounts(api: Api) -> None:
    path = "/api/v1/preferences"
    profile = await api.as_(await _token(api, ["profile"])).get(path)
    assert profile.status_code == 403  # Doorkeeper's answer, which the schema leaves out
    check(profile, "GET", path, allow_missing=True)
    for scopes in (["read:accounts"], ["read"]):
        r = await api.as_(await _token(api, scopes)).get(path)
        assert check(r, "GET", path)["posting:default:visibility"] == "public"
