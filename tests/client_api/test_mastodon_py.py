"""Mastodon.py, a real Mastodon client, against two real `fedishare serve` processes on
loopback: the whole path a script (or an app) takes, from registering itself to being refused
after its token is revoked. Every answer Mastodon.py receives is validated against Mastodon's
schema (tests/client_api/real_client.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from mastodon import Mastodon, MastodonUnauthorizedError

from tests.client_api.real_client import (
    Pkce,
    ValidatedSession,
    authorize_with_pkce,
    set_neighbourhood,
)
from tests.client_api.schema import check
from tests.processes import cli, local_site, serving
from tests.waiting import eventually

T = TypeVar("T")
SCOPES = ["read", "write", "follow"]
APP_REDIRECT = "fedishare-e2e://oauth-callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"
FEDERATION = 45.0  # seconds for something to cross from one process to the other


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Mastodon.py is synchronous: run it off the event loop, as an app's thread would."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@dataclass
class Site:
    directory: Path
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def member(self, name: str) -> str:
        """Creates a member with the CLI; returns the password it prints once."""
        code, out, err = await cli(self.directory, "account", "create", name)
        assert code == 0, err
        found = re.search(r"^password:\s*(\S+)", out, re.M)
        assert found, out
        return found.group(1)


def app_on(site: Site, watch: ValidatedSession, name: str) -> tuple[str, str]:
    return Mastodon.create_app(
        name,
        scopes=SCOPES,
        redirect_uris=[OOB, APP_REDIRECT],
        website="https://example.org/e2e",
        api_base_url=site.base,
        session=watch.session,
    )


def password_login(
    site: Site, watch: ValidatedSession, app: tuple[str, str], user: str, password: str
) -> Mastodon:
    client = Mastodon(
        client_id=app[0], client_secret=app[1], api_base_url=site.base, session=watch.session
    )
    client.log_in(user, password, scopes=SCOPES, allow_http=True)
    return client


def text_of(status: Any) -> str:
    return re.sub(r"<[^>]+>", " ", str(status["content"]))


async def pkce_sign_in(site: Site, app: tuple[str, str], user: str, password: str) -> Any:
    """An app's sign-in by the authorization code with PKCE (S256): the browser part by
    `authorize_with_pkce`, then the exchange that Mastodon.py cannot make (its `log_in`
    sends no `code_verifier`): a wrong verifier is refused, the right one gives a token
    once. Returns the token answer."""
    pkce = Pkce.new()

    async def code() -> str:
        granted = await authorize_with_pkce(
            site.base,
            client_id=app[0],
            redirect_uri=APP_REDIRECT,
            scopes=" ".join(SCOPES),
            username=user,
            password=password,
            pkce=pkce,
        )
        return granted.code

    async with httpx.AsyncClient(base_url=site.base, trust_env=False) as http:
        exchange = {
            "grant_type": "authorization_code",
            "code": await code(),
            "client_id": app[0],
            "client_secret": app[1],
            "redirect_uri": APP_REDIRECT,
            "code_verifier": "not the verifier",
        }
        refused = await http.post("/oauth/token", data=exchange)
        assert refused.status_code in (400, 401), refused.text
        # Whether a refused verifier spends the code is left open (RFC 7636): sign in
        # afresh for the next exchange.
        exchange["code"], exchange["code_verifier"] = await code(), pkce.verifier
        answer = await http.post("/oauth/token", data=exchange)
        assert answer.status_code == 200, answer.text
        token = check(answer, "POST", "/oauth/token")
        assert token["token_type"] == "Bearer" and set(token["scope"].split()) >= set(SCOPES)
        again = await http.post("/oauth/token", data=exchange)
        assert again.status_code in (400, 401), "a code is good for one token only"
    return token


async def test_mastodon_py_signs_in_follows_posts_replies_and_is_refused_once_revoked(
    tmp_path: Path,
) -> None:
    oak_dir, oak_port = await local_site(tmp_path, "oak")
    elm_dir, elm_port = await local_site(tmp_path, "elm")
    oak, elm = Site(oak_dir, oak_port), Site(elm_dir, elm_port)
    alice_password = await oak.member("alice")
    bob_password = await elm.member("bob")
    carol_password = await elm.member("carol")  # on elm; alice follows only its community
    watch = ValidatedSession()

    async with serving(oak_dir, oak_port), serving(elm_dir, elm_port):
        # Listings need a neighbourhood: each member sets theirs on the web board first.
        await set_neighbourhood(oak.base, "alice", alice_password, "Oakfield", 51.5, -0.12)
        await set_neighbourhood(elm.base, "bob", bob_password, "Elmside", 51.52, -0.1)
        await set_neighbourhood(elm.base, "carol", carol_password, "Elmside", 51.52, -0.1)
        # An app registers itself and alice signs in by the password grant.
        oak_app = await call(app_on, oak, watch, "e2e on oak")
        alice = await call(password_login, oak, watch, oak_app, "alice", alice_password)
        me = await call(alice.account_verify_credentials)
        assert me["username"] == "alice" and me["acct"] == "alice"

        # ... and again by the authorization code with PKCE, as a phone app does.
        token = await pkce_sign_in(oak, oak_app, "alice", alice_password)
        phone = Mastodon(
            access_token=token["access_token"], api_base_url=oak.base, session=watch.session
        )
        assert (await call(phone.account_verify_credentials))["id"] == me["id"]

        # bob, on elm, signs in his own way and follows alice (so her listings reach elm).
        elm_app = await call(app_on, elm, watch, "e2e on elm")
        bob = await call(password_login, elm, watch, elm_app, "bob", bob_password)

        async def resolve(client: Mastodon, handle: str) -> Any:
            found = await call(client.search_v2, handle, resolve=True, result_type="accounts")
            assert found["accounts"], f"{handle} not resolved: {found}"
            return found["accounts"][0]

        bob_there = await resolve(alice, f"@bob@{elm.host}")
        group_there = await resolve(alice, f"@community@{elm.host}")
        alice_there = await resolve(bob, f"@alice@{oak.host}")
        assert bob_there["acct"] == f"bob@{elm.host}"
        assert group_there["acct"] == f"community@{elm.host}" and group_there["group"] is True
        await call(alice.account_follow, bob_there["id"])
        await call(alice.account_follow, group_there["id"])
        await call(bob.account_follow, alice_there["id"])

        async def following(client: Mastodon, *ids: str) -> bool:
            rels = await call(client.account_relationships, list(ids))
            return all(r["following"] for r in rels)

        await eventually(
            lambda: following(alice, bob_there["id"], group_there["id"]), within=FEDERATION
        )
        await eventually(lambda: following(bob, alice_there["id"]), within=FEDERATION)

        async def follow_notified() -> bool:
            notes = await call(alice.notifications, types=["follow"])
            return any(n["account"]["acct"] == f"bob@{elm.host}" for n in notes)

        await eventually(follow_notified, within=FEDERATION)

        # bob offers a ladder; alice sees it at home and under #offer.
        ladder = await call(
            bob.status_post, "#offer Aluminium ladder\nThree metres, collect from the park."
        )
        assert "Aluminium ladder" in text_of(ladder)

        async def in_timeline(fetch: Callable[[], Any], words: str) -> Any:
            for status in await call(fetch):
                shown = status["reblog"] or status
                if words in text_of(shown):
                    return shown
            return None

        seen = await eventually(
            lambda: in_timeline(alice.timeline_home, "Aluminium ladder"), within=FEDERATION
        )
        assert seen["account"]["acct"] == f"bob@{elm.host}"
        assert seen["uri"] == ladder["uri"]
        tagged = await eventually(
            lambda: in_timeline(lambda: alice.timeline_hashtag("offer"), "Aluminium ladder"),
            within=FEDERATION,
        )
        assert tagged["id"] == seen["id"]
        assert "offer" in [t["name"] for t in seen["tags"]]

        # carol, whom alice does not follow, offers a tent: it reaches alice's home as the
        # elm community's boost (a reblog), since alice follows the community.
        carol = await call(password_login, elm, watch, elm_app, "carol", carol_password)
        tent = await call(carol.status_post, "#offer Two-person tent\nDry and complete.")

        async def boosted() -> Any:
            for status in await call(alice.timeline_home):
                if status["reblog"] and "Two-person tent" in text_of(status["reblog"]):
                    return status
            return None

        boost = await eventually(boosted, within=FEDERATION)
        assert boost["account"]["acct"] == f"community@{elm.host}"
        assert boost["reblog"]["account"]["acct"] == f"carol@{elm.host}"
        assert boost["reblog"]["uri"] == tent["uri"]

        # alice offers a bike: on oak's web board, and in elm's listing index.
        bike = await call(alice.status_post, "#offer Blue bike\nA child's bike, 16 inch wheels.")
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            board = await http.get(oak.base + "/", headers={"Accept": "text/html"})
            assert board.status_code == 200 and "Blue bike" in board.text

            async def indexed_on_elm() -> bool:
                listed = await http.get(elm.base + "/api/listings", params={"q": "bike"})
                assert listed.status_code == 200, listed.text
                return any(i["title"] == "Blue bike" for i in listed.json()["items"])

            await eventually(indexed_on_elm, within=FEDERATION)
        mine = await call(alice.account_statuses, me["id"])
        assert bike["id"] in [s["id"] for s in mine]

        # alice answers bob's listing privately; bob reads it as a conversation and a
        # notification on elm.
        reply = await call(
            alice.status_post,
            f"@bob@{elm.host} Is the ladder still free?",
            in_reply_to_id=seen["id"],
            visibility="direct",
        )
        assert reply["visibility"] == "direct" and reply["in_reply_to_id"] == seen["id"]

        async def conversation() -> Any:
            for conv in await call(bob.conversations):
                last = conv["last_status"]
                if last and "still free" in text_of(last):
                    return conv
            return None

        conv = await eventually(conversation, within=FEDERATION)
        assert [a["acct"] for a in conv["accounts"]] == [f"alice@{oak.host}"]
        assert conv["last_status"]["in_reply_to_id"] == ladder["id"]

        async def notified() -> Any:
            for note in await call(bob.notifications):
                if note["type"] == "mention" and "still free" in text_of(note["status"]):
                    return note
            return None

        note = await eventually(notified, within=FEDERATION)
        assert note["account"]["acct"] == f"alice@{oak.host}"

        # alice deletes her post: the listing leaves elm's index too.
        await call(alice.status_delete, bike["id"])
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:

            async def gone_from_elm() -> bool:
                listed = await http.get(elm.base + "/api/listings", params={"q": "bike"})
                return all(i["title"] != "Blue bike" for i in listed.json()["items"])

            await eventually(gone_from_elm, within=FEDERATION)

        # Revoked, the token is refused; the PKCE token of the same member still works.
        await call(alice.revoke_access_token, allow_http=True)
        with pytest.raises(MastodonUnauthorizedError):
            await call(alice.account_verify_credentials)
        assert (await call(phone.account_verify_credentials))["username"] == "alice"

    watch.assert_valid()
