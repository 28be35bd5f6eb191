"""Accounts in the browser, over HTTP: signing up under each policy, invites, logging in and
out, the throttle, CSRF, cookies, settings, resets and deleting an account."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image

from fedishare.accounts import registration
from fedishare.accounts.members import AccountError, set_member_disabled
from fedishare.core.activitystreams import PUBLIC
from fedishare.follows.following import follow_actor
from fedishare.listings.service import create_listing
from fedishare.storage import actors, follows, remote_actors, tokens
from fedishare.storage import listings as listing_store
from fedishare.web.session import FORM_COOKIE, SESSION_COOKIE
from tests.clock import FakeClock
from tests.harness import Network, network
from tests.listings.factory import START
from tests.waiting import eventually
from tests.web.account_support import (
    PASSWORD,
    Browser,
    browser,
    error_beside,
    member_with_password,
    set_cookie_headers,
)

AS = "application/activity+json"
OFFER = {
    "kind": "give",
    "title": "Ladder",
    "description": "A tall ladder to lend.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
}


async def signed_in_as(b: Browser) -> str | None:
    """Whose settings this browser sees (None: it is sent to log in)."""
    page = await b.get("/settings")
    if page.status_code == 303:
        return None
    assert page.status_code == 200
    return page.text.split("Your address is @", 1)[1].split("@", 1)[0]


# --- signing up --------------------------------------------------------------------------------


async def test_open_sign_up_makes_a_member_at_once_and_signs_them_in(net: Network) -> None:
    node = await net.add("oak.test", registration={"policy": "open"})
    async with browser(net, node) as b:
        form = await b.get("/signup")
        assert form.status_code == 200
        assert 'name="username"' in form.text and 'name="reason"' not in form.text
        done = await b.submit("/signup", "/signup", username="alice", password=PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/settings?notice=welcome"
        assert await signed_in_as(b) == "alice"
        welcome = await b.get("/settings", notice="welcome")
        assert "Welcome!" in welcome.text
    async with browser(net, node) as other:
        taken = await other.submit("/signup", "/signup", username="ALICE", password=PASSWORD)
        assert taken.status_code == 400
        assert error_beside(taken.text, "username") == "the name 'ALICE' is taken"
        assert 'value="ALICE"' in taken.text  # what they typed stays
        assert (await other.log_in("alice")).headers["location"] == "/board"


async def test_sign_up_errors_are_shown_beside_their_fields(net: Network) -> None:
    node = await net.add("oak.test", registration={"policy": "approval"})
    async with browser(net, node) as b:
        cases = [
            ({"username": "bad.", "password": PASSWORD, "reason": "hi"}, "username"),
            ({"username": "admin", "password": PASSWORD, "reason": "hi"}, "username"),
            ({"username": "carol", "password": "short", "reason": "hi"}, "password"),
            ({"username": "carol", "password": PASSWORD, "reason": "  "}, "reason"),
        ]
        for fields, field in cases:
            page = await b.submit("/signup", "/signup", **fields)
            assert page.status_code == 400, fields
            assert error_beside(page.text, field), (fields, page.text)
            assert f'aria-describedby="{field}-hint {field}-error"' in page.text or (
                f'aria-describedby="{field}-error"' in page.text
            )
        assert await registration.pending_requests(node.instance) == []


async def test_approval_sign_up_waits_for_an_admin_then_logs_in(net: Network) -> None:
    node = await net.add("oak.test", registration={"policy": "approval"})
    await member_with_password(node, "ada", role="admin")
    async with browser(net, node) as applicant, browser(net, node) as admin:
        form = await applicant.get("/signup")
        assert 'name="reason"' in form.text and "An admin reads each request" in form.text
        sent = await applicant.submit(
            "/signup", "/signup", username="bob", password=PASSWORD, reason="I live on Elm Row."
        )
        assert sent.status_code == 303 and sent.headers["location"] == "/signup?notice=requested"
        said = await applicant.get("/signup", notice="requested")
        assert "your request has been sent" in said.text
        assert applicant.cookie(SESSION_COOKIE) is None
        waiting = await applicant.log_in("bob")
        assert waiting.status_code == 400
        assert "your request to join has not been approved yet" in waiting.text
        guessed = await applicant.log_in("bob", "not the password")  # told to the applicant only
        assert "wrong name or password" in guessed.text and "approved" not in guessed.text
        # Asking again for the same name while the request waits is refused.
        async with browser(net, node) as someone:
            again = await someone.submit(
                "/signup", "/signup", username="Bob", password=PASSWORD, reason="me too"
            )
            assert error_beside(again.text, "username") == (
                "someone has asked for the name 'Bob' already"
            )

        assert (await admin.log_in("ada")).status_code == 303
        listed = await admin.get("/admin/requests")
        assert "@bob" in listed.text and "I live on Elm Row." in listed.text
        [request] = await registration.pending_requests(node.instance)
        approved = await admin.submit("/admin/requests", f"/admin/requests/{request.id}/approve")
        assert approved.headers["location"] == "/admin/requests?notice=approved"
        assert "@bob" not in (await admin.get("/admin/requests")).text

        logged_in = await applicant.log_in("bob")
        assert logged_in.status_code == 303 and await signed_in_as(applicant) == "bob"


async def test_a_refused_request_cannot_log_in_and_the_name_can_be_asked_again(
    net: Network,
) -> None:
    node = await net.add("oak.test", registration={"policy": "approval"})
    await member_with_password(node, "ada", role="admin")
    async with browser(net, node) as applicant, browser(net, node) as admin:
        await applicant.submit("/signup", "/signup", username="spam", password=PASSWORD, reason="x")
        await admin.log_in("ada")
        [request] = await registration.pending_requests(node.instance)
        refused = await admin.submit("/admin/requests", f"/admin/requests/{request.id}/refuse")
        assert refused.headers["location"] == "/admin/requests?notice=refused"
        again = await admin.submit("/admin/requests", f"/admin/requests/{request.id}/approve")
        assert again.status_code == 409
        failed = await applicant.log_in("spam")
        assert failed.status_code == 400 and "wrong name or password" in failed.text
        asked = await applicant.submit(
            "/signup", "/signup", username="spam", password=PASSWORD, reason="sorry"
        )
        assert asked.headers["location"] == "/signup?notice=requested"


async def test_closed_sign_up_says_so_and_only_an_invite_lets_someone_in(net: Network) -> None:
    node = await net.add("oak.test", registration={"policy": "closed"})
    await member_with_password(node, "ada", role="admin")
    async with browser(net, node) as visitor, browser(net, node) as admin:
        page = await visitor.get("/signup")
        assert "Sign-ups are closed" in page.text and 'name="username"' not in page.text
        token = visitor.cookie(FORM_COOKIE)
        refused = await visitor.post("/signup", csrf_token=token, username="eve", password=PASSWORD)
        assert refused.status_code == 403 and "sign-ups are closed" in refused.text
        assert await actors.find_by_username(node.instance.db, "eve") is None

        await admin.log_in("ada")
        made = await admin.submit("/admin/invites", "/admin/invites", role="member")
        assert made.status_code == 200
        link = made.text.split('id="new-link" value="', 1)[1].split('"', 1)[0]
        assert link.startswith("http://oak.test/invite/")
        assert link not in (await admin.get("/admin/invites")).text  # shown once only
        path = link.removeprefix("http://oak.test")

        invited = await visitor.get(path)
        assert invited.status_code == 200 and 'name="username"' in invited.text
        bad = await visitor.submit(path, path, username="eve", password="short")
        assert bad.status_code == 400 and error_beside(bad.text, "password")
        joined = await visitor.submit(path, path, username="eve", password=PASSWORD)
        assert joined.status_code == 303 and await signed_in_as(visitor) == "eve"
        eve = await actors.find_by_username(node.instance.db, "eve")
        assert eve is not None and not eve.is_admin

        async with browser(net, node) as late:
            assert (await late.get(path)).status_code == 404
            token = await late.token("/login")
            spent = await late.post(path, csrf_token=token, username="mallory", password=PASSWORD)
            assert spent.status_code == 404
        assert await actors.find_by_username(node.instance.db, "mallory") is None


# --- logging in and out ------------------------------------------------------------------------


async def test_log_in_honours_only_local_next_paths_and_log_out_ends_the_session(
    net: Network,
) -> None:
    node = await net.add("oak.test")
    await member_with_password(node, "alice")
    async with browser(net, node) as b:
        asked = await b.get("/settings")
        assert asked.status_code == 303 and asked.headers["location"] == "/login?next=/settings"
        form = await b.get("/login", next="/settings")
        assert 'name="next" value="/settings"' in form.text
        done = await b.submit(
            "/login", "/login", username="@alice", password=PASSWORD, next="/settings"
        )
        assert done.headers["location"] == "/settings"
        for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            again = await b.submit(  # signed in: the token is the session's
                "/settings", "/login", username="alice", password=PASSWORD, next=outside
            )
            assert again.headers["location"] == "/board", outside

        cookie = b.cookie(SESSION_COOKIE)
        assert cookie is not None
        out = await b.submit("/settings", "/logout")
        assert out.status_code == 303 and out.headers["location"] == "/"
        assert b.cookie(SESSION_COOKIE) is None
        b.client.cookies.set(SESSION_COOKIE, cookie)  # the old cookie no longer works
        assert await signed_in_as(b) is None


async def test_failed_log_ins_are_throttled_per_account(net: Network) -> None:
    node = await net.add("oak.test")
    await member_with_password(node, "alice")
    async with browser(net, node) as b:
        for _ in range(5):
            wrong = await b.log_in("alice", "not the password")
            assert wrong.status_code == 400 and "wrong name or password" in wrong.text
        throttled = await b.log_in("alice")  # the right password, too late
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "Too many failed log-ins. Try again in 15 minutes." in throttled.text
        assert b.cookie(SESSION_COOKIE) is None
    await member_with_password(node, "bob")
    async with browser(net, node) as b:
        assert (await b.log_in("bob")).status_code == 303  # another account is not held up


async def test_failed_log_ins_are_throttled_per_address(net: Network) -> None:
    node = await net.add("oak.test")
    await member_with_password(node, "alice")
    async with browser(net, node) as b:
        for number in range(20):  # a different name each time: the account limit never trips
            wrong = await b.log_in(f"guess{number}", "not the password")
            assert wrong.status_code == 400
        throttled = await b.log_in("alice")
        assert throttled.status_code == 429 and "Too many failed log-ins" in throttled.text


async def test_a_disabled_member_cannot_log_in(net: Network) -> None:
    node = await net.add("oak.test")
    await member_with_password(node, "alice")
    await set_member_disabled(node.instance.db, "alice", True)
    async with browser(net, node) as b:
        refused = await b.log_in("alice")
        assert refused.status_code == 400 and "this account is disabled" in refused.text


async def test_forms_without_this_browsers_token_are_refused(net: Network) -> None:
    node = await net.add("oak.test")
    await member_with_password(node, "alice")
    async with browser(net, node) as b, browser(net, node) as other:
        assert (await b.post("/login", username="alice", password=PASSWORD)).status_code == 403
        assert b.cookie(SESSION_COOKIE) is None
        their_token = await other.token("/login")  # another browser's token
        crossed = await b.post(
            "/login", csrf_token=their_token, username="alice", password=PASSWORD
        )
        assert crossed.status_code == 403
        await b.log_in("alice")
        profile = await b.post("/settings/profile", display_name="Mallory", csrf_token="forged")
        assert profile.status_code == 403 and "this form has expired" in profile.text
        assert (await b.post("/settings/delete", password=PASSWORD)).status_code == 403
        alice = await actors.find_by_username(node.instance.db, "alice")
        assert alice is not None and alice.display_name == "alice" and not alice.disabled


async def test_cookies_are_http_only_same_site_lax_and_secure_under_https(net: Network) -> None:
    plain = await net.add("oak.test")
    secure = await net.add("elm.test", instance={"scheme": "https"})
    for node, is_secure in ((plain, False), (secure, True)):
        await member_with_password(node, "alice")
        async with browser(net, node) as b:
            form = await b.get("/login")
            [form_cookie] = set_cookie_headers(form)
            done = await b.log_in("alice")
            [session_cookie] = set_cookie_headers(done)
            for header in (form_cookie, session_cookie):
                parts = [p.strip().lower() for p in header.split(";")]
                assert "httponly" in parts and "samesite=lax" in parts and "path=/" in parts
                assert ("secure" in parts) is is_secure, header
            assert session_cookie.startswith(f"{SESSION_COOKIE}=")


# --- settings ----------------------------------------------------------------------------------


async def test_profile_changes_are_saved_and_an_update_reaches_followers(net: Network) -> None:
    oak = await net.add("oak.test")
    elm = await net.add("elm.test")
    alice = await member_with_password(oak, "alice")
    bob = await member_with_password(elm, "bob")
    alice_id = "http://oak.test/users/alice"
    await follow_actor(elm.instance, bob, alice_id)

    async def followed() -> bool:
        found = await follows.find(oak.instance.db, "http://elm.test/users/bob", alice_id)
        return found is not None and found.state == "accepted"

    await eventually(followed)
    async with browser(net, oak) as b:
        await b.log_in("alice")
        bad = await b.submit(
            "/settings",
            "/settings/profile",
            display_name="Alice A.",
            bio="Keen gardener.",
            place_name="Oakfield",
            latitude="95",
            longitude="",
        )
        assert bad.status_code == 400
        assert error_beside(bad.text, "latitude") == "a number from -90 to 90"
        assert 'value="Alice A."' in bad.text and "Keen gardener." in bad.text
        saved = await b.submit(
            "/settings",
            "/settings/profile",
            display_name="Alice A.",
            bio="Keen gardener.\n\nLends tools.",
            place_name="Oakfield",
            latitude="51.5012",
            longitude="-0.1234",
        )
        assert saved.headers["location"] == "/settings?notice=profile"
        page = (await b.get("/settings")).text
        assert 'value="Alice A."' in page and 'value="51.5"' in page and 'value="-0.12"' in page
    stored = await actors.find_by_id(oak.instance.db, alice.id)
    assert stored is not None and stored.display_name == "Alice A."
    assert stored.default_place == {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12}
    document = (await oak.client.get(alice_id, headers={"Accept": AS})).json()
    assert document["name"] == "Alice A."
    assert document["summary"] == "<p>Keen gardener.</p><p>Lends tools.</p>"

    async def seen_on_elm() -> bool:
        cached = await remote_actors.get(elm.instance.db, alice_id)
        return cached is not None and cached.name == "Alice A."

    await eventually(seen_on_elm)


async def test_changing_the_password_ends_the_other_sessions(net: Network) -> None:
    node = await net.add("oak.test")
    await member_with_password(node, "alice")
    async with browser(net, node) as phone, browser(net, node) as laptop:
        await phone.log_in("alice")
        await laptop.log_in("alice")
        wrong = await phone.submit(
            "/settings",
            "/settings/password",
            current_password="not it",
            new_password="a new password",
        )
        assert wrong.status_code == 400
        assert error_beside(wrong.text, "current_password") == "that is not your password"
        short = await phone.submit(
            "/settings", "/settings/password", current_password=PASSWORD, new_password="short"
        )
        assert error_beside(short.text, "new_password") == "at least 8 characters"
        changed = await phone.submit(
            "/settings",
            "/settings/password",
            current_password=PASSWORD,
            new_password="a new password",
        )
        assert changed.headers["location"] == "/settings?notice=password"
        assert await signed_in_as(phone) == "alice"
        assert await signed_in_as(laptop) is None
        assert (await laptop.log_in("alice")).status_code == 400
        assert (await laptop.log_in("alice", "a new password")).status_code == 303


async def test_a_member_sees_their_sessions_and_logs_one_out(net: Network) -> None:
    node = await net.add("oak.test")
    await member_with_password(node, "alice")
    async with browser(net, node) as phone, browser(net, node) as laptop:
        phone.client.headers["User-Agent"] = "Phone browser"
        laptop.client.headers["User-Agent"] = "Laptop browser"
        await phone.log_in("alice")
        await laptop.log_in("alice")
        page = (await phone.get("/settings")).text
        listed = page.split('id="sessions"', 1)[1]
        assert "Phone browser" in listed and "Laptop browser" in listed
        assert listed.count('<span class="badge">this browser</span>') == 1
        laptop_part = listed.split("Laptop browser", 1)[1]
        session_id = laptop_part.split('name="session" value="', 1)[1].split('"', 1)[0]
        done = await phone.submit("/settings", "/settings/sessions/revoke", session=session_id)
        assert done.headers["location"] == "/settings?notice=session#sessions"
        assert await signed_in_as(laptop) is None and await signed_in_as(phone) == "alice"
        assert "Laptop browser" not in (await phone.get("/settings")).text


# --- reset links -------------------------------------------------------------------------------


async def test_a_reset_link_sets_a_new_password_once_and_expires(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with network(tmp_path, clock) as net:
        node = await net.add("oak.test")
        await member_with_password(node, "alice")
        async with browser(net, node) as old, browser(net, node) as b:
            await old.log_in("alice")
            code = await registration.make_reset_link(node.instance, "alice")
            path = f"/reset/{code}"
            page = await b.get(path)
            assert page.status_code == 200 and "@alice@oak.test" in page.text
            short = await b.submit(path, path, password="short")
            assert short.status_code == 400 and error_beside(short.text, "password")
            done = await b.submit(path, path, password="a fresh password")
            assert done.headers["location"] == "/login?notice=reset"
            assert "Your new password is set" in (await b.get("/login", notice="reset")).text
            assert await signed_in_as(old) is None  # every session ended
            assert (await b.log_in("alice", "a fresh password")).status_code == 303
            assert (await b.get(path)).status_code == 404  # once only

            late = await registration.make_reset_link(node.instance, "alice")
            newer = await registration.make_reset_link(node.instance, "alice")
            assert (await b.get(f"/reset/{late}")).status_code == 404  # replaced by the newer
            clock.advance(hours=24, seconds=1)
            expired = await b.get(f"/reset/{newer}")
            assert expired.status_code == 404 and "has expired" in expired.text
            assert (await b.get("/reset/not-a-code")).status_code == 404


# --- deleting an account -----------------------------------------------------------------------


async def test_deleting_an_account_tells_the_network_and_keeps_the_name_taken(net: Network) -> None:
    oak = await net.add("oak.test", registration={"policy": "open"})
    elm = await net.add("elm.test")
    alice = await member_with_password(oak, "alice")
    bob = await member_with_password(elm, "bob")
    alice_id = "http://oak.test/users/alice"
    token = await tokens.issue(oak.instance.db, alice.id, oak.instance.clock())
    await follow_actor(elm.instance, bob, alice_id)

    async def followed() -> bool:
        found = await follows.find(oak.instance.db, "http://elm.test/users/bob", alice_id)
        return found is not None and found.state == "accepted"

    await eventually(followed)
    listing = (await create_listing(oak.instance, alice, OFFER)).listing

    async def on_elm() -> bool:
        return await listing_store.get(elm.instance.db, listing.id) is not None

    await eventually(on_elm)

    async with browser(net, oak) as b:
        await b.log_in("alice")
        wrong = await b.submit("/settings", "/settings/delete", password="not it")
        assert wrong.status_code == 400
        assert error_beside(wrong.text, "password") == "that is not your password"
        done = await b.submit("/settings", "/settings/delete", password=PASSWORD)
        assert done.headers["location"] == "/login?notice=deleted"
        assert b.cookie(SESSION_COOKIE) is None
        assert "Your account has been deleted" in (await b.get("/login", notice="deleted")).text
        assert (await b.log_in("alice")).status_code == 400
        again = await b.submit("/signup", "/signup", username="alice", password=PASSWORD)
        assert error_beside(again.text, "username") == "the name 'alice' is taken"

    gone = await oak.client.get(alice_id, headers={"Accept": AS})
    assert gone.status_code == 410
    assert (await oak.client.get(listing.id, headers={"Accept": AS})).status_code == 410
    assert await tokens.actor_for(oak.instance.db, token) is None
    stored = await actors.find_by_id(oak.instance.db, alice.id)
    assert stored is not None and stored.is_deleted and stored.disabled
    assert stored.display_name == "" and stored.summary == ""
    try:
        await set_member_disabled(oak.instance.db, "alice", False)
    except AccountError as e:
        assert "deleted their account" in str(e)
    else:
        raise AssertionError("a deleted account was enabled again")

    sent = await oak.instance.db.fetch_all(
        "SELECT a.document, d.inbox, d.state FROM outbox_activities a"
        " JOIN deliveries d ON d.activity_rowid = a.id WHERE a.type = 'Delete'"
    )
    documents = {row["document"] for row in sent}
    assert any(f'"object":"{alice_id}"' in doc for doc in documents)
    assert any(listing.id in doc for doc in documents)

    async def elm_forgot_alice() -> bool:
        follow = await follows.find(elm.instance.db, "http://elm.test/users/bob", alice_id)
        kept = await listing_store.get(elm.instance.db, listing.id)
        return (
            follow is None
            and kept is None
            and not await remote_actors.get(elm.instance.db, alice_id)
        )

    await eventually(elm_forgot_alice)
    delete = [r for r in sent if f'"object":"{alice_id}"' in r["document"]]
    assert delete and all(r["inbox"].startswith("http://elm.test/") for r in delete)
    assert '"to":["' + PUBLIC + '"]' in delete[0]["document"]


def picture(colour: str = "red") -> bytes:
    out = BytesIO()
    Image.new("RGB", (300, 200), colour).save(out, "PNG")
    return out.getvalue()


async def test_an_avatar_is_cleaned_served_from_here_and_shown_to_other_servers(
    net: Network,
) -> None:
    node = await net.add("oak.test")
    alice = await member_with_password(node, "alice")
    alice_id = "http://oak.test/users/alice"
    async with browser(net, node) as b:
        await b.log_in("alice")
        fields = {"csrf_token": await b.token("/settings"), "display_name": "Alice"}
        refused = await b.client.post(
            "/settings/profile", data=fields, files={"avatar": ("me.png", b"not a picture")}
        )
        assert refused.status_code == 400
        assert error_beside(refused.text, "avatar") == (
            "me.png is not a photo we can read (JPEG, PNG, GIF or WebP)"
        )
        saved = await b.client.post(
            "/settings/profile", data=fields, files={"avatar": ("me.png", picture())}
        )
        assert saved.headers["location"] == "/settings?notice=profile"
        stored = await actors.find_by_id(node.instance.db, alice.id)
        assert stored is not None and stored.avatar_media_id is not None
        icon = (await node.client.get(alice_id, headers={"Accept": AS})).json()["icon"]
        assert icon == {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": f"{alice_id}/avatar/{stored.avatar_media_id}",
        }
        served = await node.client.get(icon["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert Image.open(BytesIO(served.content)).size == (300, 200)
        assert (
            f'src="/users/alice/avatar/{stored.avatar_media_id}"' in (await b.get("/settings")).text
        )
        other = await node.client.get(f"{alice_id}/avatar/{stored.avatar_media_id + 1}")
        assert other.status_code == 404

        dropped = await b.submit("/settings", "/settings/profile", drop_avatar="yes")
        assert dropped.status_code == 303
        icon = (await node.client.get(alice_id, headers={"Accept": AS})).json()["icon"]
        assert icon["url"] == "http://oak.test/avatars/person.png"
        assert (await node.client.get(served.url)).status_code == 404
    updates = await node.instance.db.fetch_value(
        "SELECT count(*) FROM outbox_activities WHERE type = 'Update'"
    )
    assert updates == 2  # the new avatar, then none
