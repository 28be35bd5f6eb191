"""GET /api/v1/timelines/direct: the direct statuses a member wrote or is mentioned in,
newest first, paged by a Link header; nobody else's, and not the member's other statuses."""

from __future__ import annotations

from typing import Any

import pytest

from fedishare.core.paging import Page
from fedishare.storage.timelines import direct_sql
from tests.client_api.conftest import Api
from tests.client_api.schema import check, check_entity
from tests.databases import backend

D = "/api/v1/timelines/direct"


def statuses(response: Any) -> list[dict[str, Any]]:
    """The body (the schema has no such path any more) with each item a valid Status."""
    body = check(response, "GET", D, allow_missing=True)
    return [check_entity(item, "Status") for item in body]


async def post(api: Api, text: str, visibility: str = "direct", **extra: Any) -> str:
    r = await api.post("/api/v1/statuses", json={"status": text, "visibility": visibility, **extra})
    assert r.status_code == 200, r.text
    return str(check(r, "POST", "/api/v1/statuses")["id"])


async def test_written_and_mentioned_direct_statuses_newest_first(api: Api) -> None:
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    dave, dave_token = await api.new_member("dave")
    as_dave = api.as_(dave_token, dave)
    mine = await post(api, "@carol a word in private")
    theirs = await post(as_carol, "@alice and back")
    await post(api, "public words", "public")
    for_dave = await post(as_carol, "@dave not for alice")
    await post(as_carol, "@alice followers only", "private")

    got = statuses(await api.get(D))
    assert [s["id"] for s in got] == [theirs, mine]
    assert all(s["visibility"] == "direct" for s in got)
    assert [s["id"] for s in statuses(await as_dave.get(D))] == [for_dave]


async def test_paged_with_a_link_header(api: Api) -> None:
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    ids = [
        await post(as_carol if n % 2 else api, f"@{'alice' if n % 2 else 'carol'} {n}")
        for n in range(5)
    ]
    first = await api.get(D, params={"limit": 2})
    assert [s["id"] for s in statuses(first)] == [ids[4], ids[3]]
    second = await api.get(first.links["next"]["url"])
    assert [s["id"] for s in statuses(second)] == [ids[2], ids[1]]
    third = await api.get(second.links["next"]["url"])
    assert [s["id"] for s in statuses(third)] == [ids[0]]
    back = await api.get(second.links["prev"]["url"])
    assert [s["id"] for s in statuses(back)] == [ids[4], ids[3]]
    assert [s["id"] for s in statuses(await api.get(D, params={"since_id": ids[3]}))] == [ids[4]]


async def test_a_token_is_needed(api: Api) -> None:
    r = await api.node.client.get(api.base + D)
    assert r.status_code == 401
    check(r, "GET", D, allow_missing=True)


async def test_a_blocked_author_is_left_out(api: Api) -> None:
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    await post(as_carol, "@alice hello")
    carol_id = (await api.get("/api/v1/accounts/lookup", params={"acct": "carol"})).json()["id"]
    assert (await api.post(f"/api/v1/accounts/{carol_id}/block")).status_code == 200
    assert statuses(await api.get(D)) == []


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's query plan (EXPLAIN QUERY PLAN)")
async def test_the_query_walks_the_indexes(api: Api) -> None:
    db = api.node.instance.db
    for page in (Page(limit=20), Page(limit=20, max_id=1 << 60), Page(limit=20, min_id=5)):
        sql, params = direct_sql("http://oak.test/users/alice", page, {"http://x.test/u/y"})
        plan = " | ".join(
            r["detail"] for r in await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
        )
        assert "MERGE (UNION ALL)" in plan, plan  # both walks come sorted: no sort
        assert "INDEX statuses_author (author=?" in plan, plan
        assert "m USING PRIMARY KEY (actor=?" in plan, plan
        assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan
