"""Mastodon features fedishare lacks answer as a Mastodon with none of them would, so apps
start up: empty lists, 404 for an item, 422 for creating one, and the scopes checked."""

from __future__ import annotations

import pytest

from fedishare.storage import tokens
from tests.client_api.conftest import Api
from tests.client_api.schema import check

EMPTY_FOR_A_MEMBER = [
    "/api/v1/lists",
    "/api/v1/filters",
    "/api/v2/filters",
    "/api/v1/announcements",
    "/api/v1/followed_tags",
    "/api/v1/suggestions",
    "/api/v2/suggestions",
    "/api/v1/domain_blocks",
    "/api/v1/endorsements",
    "/api/v1/featured_tags",
    "/api/v1/featured_tags/suggestions",
    "/api/v1/scheduled_statuses",
]
EMPTY_FOR_ANYONE = ["/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links"]


@pytest.mark.parametrize("path", EMPTY_FOR_A_MEMBER)
async def test_collections_are_empty(api: Api, path: str) -> None:
    assert check(await api.get(path), "GET", path) == []


@pytest.mark.parametrize("path", EMPTY_FOR_A_MEMBER)
async def test_they_need_a_token(api: Api, path: str) -> None:
    response = await api.node.client.get(api.base + path)
    assert response.status_code == 401
    check(response, "GET", path)


@pytest.mark.parametrize("path", EMPTY_FOR_ANYONE)
async def test_trends_are_public_and_empty(api: Api, path: str) -> None:
    assert check(await api.node.client.get(api.base + path), "GET", path) == []


async def test_an_accounts_lists_featured_tags_and_endorsements_are_empty(api: Api) -> None:
    for path in ("lists", "featured_tags", "endorsements"):
        response = await api.get(f"/api/v1/accounts/1/{path}")
        assert check(response, "GET", f"/api/v1/accounts/{{id}}/{path}") == []


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/api/v1/lists/12", "/api/v1/lists/{id}"),
        ("PUT", "/api/v1/lists/12", "/api/v1/lists/{id}"),
        ("DELETE", "/api/v1/lists/12", "/api/v1/lists/{id}"),
        ("GET", "/api/v1/lists/12/accounts", "/api/v1/lists/{id}/accounts"),
        ("GET", "/api/v1/timelines/list/12", "/api/v1/timelines/list/{list_id}"),
        ("GET", "/api/v1/filters/3", "/api/v1/filters/{id}"),
        ("GET", "/api/v2/filters/3", "/api/v2/filters/{id}"),
        ("GET", "/api/v1/scheduled_statuses/5", "/api/v1/scheduled_statuses/{id}"),
        ("POST", "/api/v1/announcements/5/dismiss", "/api/v1/announcements/{id}/dismiss"),
        ("GET", "/api/v1/push/subscription", "/api/v1/push/subscription"),
    ],
)
async def test_one_item_is_not_found(api: Api, method: str, path: str, template: str) -> None:
    response = await api.request(method, path)
    assert response.status_code == 404
    assert check(response, method, template) == {"error": "Record not found"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/lists", {"title": "Neighbours"}),
        ("/api/v2/filters", {"title": "spoilers", "context": ["home"]}),
        ("/api/v1/featured_tags", {"name": "offer"}),
        ("/api/v1/domain_blocks", {"domain": "spam.example"}),
        (
            "/api/v1/push/subscription",
            {"subscription": {"endpoint": "https://push.example/x", "keys": {"p256dh": "k"}}},
        ),
    ],
)
async def test_creating_one_is_refused_with_a_reason(
    api: Api, path: str, body: dict[str, object]
) -> None:
    response = await api.post(path, json=body)
    assert response.status_code == 422
    assert "not offered on this server" in check(response, "POST", path)["error"]


async def test_removing_a_push_subscription_answers_empty(api: Api) -> None:
    response = await api.delete("/api/v1/push/subscription")
    assert response.status_code == 200
    assert check(response, "DELETE", "/api/v1/push/subscription") == {}


async def test_familiar_followers_answer_each_id(api: Api) -> None:
    response = await api.get(
        "/api/v1/accounts/familiar_followers", params=[("id[]", "7"), ("id[]", "9")]
    )
    assert check(response, "GET", "/api/v1/accounts/familiar_followers") == [
        {"id": "7", "accounts": []},
        {"id": "9", "accounts": []},
    ]


async def test_familiar_followers_answer_the_first_40_ids(api: Api) -> None:
    asked = [("id[]", str(n)) for n in range(1, 46)]
    response = await api.get("/api/v1/accounts/familiar_followers", params=asked)
    found = check(response, "GET", "/api/v1/accounts/familiar_followers")
    assert [entry["id"] for entry in found] == [str(n) for n in range(1, 41)]


async def test_scopes_are_checked_as_mastodon_checks_them(api: Api) -> None:
    inst = api.node.instance
    async with inst.db.transaction() as tx:
        statuses_only = await tokens.insert(
            tx,
            actor_id=api.member.id,
            app_id=None,
            scopes=["read:statuses"],
            now=inst.clock().timestamp(),
        )
        lists_only = await tokens.insert(
            tx, actor_id=api.member.id, app_id=None, scopes=["read:lists"], now=0.0
        )
    refused = await api.as_(statuses_only).get("/api/v1/lists")
    assert refused.status_code == 403
    check(refused, "GET", "/api/v1/lists", allow_missing=True)
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    assert check(await api.as_(lists_only).get("/api/v1/lists"), "GET", "/api/v1/lists") == []
    refused = await api.as_(lists_only).post("/api/v1/lists", json={"title": "x"})
    assert refused.status_code == 403
    scheduled = await api.as_(statuses_only).get("/api/v1/scheduled_statuses")
    assert check(scheduled, "GET", "/api/v1/scheduled_statuses") == []


async def test_nothing_is_filtered_from_notifications(api: Api) -> None:
    policy = check(
        await api.get("/api/v2/notifications/policy"), "GET", "/api/v2/notifications/policy"
    )
    assert policy["for_not_following"] == "accept"
    assert policy["summary"] == {"pending_requests_count": 0, "pending_notifications_count": 0}
    changed = await api.patch("/api/v2/notifications/policy", json={"for_not_following": "drop"})
    assert check(changed, "PATCH", "/api/v2/notifications/policy")["for_not_following"] == "accept"
    # Needs the notifications routes' {id} not to catch "requests" (see the report).
    response = await api.get("/api/v1/notifications/requests")
    assert check(response, "GET", "/api/v1/notifications/requests") == []
