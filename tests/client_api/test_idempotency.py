"""An Idempotency-Key is reserved before anything is published: two tries at once make one
status (the second waits for nothing: it hears 409 while the first is at work), and a try
that fails gives the key back."""

from __future__ import annotations

import asyncio

from fedishare.storage import statuses as status_index
from tests.client_api.conftest import Api
from tests.client_api.schema import check

S = "/api/v1/statuses"


async def _count(api: Api, text: str) -> int:
    rows = await api.node.instance.db.fetch_all(
        "SELECT count(*) FROM objects WHERE document LIKE ?", (f"%{text}%",)
    )
    return int(rows[0][0])


async def test_two_tries_at_once_make_one_status(api: Api) -> None:
    headers = {"Idempotency-Key": "same-key"}
    answers = await asyncio.gather(
        *(api.post(S, json={"status": "only once"}, headers=headers) for _ in range(3))
    )
    made = {check(r, "POST", S)["id"] for r in answers if r.status_code == 200}
    assert len(made) == 1
    for r in answers:
        if r.status_code != 200:
            assert r.status_code == 409
            assert r.json() == {"error": "a post with this Idempotency-Key is in progress"}
    assert await _count(api, "only once") == 1
    # Once it is made, the key answers with it.
    again = check(await api.post(S, json={"status": "only once"}, headers=headers), "POST", S)
    assert {again["id"]} == made


async def test_a_failed_try_gives_the_key_back(api: Api) -> None:
    headers = {"Idempotency-Key": "retry-me"}
    r = await api.post(S, json={"status": "answer", "in_reply_to_id": "12345"}, headers=headers)
    assert r.status_code == 404
    check(r, "POST", S)
    made = check(await api.post(S, json={"status": "answer"}, headers=headers), "POST", S)
    row = await status_index.get(api.node.instance.db, int(made["id"]))
    assert row is not None and row.in_reply_to is None
