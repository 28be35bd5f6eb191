"""Authorization codes (PKCE S256, single use, ten minutes, bound to a redirect URI), the
app's own token and the password grant's token; scopes within the app's."""

from __future__ import annotations

import pytest

from fedishare.accounts.members import create_member, set_member_disabled
from fedishare.oauth import apps, grants, tokens
from fedishare.oauth.errors import OAuthError
from fedishare.storage.actors import LocalActor
from fedishare.storage.oauth_apps import OAuthApp
from tests.clock import FakeClock
from tests.harness import Node

REDIRECT = "icecubesapp://"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
# RFC 7636 appendix B: the S256 challenge of the verifier above.
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


async def _app(oak: Node, scopes: str = "read write follow") -> OAuthApp:
    made = await apps.register(
        oak.instance,
        name="Ice Cubes",
        redirect_uris_given=[f"{REDIRECT} urn:ietf:wg:oauth:2.0:oob"],
        scopes_text=scopes,
        website=None,
    )
    return made.app


async def _alice(oak: Node) -> LocalActor:
    return await create_member(oak.instance.db, oak.instance.clock, "alice")


def _request(
    app: OAuthApp, scope: str | None = "read write", challenge: str | None = CHALLENGE
) -> grants.AuthorizationRequest:
    return grants.check_request(
        app,
        REDIRECT,
        response_type="code",
        scope=scope,
        state="xyz",
        code_challenge=challenge,
        code_challenge_method="S256" if challenge else None,
    )


def test_s256_is_rfc_7636s() -> None:
    assert grants.s256(VERIFIER) == CHALLENGE


async def test_a_code_becomes_a_token_once_with_the_right_verifier(oak: Node) -> None:
    inst = oak.instance
    app, alice = await _app(oak), await _alice(oak)
    code = await grants.authorize(inst, _request(app), alice)
    issued = await grants.exchange_code(
        inst, app, code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
    )
    assert issued.scopes == ("read", "write")
    found = await tokens.lookup(inst, issued.access_token)
    assert found is not None and (found.actor_id, found.app_id) == (alice.id, app.id)
    with pytest.raises(OAuthError) as again:
        await grants.exchange_code(
            inst, app, code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )
    assert again.value.error == "invalid_grant"


@pytest.mark.parametrize(
    ("redirect_uri", "verifier", "why"),
    [
        (REDIRECT, "x" * 43, "does not match the code_challenge"),
        (REDIRECT, None, "code_verifier is required"),
        ("urn:ietf:wg:oauth:2.0:oob", VERIFIER, "redirect_uri"),
        (None, VERIFIER, "redirect_uri"),
    ],
)
async def test_a_wrong_verifier_or_redirect_uri_is_invalid_grant_and_spends_the_code(
    oak: Node, redirect_uri: str | None, verifier: str | None, why: str
) -> None:
    inst = oak.instance
    app, alice = await _app(oak), await _alice(oak)
    code = await grants.authorize(inst, _request(app), alice)
    with pytest.raises(OAuthError, match=why) as refused:
        await grants.exchange_code(
            inst, app, code=code, redirect_uri=redirect_uri, code_verifier=verifier
        )
    assert refused.value.error == "invalid_grant"
    with pytest.raises(OAuthError, match="already used"):
        await grants.exchange_code(
            inst, app, code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )


async def test_a_code_expires_after_ten_minutes(oak: Node, clock: FakeClock) -> None:
    inst = oak.instance
    app, alice = await _app(oak), await _alice(oak)
    fresh = await grants.authorize(inst, _request(app, challenge=None), alice)
    stale = await grants.authorize(inst, _request(app, challenge=None), alice)
    clock.advance(minutes=9)
    await grants.exchange_code(inst, app, code=fresh, redirect_uri=REDIRECT, code_verifier=None)
    clock.advance(minutes=2)
    with pytest.raises(OAuthError, match="expired"):
        await grants.exchange_code(inst, app, code=stale, redirect_uri=REDIRECT, code_verifier=None)


