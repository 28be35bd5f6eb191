"""The schema checker itself: it must pass what Mastodon sends and fail what apps choke on."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.client_api.schema import check, check_entity


def account(**changes: Any) -> dict[str, Any]:
    """An Account as Mastodon renders one."""
    value: dict[str, Any] = {
        "id": "109348728359728000",
        "username": "alice",
        "acct": "alice",
        "display_name": "Alice",
        "locked": False,
        "bot": False,
        "group": False,
        "indexable": False,
        "discoverable": None,
        "created_at": "2024-05-01T00:00:00.000Z",
        "note": "<p>Hello</p>",
        "url": "https://oak.test/@alice",
        "uri": "https://oak.test/users/alice",
        "avatar": "https://oak.test/avatars/alice.png",
        "avatar_static": "https://oak.test/avatars/alice.png",
        "header": "https://oak.test/headers/missing.png",
        "header_static": "https://oak.test/headers/missing.png",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": "2024-05-01",
        "emojis": [],
        "fields": [],
    }
    value.update(changes)
    return value


def answer(method: str, path: str, status: int, body: Any) -> httpx.Response:
    return httpx.Response(
        status, json=body, request=httpx.Request(method, f"https://oak.test{path}")
    )


def test_a_valid_account_passes() -> None:
    assert check_entity(account(), "Account")["id"] == "109348728359728000"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"avatar": None}, "$.avatar"),
        ({"id": 12}, "$.id"),
        ({"emojis": None}, "$.emojis"),
        ({"followers_count": None}, "$.followers_count"),
        ({"created_at": "2024-05-01T00:00:00+00:00"}, "$.created_at"),
        ({"header": "/headers/missing.png"}, "$.header"),
        ({"last_status_at": "2024-05-01T10:00:00.000Z"}, "$.last_status_at"),
    ],
)
def test_an_account_apps_would_choke_on_fails_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(AssertionError, match=f"at \\{field}:"):
        check_entity(account(**changes), "Account")


def test_a_missing_required_field_is_named() -> None:
    value = account()
    del value["acct"]
    with pytest.raises(AssertionError, match="'acct' is a required property"):
        check_entity(value, "Account")


def test_an_unknown_entity_fails() -> None:
    with pytest.raises(AssertionError, match="did you mean Account"):
        check_entity({}, "Acount")


def test_check_validates_the_body_for_path_method_and_status() -> None:
    body = check(
        answer("GET", "/api/v1/accounts/1", 200, account()), "GET", "/api/v1/accounts/{id}"
    )
    assert body["username"] == "alice"
    listed = answer("GET", "/api/v1/accounts/1/followers", 200, [account(), account(id=3)])
    with pytest.raises(AssertionError, match=r"at \$\[1\]\.id"):
        check(listed, "GET", "/api/v1/accounts/{id}/followers")


def test_errors_validate_as_mastodon_errors() -> None:
    check(
        answer("GET", "/api/v1/accounts/9", 404, {"error": "Record not found"}),
        "GET",
        "/api/v1/accounts/{id}",
    )
    with pytest.raises(AssertionError, match="'error' is a required property"):
        check(
            answer("GET", "/api/v1/accounts/9", 404, {"detail": "nope"}),
            "GET",
            "/api/v1/accounts/{id}",
        )


def test_an_html_answer_where_json_is_documented_fails() -> None:
    page = httpx.Response(
        404,
        html="<h1>Not found</h1>",
        request=httpx.Request("GET", "https://oak.test/api/v1/accounts/9"),
    )
    with pytest.raises(AssertionError, match="not JSON"):
        check(page, "GET", "/api/v1/accounts/{id}")


def test_typos_cannot_pass_silently() -> None:
    response = answer("GET", "/api/v1/acounts/1", 200, account())
    with pytest.raises(AssertionError, match="not in Mastodon's schema; did you mean"):
        check(response, "GET", "/api/v1/acounts/{id}")
    with pytest.raises(AssertionError, match="it has GET there"):
        check(answer("PUT", "/api/v1/accounts/1", 200, account()), "PUT", "/api/v1/accounts/{id}")
    with pytest.raises(AssertionError, match="not an answer"):
        check(answer("GET", "/api/v1/accounts/1", 418, {}), "GET", "/api/v1/accounts/{id}")
    with pytest.raises(AssertionError, match="which is not"):
        check(answer("GET", "/api/v1/statuses/1", 200, account()), "GET", "/api/v1/accounts/{id}")


def test_allow_missing_lets_an_undocumented_endpoint_through() -> None:
    response = answer("GET", "/api/v1/whatever", 200, {"anything": 1})
    assert check(response, "GET", "/api/v1/whatever", allow_missing=True) == {"anything": 1}


def test_errata_follow_what_mastodon_answers() -> None:
    # GET /api/v1/filters answers a list (the schema says one V1Filter).
    assert check(answer("GET", "/api/v1/filters", 200, []), "GET", "/api/v1/filters") == []
    # A 422 without `details`, as Mastodon's own refusals are.
    refused = answer("POST", "/api/v1/lists", 422, {"error": "Lists are not offered"})
    check(refused, "POST", "/api/v1/lists")
    with pytest.raises(AssertionError, match="'error' is a required property"):
        check(answer("POST", "/api/v1/lists", 422, {}), "POST", "/api/v1/lists")
