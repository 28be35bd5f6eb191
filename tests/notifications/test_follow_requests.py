"""A follow request answered leaves no `follow_request` notification behind (Mastodon
deletes it), whether authorized or rejected; authorizing adds no `follow` one either."""

from __future__ import annotations

from typing import Any

from tests.client_api.conftest import Api
from tests.client_api.schema import check

N = "/api/v1/notifications"
FR = "/api/v1/follow_requests"


async def notified(api: Api) -> list[tuple[str, str]]:
    body: list[dict[str, Any]] = check(await api.get(N), "GET", N)
    return [(n["type"], n["account"]["acct"]) for n in body]


async def test_answered_requests_leave_no_notification(api: Api) -> None:
    r = await api.patch("/api/v1/accounts/update_credentials", json={"locked": True})
    check(r, "PATCH", "/api/v1/accounts/update_credentials")
    alice_id = r.json()["id"]
    askers = {}
    for name in ("carol", "dave"):
        member, token = await api.new_member(name)
        r = await api.as_(token, member).post(f"/api/v1/accounts/{alice_id}/follow")
        check(r, "POST", "/api/v1/accounts/{id}/follow")
        askers[name] = check(await api.get(FR), "GET", FR)[0]["id"]
    assert sorted(await notified(api)) == [("follow_request", "carol"), ("follow_request", "dave")]

    r = await api.post(f"{FR}/{askers['carol']}/authorize")
    assert check(r, "POST", f"{FR}/{{account_id}}/authorize")["followed_by"] is True
    assert await notified(api) == [("follow_request", "dave")]
    r = await api.post(f"{FR}/{askers['dave']}/reject")
    assert check(r, "POST", f"{FR}/{{account_id}}/reject")["followed_by"] is False
    assert await notified(api) == []