async def test_another_apps_code_is_refused(oak: Node) -> None:
    inst = oak.instance
    app, other, alice = await _app(oak), await _app(oak), await _alice(oak)
    code = await grants.authorize(inst, _request(app), alice)
    with pytest.raises(OAuthError, match="another app") as refused:
        await grants.exchange_code(
            inst, other, code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )
    assert refused.value.error == "invalid_grant"


async def test_a_disabled_member_gets_no_token_for_their_code(oak: Node) -> None:
    inst = oak.instance
    app, alice = await _app(oak), await _alice(oak)
    code = await grants.authorize(inst, _request(app), alice)
    await set_member_disabled(inst.db, "alice", True)
    with pytest.raises(OAuthError, match="can no longer sign in"):
        await grants.exchange_code(
            inst, app, code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )


@pytest.mark.parametrize(
    ("asked", "granted"),
    [(None, ("read",)), ("", ("read",)), ("read:statuses+write", ("read:statuses", "write"))],
)
async def test_scopes_default_to_read_and_may_be_sub_scopes(
    oak: Node, asked: str | None, granted: tuple[str, ...]
) -> None:
    assert _request(await _app(oak), scope=asked).scopes == granted


@pytest.mark.parametrize("asked", ["push", "read bogus", "admin:read"])
async def test_scopes_beyond_the_apps_are_invalid_scope(oak: Node, asked: str) -> None:
    with pytest.raises(OAuthError) as refused:
        _request(await _app(oak), scope=asked)
    assert refused.value.error == "invalid_scope"


@pytest.mark.parametrize(
    ("response_type", "method", "challenge", "error"),
    [
        ("token", "S256", CHALLENGE, "unsupported_response_type"),
        ("code", "plain", CHALLENGE, "invalid_request"),
        ("code", "S256", "short", "invalid_request"),
    ],
)
async def test_malformed_requests_are_refused(
    oak: Node, response_type: str, method: str, challenge: str, error: str
) -> None:
    with pytest.raises(OAuthError) as refused:
        grants.check_request(
            await _app(oak),
            REDIRECT,
            response_type=response_type,
            scope="read",
            state="",
            code_challenge=challenge,
            code_challenge_method=method,
        )
    assert refused.value.error == error


async def test_redirect_uri_must_be_registered_unless_the_app_has_one(oak: Node) -> None:
    app = await _app(oak)
    assert grants.redirect_uri_for(app, REDIRECT) == REDIRECT
    for given in ("icecubesapp://elsewhere", None):
        with pytest.raises(OAuthError) as refused:
            grants.redirect_uri_for(app, given)
        assert refused.value.error == "invalid_redirect_uri"
    single = await apps.register(
        oak.instance,
        name="One",
        redirect_uris_given=["https://one.example/cb"],
        scopes_text="read",
        website=None,
    )
    assert grants.redirect_uri_for(single.app, None) == "https://one.example/cb"


def test_redirects_keep_app_schemes_and_existing_queries() -> None:
    assert grants.redirect_with("icecubesapp://", {"code": "c", "state": "a b"}) == (
        "icecubesapp://?code=c&state=a+b"
    )
    assert grants.redirect_with("com.tapbots.Ivory.19:/request_token", {"code": "c"}) == (
        "com.tapbots.Ivory.19:/request_token?code=c"
    )
    assert grants.redirect_with("https://a.example/cb?x=1", {"code": "c", "state": ""}) == (
        "https://a.example/cb?x=1&code=c"
    )


async def test_client_credentials_and_password_tokens(oak: Node) -> None:
    inst = oak.instance
    app, alice = await _app(oak), await _alice(oak)
    own = await grants.client_credentials(inst, app, None)
    assert own.scopes == ("read",)
    found = await tokens.lookup(inst, own.access_token)
    assert found is not None and found.actor_id is None and found.app_id == app.id
    theirs = await grants.password(inst, app, alice, "read write")
    found = await tokens.lookup(inst, theirs.access_token)
    assert found is not None and found.actor_id == alice.id
    with pytest.raises(OAuthError):
        await grants.password(inst, app, alice, "push")
