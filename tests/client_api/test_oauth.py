"""The OAuth endpoints as apps call them: registering (JSON, form, query string), the token
endpoint's three grants (body or HTTP Basic credentials), revocation, verify_credentials,
the server metadata; refusals as OAuth's `{"error", "error_description"}`."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from fedishare.accounts.members import set_member_disabled
from fedishare.accounts.passwords import set_password
from tests.client_api.conftest import Api
from tests.client_api.schema import check

PASSWORD = "correct horse battery"
OOB = "urn:ietf:wg:oauth:2.0:oob"


async def _register(api: Api, **body: Any) -> dict[str, Any]:
    r = await api.node.client.post(
        api.base + "/api/v1/apps",
        json={"client_name": "Script", "redirect_uris": OOB, "scopes": "read write", **body},
    )
    found: dict[str, Any] = check(r, "POST", "/api/v1/apps")
    return found


async def _token(api: Api, **kwargs: Any) -> httpx.Response:
    return await api.node.client.post(api.base + "/oauth/token", **kwargs)


async def test_apps_register_from_json_form_or_query_with_one_or_several_redirect_uris(
    api: Api,
) -> None:
    client = api.node.client
    as_json = await _register(
        api,
        client_name="Ivory",
        redirect_uris=["com.tapbots.Ivory.19:/request_token", OOB],
        scopes="read write follow push",
        website="https://tapbots.com/ivory/",
    )
    assert as_json["name"] == "Ivory" and as_json["website"] == "https://tapbots.com/ivory/"
    assert as_json["redirect_uris"] == ["com.tapbots.Ivory.19:/request_token", OOB]
    assert as_json["redirect_uri"] == f"com.tapbots.Ivory.19:/request_token\n{OOB}"
    assert as_json["scopes"] == ["read", "write", "follow", "push"]
    assert as_json["client_id"] and as_json["client_secret"] and as_json["id"].isdigit()

    as_form = check(
        await client.post(
            api.base + "/api/v1/apps",
            data={"client_name": "Tusky", "redirect_uris": "oauth2redirect://tusky/\n" + OOB},
        ),
        "POST",
        "/api/v1/apps",
    )
    assert as_form["redirect_uris"] == ["oauth2redirect://tusky/", OOB]
    assert as_form["scopes"] == ["read"]  # the default

    as_query = check(
        await client.post(
            api.base + "/api/v1/apps",
            params={
                "client_name": "IceCubesApp",
                "redirect_uris": "icecubesapp://",
                "scopes": "read write follow push",
                "website": "https://github.com/Dimillian/IceCubesApp",
            },
        ),
        "POST",
        "/api/v1/apps",
    )
    assert as_query["redirect_uris"] == ["icecubesapp://"]
    assert len({as_json["client_id"], as_form["client_id"], as_query["client_id"]}) == 3


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"redirect_uris": OOB}, "Name can't be blank"),
        ({"client_name": "App"}, "Redirect URI can't be blank"),
        ({"client_name": "App", "redirect_uris": "no-scheme"}, "absolute URI"),
        ({"client_name": "App", "redirect_uris": OOB, "scopes": "read sudo"}, "Scopes"),
    ],
)
async def test_a_wrong_app_is_422_naming_the_field(
    api: Api, body: dict[str, str], reason: str
) -> None:
    r = await api.node.client.post(api.base + "/api/v1/apps", json=body)
    assert r.status_code == 422
    assert reason in check(r, "POST", "/api/v1/apps")["error"]


async def test_client_credentials_give_an_app_token_that_verifies_the_app(api: Api) -> None:
    app = await _register(api)
    r = await _token(
        api,
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    token = check(r, "POST", "/oauth/token")
    assert token["token_type"] == "Bearer" and token["scope"] == "read"
    assert r.headers["cache-control"] == "no-store"
    verified = check(
        await api.as_(token["access_token"]).get("/api/v1/apps/verify_credentials"),
        "GET",
        "/api/v1/apps/verify_credentials",
    )
    assert verified["name"] == "Script" and "client_secret" not in verified
    assert verified["scopes"] == ["read", "write"]
    # An app's own token is nobody's: member endpoints refuse it.
    r = await api.as_(token["access_token"]).get("/oauth/userinfo")
    assert r.status_code in (401, 403)


async def test_password_grant_by_name_or_address_in_the_body_or_by_basic(api: Api) -> None:
    await set_password(api.node.instance, api.member, PASSWORD)
    app = await _register(api)
    by_name = check(
        await _token(
            api,
            json={
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": "alice",
                "password": PASSWORD,
                "scope": "read write",
            },
        ),
        "POST",
        "/oauth/token",
    )
    assert by_name["scope"] == "read write"
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    # Apps ask for an email; fedishare keeps none, and takes the name before the @.
    by_address = check(
        await _token(
            api,
            params={"grant_type": "password", "username": "alice@oak.test", "password": PASSWORD},
            headers={"Authorization": f"Basic {basic}"},
        ),
        "POST",
        "/oauth/token",
    )
    assert by_address["scope"] == "read"
    for issued in (by_name, by_address):
        assert (
            await api.as_(issued["access_token"]).get("/api/v1/apps/verify_credentials")
        ).is_success


async def test_token_endpoint_refusals_are_oauth_errors(api: Api) -> None:
    await set_password(api.node.instance, api.member, PASSWORD)
    app = await _register(api)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    cases: list[tuple[dict[str, str], int, str]] = [
        (
            {**creds, "client_secret": "nope", "grant_type": "client_credentials"},
            401,
            "invalid_client",
        ),
        (
            {"client_id": "unknown", "client_secret": "x", "grant_type": "client_credentials"},
            401,
            "invalid_client",
        ),
        (
            {**creds, "grant_type": "password", "username": "alice", "password": "wrong pass"},
            400,
            "invalid_grant",
        ),
        (
            {
                **creds,
                "grant_type": "authorization_code",
                "code": "never-issued",
                "redirect_uri": OOB,
            },
            400,
            "invalid_grant",
        ),
        ({**creds, "grant_type": "client_credentials", "scope": "push"}, 400, "invalid_scope"),
        ({**creds, "grant_type": "implicit"}, 400, "unsupported_grant_type"),
        ({**creds}, 400, "invalid_request"),
    ]
    for data, status, error in cases:
        r = await _token(api, data=data)
        assert r.status_code == status, (data, r.text)
        body = check(r, "POST", "/oauth/token")
        assert body["error"] == error and body["error_description"], body
    basic = base64.b64encode(f"{app['client_id']}:wrong".encode()).decode()
    r = await _token(
        api,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")


async def test_revoke_ends_a_token_and_answers_200_whatever_it_was(api: Api) -> None:
    await set_password(api.node.instance, api.member, PASSWORD)
    app = await _register(api)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    token = check(
        await _token(
            api,
            data={**creds, "grant_type": "password", "username": "alice", "password": PASSWORD},
        ),
        "POST",
        "/oauth/token",
    )["access_token"]
    client = api.node.client
    other = await _register(api, client_name="Other")
    r = await client.post(
        api.base + "/oauth/revoke",
        data={
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
            "token": token,
        },
    )
    assert check(r, "POST", "/oauth/revoke")["error"] == "unauthorized_client"
    assert r.status_code == 403
    assert (await api.as_(token).get("/api/v1/apps/verify_credentials")).is_success
    for _ in range(2):  # the second time the token is unknown: still 200
        r = await client.post(api.base + "/oauth/revoke", json={**creds, "token": token})
        assert r.status_code == 200 and r.json() == {}
    refused = await api.as_(token).get("/api/v1/apps/verify_credentials")
    assert refused.status_code == 401
    check(refused, "GET", "/api/v1/apps/verify_credentials")


async def test_a_disabled_members_tokens_stop_working(api: Api) -> None:
    await set_password(api.node.instance, api.member, PASSWORD)
    app = await _register(api, scopes="read profile")
    token = check(
        await _token(
            api,
            data={
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "grant_type": "password",
                "username": "alice",
                "password": PASSWORD,
                "scope": "read profile",
            },
        ),
        "POST",
        "/oauth/token",
    )["access_token"]
    me = await api.as_(token).get("/oauth/userinfo")
    assert me.json()["preferred_username"] == "alice"
    await set_member_disabled(api.node.instance.db, "alice", True)
    for path in ("/oauth/userinfo", "/api/v1/apps/verify_credentials"):
        assert (await api.as_(token).get(path)).status_code == 401


async def test_the_server_metadata_names_every_endpoint(api: Api) -> None:
    r = await api.node.client.get(api.base + "/.well-known/oauth-authorization-server")
    meta = check(r, "GET", "/.well-known/oauth-authorization-server")
    base = api.base
    assert meta["issuer"] == f"{base}/"
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert meta["app_registration_endpoint"] == f"{base}/api/v1/apps"
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "password",
    }
    assert {"read", "write", "follow", "push", "profile", "read:statuses"} <= set(
        meta["scopes_supported"]
    )
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }


async def test_a_command_line_token_verifies_as_the_command_line_app(api: Api) -> None:
    verified = check(
        await api.get("/api/v1/apps/verify_credentials"), "GET", "/api/v1/apps/verify_credentials"
    )
    assert verified["name"] == "fedishare command line"
    assert set(verified["scopes"]) == {"read", "write", "follow", "push", "profile"}
    r = await api.as_("not-a-token").get("/api/v1/apps/verify_credentials")
    assert r.status_code == 401
    assert check(r, "GET", "/api/v1/apps/verify_credentials")["error"]


async def test_userinfo_needs_the_profile_scope(api: Api) -> None:
    await set_password(api.node.instance, api.member, PASSWORD)
    app = await _register(api, scopes="read")
    token = (
        await _token(
            api,
            data={
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "grant_type": "password",
                "username": "alice",
                "password": PASSWORD,
            },
        )
    ).json()["access_token"]
    assert (await api.as_(token).get("/oauth/userinfo")).status_code == 403
    me = (await api.get("/oauth/userinfo")).json()
    assert me == {
        "iss": "http://oak.test/",
        "sub": "http://oak.test/users/alice",
        "name": "alice",
        "preferred_username": "alice",
        "profile": "http://oak.test/users/alice",
    }
