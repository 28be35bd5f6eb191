"""The consent page of `/oauth/authorize`, as a browser sees it: log in first, the app and its
scopes in plain words, authorize or deny, the code back to the app (or on a page for oob),
PKCE end to end; requests that cannot go back to their app shown as pages; the apps' tokens
listed and revoked in the settings."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from fedishare.oauth import apps
from fedishare.storage.oauth_apps import OAuthApp
from tests.client_api.schema import check
from tests.harness import Network, Node
from tests.web.account_support import browser, member_with_password
from tests.web.signed_in import Browser, signed_in

REDIRECT = "icecubesapp://"
OOB = "urn:ietf:wg:oauth:2.0:oob"


async def _app(node: Node, scopes: str = "read write follow profile") -> tuple[OAuthApp, str]:
    made = await apps.register(
        node.instance,
        name="Ice Cubes",
        redirect_uris_given=[REDIRECT, OOB],
        scopes_text=scopes,
        website="https://icecubes.example/",
    )
    return made.app, made.client_secret


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _query(app: OAuthApp, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "read write profile",
        "state": "st&te 1",
        **overrides,
    }


def _hidden(page: str, action: str = "/oauth/authorize") -> dict[str, str]:
    """A form's hidden fields (the consent form's unless told), as the browser posts them."""
    form = page[page.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


def _params(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _exchange(node: Node, app: OAuthApp, secret: str, **data: str) -> httpx.Response:
    return await node.client.post(
        node.base + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": REDIRECT,
            **data,
        },
    )


async def test_pkce_from_the_log_in_page_to_a_working_token(net: Network, node: Node) -> None:
    alice = await member_with_password(node, "alice")
    app, secret = await _app(node)
    verifier, challenge = _pkce()
    query = _query(app, code_challenge=challenge, code_challenge_method="S256")
    async with browser(net, node) as b:
        r = await b.get("/oauth/authorize", **query)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        next_url = parse_qs(urlsplit(r.headers["location"]).query)["next"][0]
        assert next_url.startswith("/oauth/authorize?")
        logged_in = await b.submit(
            "/login", "/login", username="alice", password="correct horse battery", next=next_url
        )
        assert logged_in.status_code == 303 and logged_in.headers["location"] == next_url
        consent = await b.client.get(next_url)
        assert consent.status_code == 200
        page = consent.text
        assert "Ice Cubes" in page and "https://icecubes.example/" in page
        assert "See everything in your account" in page  # read, in words
        assert "Act for you" in page  # write
        assert "@alice@oak.test" in page
        fields = _hidden(page)
        assert fields["code_challenge"] == challenge and fields["state"] == "st&te 1"
        approved = await b.client.post("/oauth/authorize", data={**fields, "decision": "authorize"})
    assert approved.status_code == 303
    back = _params(approved.headers["location"])
    assert back["state"] == "st&te 1"

    wrong = await _exchange(node, app, secret, code=back["code"], code_verifier=_pkce()[0])
    assert wrong.status_code == 400
    assert check(wrong, "POST", "/oauth/token")["error"] == "invalid_grant"

    # The wrong verifier spent the code: approve again and exchange with the right one.
    async with signed_in(net, node, alice) as member:
        consent = await member.get("/oauth/authorize", params=query)
        again = await member.post(
            "/oauth/authorize", {**_hidden(consent.text), "decision": "authorize"}
        )
    code = _params(again.headers["location"])["code"]
    token = check(
        await _exchange(node, app, secret, code=code, code_verifier=verifier),
        "POST",
        "/oauth/token",
    )
    assert token["scope"] == "read write profile" and token["token_type"] == "Bearer"
    reused = await _exchange(node, app, secret, code=code, code_verifier=verifier)
    assert check(reused, "POST", "/oauth/token")["error"] == "invalid_grant"

    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    verified = check(
        await node.client.get(node.base + "/api/v1/apps/verify_credentials", headers=bearer),
        "GET",
        "/api/v1/apps/verify_credentials",
    )
    assert verified["name"] == "Ice Cubes"
    me = await node.client.get(node.base + "/oauth/userinfo", headers=bearer)
    assert me.status_code == 200 and me.json()["preferred_username"] == "alice"


async def _consent(member: Browser, app: OAuthApp, **overrides: str) -> httpx.Response:
    page = await member.get("/oauth/authorize", params=_query(app, **overrides))
    assert page.status_code == 200, page.text
    return page


async def test_denying_sends_access_denied_and_the_state_back(net: Network, node: Node) -> None:
    alice = await member_with_password(node, "alice")
    app, _ = await _app(node)
    async with signed_in(net, node, alice) as member:
        page = await _consent(member, app)
        denied = await member.post("/oauth/authorize", {**_hidden(page.text), "decision": "deny"})
    back = _params(denied.headers["location"])
    assert back["error"] == "access_denied" and back["state"] == "st&te 1"
    assert "code" not in back


async def test_out_of_band_shows_the_code_to_copy(net: Network, node: Node) -> None:
    alice = await member_with_password(node, "alice")
    app, secret = await _app(node)
    async with signed_in(net, node, alice) as member:
        page = await _consent(member, app, redirect_uri=OOB, scope="read")
        shown = await member.post(
            "/oauth/authorize", {**_hidden(page.text), "decision": "authorize"}
        )
    assert shown.status_code == 200
    found = re.search(r'<textarea id="code"[^>]*>([^<]+)</textarea>', shown.text)
    assert found is not None, shown.text
    token = await _exchange(node, app, secret, code=found[1], redirect_uri=OOB)
    assert check(token, "POST", "/oauth/token")["scope"] == "read"


async def test_an_unknown_app_or_redirect_uri_is_a_page_never_a_redirect(
    net: Network, node: Node
) -> None:
    alice = await member_with_password(node, "alice")
    app, _ = await _app(node)
    async with signed_in(net, node, alice) as member:
        unknown = await member.get("/oauth/authorize", params=_query(app, client_id="nobody"))
        elsewhere = await member.get(
            "/oauth/authorize", params=_query(app, redirect_uri="https://evil.example/steal")
        )
    assert unknown.status_code == 401 and "No app with this client_id" in unknown.text
    assert elsewhere.status_code == 400
    assert "does not match any of the app" in elsewhere.text
    assert "This app cannot sign you in" in elsewhere.text
    assert "location" not in elsewhere.headers


async def test_other_mistakes_go_back_to_the_app(net: Network, node: Node) -> None:
    alice = await member_with_password(node, "alice")
    app, _ = await _app(node, scopes="read")
    async with signed_in(net, node, alice) as member:
        beyond = await member.get("/oauth/authorize", params=_query(app, scope="read write"))
        implicit = await member.get("/oauth/authorize", params=_query(app, response_type="token"))
        plain = await member.get(
            "/oauth/authorize",
            params=_query(
                app, scope="read", code_challenge="x" * 43, code_challenge_method="plain"
            ),
        )
        oob = await member.get(
            "/oauth/authorize", params=_query(app, scope="push", redirect_uri=OOB)
        )
    assert _params(beyond.headers["location"])["error"] == "invalid_scope"
    assert _params(beyond.headers["location"])["state"] == "st&te 1"
    assert _params(implicit.headers["location"])["error"] == "unsupported_response_type"
    assert _params(plain.headers["location"])["error"] == "invalid_request"
    assert oob.status_code == 400 and "invalid_scope" in oob.text


async def test_the_consent_form_needs_its_token_and_a_member(net: Network, node: Node) -> None:
    alice = await member_with_password(node, "alice")
    app, _ = await _app(node)
    async with signed_in(net, node, alice) as member:
        fields = _hidden((await _consent(member, app)).text)
        forged = await member.client.post(
            member.base + "/oauth/authorize",
            data={**fields, "csrf_token": "forged", "decision": "authorize"},
        )
    assert forged.status_code == 403
    async with browser(net, node) as visitor:
        anonymous = await visitor.client.post("/oauth/authorize", data=fields)
    assert anonymous.status_code in (401, 403)


async def test_logging_in_as_someone_else_comes_back_to_the_consent_page(
    net: Network, node: Node
) -> None:
    await member_with_password(node, "alice")
    app, _ = await _app(node)
    async with browser(net, node) as b:
        await b.log_in("alice")
        page = await b.get("/oauth/authorize", **_query(app), force_login="true")
        assert "choose the account" in page.text
        here = _hidden(page.text, "/oauth/authorize/switch")
        switched = await b.submit(
            "/oauth/authorize?" + urlencode(_query(app)),
            "/oauth/authorize/switch",
            next=here["next"],
        )
        assert switched.status_code == 303
        assert switched.headers["location"].startswith("/login?next=/oauth/authorize%3F")
        again = await b.get("/oauth/authorize", **_query(app))
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_settings_list_the_apps_and_revoke_one(net: Network, node: Node) -> None:
    alice = await member_with_password(node, "alice")
    app, secret = await _app(node)
    async with signed_in(net, node, alice) as member:
        page = await _consent(member, app)
        approved = await member.post(
            "/oauth/authorize", {**_hidden(page.text), "decision": "authorize"}
        )
        code = _params(approved.headers["location"])["code"]
        token = (await _exchange(node, app, secret, code=code)).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        await node.client.get(node.base + "/oauth/userinfo", headers=bearer)
        settings = (await member.get("/settings")).text
        section = settings[settings.index('id="apps"') :]
        section = section[: section.index("</section>")]
        assert "Ice Cubes" in section and "read write profile" in section
        assert "last used" in section
        token_id = re.search(r'name="token" value="(\d+)"', section)
        assert token_id is not None
        revoked = await member.post("/settings/apps/revoke", {"token": token_id[1]})
        assert revoked.status_code == 303
        assert revoked.headers["location"] == "/settings?notice=app#apps"
        assert "can no longer use your account" in (await member.get("/settings?notice=app")).text
        gone = await member.post("/settings/apps/revoke", {"token": token_id[1]})
        assert gone.status_code == 404
    refused = await node.client.get(node.base + "/oauth/userinfo", headers=bearer)
    assert refused.status_code == 401
