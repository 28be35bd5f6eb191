"""A mute's terms: a duration past a year is a year (a date far enough is no date, and was
a crash); a mute without notifications lets notifications through, as Mastodon's does."""

from __future__ import annotations

from datetime import timedelta

from fedishare.storage import account_relations
from tests.client_api.conftest import Api
from tests.client_api.schema import check


async def _id(api: Api, name: str) -> str:
    r = await api.get("/api/v1/accounts/lookup", params={"acct": name})
    return str(check(r, "GET", "/api/v1/accounts/lookup")["id"])


async def test_a_huge_duration_is_a_year(api: Api) -> None:
    await api.new_member("dan")
    dan = await _id(api, "dan")
    path = "/api/v1/accounts/{id}/mute"
    for duration in (10**12, 10**30):
        r = await api.post(f"/api/v1/accounts/{dan}/mute", json={"duration": duration})
        assert check(r, "POST", path)["muting"] is True
    inst = api.node.instance
    now = inst.clock()
    found = await account_relations.muted(
        inst.db, api.member.id, [f"{api.base}/users/dan"], now.timestamp()
    )
    expires = found[f"{api.base}/users/dan"].expires_at
    assert expires is not None
    assert expires <= (now + timedelta(days=365, minutes=1)).timestamp()
    assert expires >= (now + timedelta(days=364)).timestamp()


async def test_a_mute_without_notifications_still_notifies(api: Api) -> None:
    dan, dan_token = await api.new_member("dan")
    as_dan = api.as_(dan_token, dan)
    dan_id = await _id(api, "dan")
    notifications = "/api/v1/notifications"
    for hear, text in ((True, "first"), (False, "second")):
        r = await api.post(f"/api/v1/accounts/{dan_id}/mute", json={"notifications": not hear})
        check(r, "POST", "/api/v1/accounts/{id}/mute")
        status = check(
            await api.post("/api/v1/statuses", json={"status": text}), "POST", "/api/v1/statuses"
        )
        r = await as_dan.post(f"/api/v1/statuses/{status['id']}/favourite")
        check(r, "POST", "/api/v1/statuses/{id}/favourite")
        found = check(await api.get(notifications), "GET", notifications)
        heard = [n["status"]["id"] for n in found if n["type"] == "favourite"]
        assert (status["id"] in heard) is hear
