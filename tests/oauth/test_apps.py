"""Registering apps: redirect URIs as apps send them, scopes, and a secret kept hashed."""

from __future__ import annotations

import pytest

from fedishare.core.errors import Unprocessable
from fedishare.oauth import apps
from fedishare.oauth.errors import OAuthError
from fedishare.storage import oauth_apps
from tests.harness import Node


async def test_an_app_keeps_every_redirect_uri_and_a_hashed_secret(oak: Node) -> None:
    inst = oak.instance
    made = await apps.register(
        inst,
        name="Ivory",
        redirect_uris_given=[
            "com.tapbots.Ivory.19:/request_token\nicecubesapp://",
            "urn:ietf:wg:oauth:2.0:oob",
        ],
        scopes_text="read write follow push",
        website="https://tapbots.com/ivory/",
    )
    stored = await oauth_apps.by_client_id(inst.db, made.app.client_id)
    assert stored == made.app
    assert stored.redirect_uri_list == [
        "com.tapbots.Ivory.19:/request_token",
        "icecubesapp://",
        "urn:ietf:wg:oauth:2.0:oob",
    ]
    assert stored.scope_list == ["read", "write", "follow", "push"]
    assert made.client_secret not in stored.client_secret_hash
    assert await apps.authenticate(inst, stored.client_id, made.client_secret) == stored


async def test_scopes_default_to_read(oak: Node) -> None:
    made = await apps.register(
        oak.instance,
        name="Tusky",
        redirect_uris_given=["oauth2redirect://tusky/"],
        scopes_text=None,
        website=None,
    )
    assert made.app.scope_list == ["read"]
    assert made.app.website is None


@pytest.mark.parametrize(
    ("name", "uris", "scopes", "website", "reason"),
    [
        ("", ["https://app.example/cb"], "read", None, "Name can't be blank"),
        ("x" * 61, ["https://app.example/cb"], "read", None, "Name is too long"),
        ("App", [], "read", None, "Redirect URI can't be blank"),
        ("App", ["/relative/path"], "read", None, "must be an absolute URI"),
        ("App", ["https://app.example/cb#frag"], "read", None, "cannot contain a fragment"),
        ("App", ["https://app.example/cb"], "read admin:write", None, "Scopes must be valid"),
        ("App", ["https://app.example/cb"], "read", "javascript:alert(1)", "Website"),
    ],
)
async def test_a_wrong_field_is_refused_by_name(
    oak: Node, name: str, uris: list[str], scopes: str, website: str | None, reason: str
) -> None:
    with pytest.raises(Unprocessable, match=reason):
        await apps.register(
            oak.instance, name=name, redirect_uris_given=uris, scopes_text=scopes, website=website
        )


async def test_a_wrong_secret_or_unknown_client_is_invalid_client(oak: Node) -> None:
    inst = oak.instance
    made = await apps.register(
        inst,
        name="Elk",
        redirect_uris_given=["https://elk.zone/cb"],
        scopes_text="read",
        website=None,
    )
    for client_id, secret in [
        (made.app.client_id, "wrong"),
        (made.app.client_id, None),
        ("nobody", made.client_secret),
        (None, None),
    ]:
        with pytest.raises(OAuthError) as refused:
            await apps.authenticate(inst, client_id, secret)
        assert refused.value.error == "invalid_client"
