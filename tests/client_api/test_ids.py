"""Ids no status, notification or account can have are "not found" (in a path) or a bad
request (paging), never a crash: too large for SQLite, or digits that are not ASCII."""

from __future__ import annotations

import pytest

from tests.client_api.conftest import Api
from tests.client_api.schema import check

TOO_BIG = ["9999999999999999999", "99999999999999999999", "²", "0"]


@pytest.mark.parametrize("bad", TOO_BIG)
async def test_a_bad_id_in_a_path_is_not_found(api: Api, bad: str) -> None:
    for method, path, template in [
        ("GET", f"/api/v1/statuses/{bad}", "/api/v1/statuses/{id}"),
        ("GET", f"/api/v1/statuses/{bad}/context", "/api/v1/statuses/{id}/context"),
        ("POST", f"/api/v1/statuses/{bad}/favourite", "/api/v1/statuses/{id}/favourite"),
        ("GET", f"/api/v1/notifications/{bad}", "/api/v1/notifications/{id}"),
        ("GET", f"/api/v1/accounts/{bad}", "/api/v1/accounts/{id}"),
        ("GET", f"/api/v1/media/{bad}", "/api/v1/media/{id}"),
        (
            "POST",
            f"/api/v1/follow_requests/{bad}/authorize",
            "/api/v1/follow_requests/{account_id}/authorize",
        ),
    ]:
        r = await api.request(method, path)
        assert r.status_code == 404, (path, r.text)
        assert check(r, method, template) == {"error": "Record not found"}
    r = await api.post("/api/v1/statuses", json={"status": "hi", "in_reply_to_id": bad})
    assert r.status_code == 404
    check(r, "POST", "/api/v1/statuses")


async def test_paging_ids_beyond_every_id_or_not_ids_are_no_error(api: Api) -> None:
    """As Mastodon, nothing is refused (its schema has no 400 here): digits past every id
    bound at the largest id, other text bounds nothing."""
    post = await api.post("/api/v1/statuses", json={"status": "one"})
    one = check(post, "POST", "/api/v1/statuses")["id"]
    home = "/api/v1/timelines/home"
    for params, expected in [
        ({"max_id": "99999999999999999999"}, [one]),
        ({"since_id": "99999999999999999999"}, []),
        ({"min_id": "99999999999999999999"}, []),
        ({"max_id": "²"}, [one]),
        ({"since_id": "²"}, [one]),
        ({"max_id": "-1"}, [one]),
        ({"since_id": "0"}, [one]),
    ]:
        found = check(await api.get(home, params=params), "GET", home)
        assert [s["id"] for s in found] == expected, params
    for path in ("/api/v1/notifications", "/api/v1/timelines/public", "/api/v1/bookmarks"):
        r = await api.get(path, params={"max_id": "99999999999999999999"})
        check(r, "GET", path)
        assert r.status_code == 200
