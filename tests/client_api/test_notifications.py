"""/api/v1/notifications (and /api/v2's grouped list) as apps read them: bob of elm.test
follows alice, then favourites and boosts her note; alice filters, pages, reads one,
dismisses, counts the unread past her marker, and clears."""

from __future__ import annotations

import pytest

from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.inbox.handler_support import local_note, receive
from tests.waiting import eventually

N = "/api/v1/notifications"
BOB = "http://elm.test/users/bob"
AS = "application/activity+json"


@pytest.fixture
async def notified(api_pair: tuple[Api, Api]) -> tuple[Api, str]:
    """alice, followed by bob, who then favourites and boosts her note; the note's id."""
    oak, elm = api_pair
    r = await elm.node.client.post(
        f"{elm.base}/users/bob/outbox",
        json={"type": "Follow", "object": "@alice@oak.test"},
        headers={"Authorization": f"Bearer {elm.token}", "Content-Type": AS},
    )
    assert r.status_code == 201, r.text

    async def followed() -> bool:
        return len((await oak.get(N)).json()) == 1

    await eventually(followed)
    note = await local_note(oak.node, oak.member)
    await receive(oak.node, {"id": f"{BOB}#likes/1", "type": "Like", "actor": BOB, "object": note})
    boost = {"id": f"{BOB}/boosts/1", "type": "Announce", "actor": BOB, "object": note}
    await receive(oak.node, boost)
    return oak, note


async def test_the_list_newest_first_with_accounts_and_statuses(notified: tuple[Api, str]) -> None:
    api, note = notified
    found = check(await api.get(N), "GET", N)
    assert [n["type"] for n in found] == ["reblog", "favourite", "follow"]
    assert all(n["account"]["acct"] == "bob@elm.test" for n in found)
    assert found[0]["status"]["uri"] == note and found[1]["status"]["uri"] == note
    assert found[2]["status"] is None
    assert [int(n["id"]) for n in found] == sorted((int(n["id"]) for n in found), reverse=True)
    assert found[2]["group_key"].startswith("follow-")


async def test_filters_by_type_and_account(notified: tuple[Api, str]) -> None:
    api, _ = notified
    only = check(await api.get(N, params={"types[]": ["favourite", "follow"]}), "GET", N)
    assert [n["type"] for n in only] == ["favourite", "follow"]
    without = check(await api.get(N, params={"exclude_types[]": "follow"}), "GET", N)
    assert [n["type"] for n in without] == ["reblog", "favourite"]
    bob_id = only[0]["account"]["id"]
    from_bob = check(await api.get(N, params={"account_id": bob_id}), "GET", N)
    assert len(from_bob) == 3
    carol, carol_token = await api.new_member("carol")
    del carol
    assert check(await api.as_(carol_token).get(N), "GET", N) == []


async def test_pages_with_link_headers(notified: tuple[Api, str]) -> None:
    api, _ = notified
    first = await api.get(N, params={"limit": 2})
    page = check(first, "GET", N)
    assert [n["type"] for n in page] == ["reblog", "favourite"]
    nxt = first.links["next"]["url"]
    assert f"max_id={page[-1]['id']}" in nxt
    rest = check(await api.get(nxt), "GET", N)
    assert [n["type"] for n in rest] == ["follow"]
    newer = check(await api.get(N, params={"min_id": rest[0]["id"], "limit": 1}), "GET", N)
    assert [n["type"] for n in newer] == ["favourite"]


async def test_one_dismiss_and_clear(notified: tuple[Api, str]) -> None:
    api, _ = notified
    newest = check(await api.get(N), "GET", N)[0]
    one = check(await api.get(f"{N}/{newest['id']}"), "GET", f"{N}/{{id}}")
    assert one == newest
    _, carol_token = await api.new_member("carol")
    r = await api.as_(carol_token).get(f"{N}/{newest['id']}")
    assert r.status_code == 404
    check(r, "GET", f"{N}/{{id}}")

    r = await api.post(f"{N}/{newest['id']}/dismiss")
    check(r, "POST", f"{N}/{{id}}/dismiss")
    assert (await api.get(f"{N}/{newest['id']}")).status_code == 404
    assert len(check(await api.get(N), "GET", N)) == 2
    # Delivered again, a dismissed notification stays dismissed.
    note = newest["status"]["uri"]
    boost = {"id": f"{BOB}/boosts/1", "type": "Announce", "actor": BOB, "object": note}
    await receive(api.node, boost)
    assert len(check(await api.get(N), "GET", N)) == 2

    check(await api.post(f"{N}/clear"), "POST", f"{N}/clear")
    assert check(await api.get(N), "GET", N) == []


async def test_unread_count_follows_the_marker(notified: tuple[Api, str]) -> None:
    api, _ = notified
    count = f"{N}/unread_count"
    assert check(await api.get(count), "GET", count) == {"count": 3}
    found = check(await api.get(N), "GET", N)
    r = await api.post("/api/v1/markers", json={"notifications": {"last_read_id": found[1]["id"]}})
    check(r, "POST", "/api/v1/markers")
    assert check(await api.get(count), "GET", count) == {"count": 1}
    assert check(await api.get(count, params={"types[]": "follow"}), "GET", count) == {"count": 0}


async def test_grouped_notifications(notified: tuple[Api, str]) -> None:
    api, note = notified
    v2 = "/api/v2/notifications"
    grouped = check(await api.get(v2), "GET", v2)
    groups = grouped["notification_groups"]
    assert [g["type"] for g in groups] == ["reblog", "favourite", "follow"]
    assert all(g["notifications_count"] == 1 for g in groups)
    [bob] = grouped["accounts"]
    assert groups[0]["sample_account_ids"] == [bob["id"]]
    [status] = grouped["statuses"]
    assert status["uri"] == note and groups[0]["status_id"] == status["id"]


async def test_scopes_and_tokens(notified: tuple[Api, str]) -> None:
    api, _ = notified
    nobody = api.as_("not-a-token")
    r = await nobody.get(N)
    assert r.status_code == 401
    check(r, "GET", N)
