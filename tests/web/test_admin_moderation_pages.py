"""The moderation admin pages over HTTP: a domain blocked or silenced and changed, a Mastodon
blocklist uploaded (a bad row refused beside the field, nothing imported), a remote account
blocked and unblocked, a member suspended (signed out, refused at log-in) and let back in;
none of it for members."""

from __future__ import annotations

import httpx
import pytest

from fedishare.moderation import domain_blocks
from tests.harness import Network, Node
from tests.web.account_support import browser, error_beside, member_with_password

PAGES = ["/admin/accounts", "/admin/suspensions"]
ACTIONS = [
    "/admin/domains/change",
    "/admin/domains/import",
    "/admin/accounts",
    "/admin/accounts/unblock",
    "/admin/suspensions",
    "/admin/suspensions/lift",
]
HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"


@pytest.fixture
async def oak(net: Network) -> Node:
    node = await net.add("oak.test")
    await member_with_password(node, "ada", role="admin")
    await member_with_password(node, "alice")
    return node


async def test_the_pages_are_for_admins_only(net: Network, oak: Node) -> None:
    async with browser(net, oak) as member:
        await member.log_in("alice")
        token = await member.token("/settings")
        for path in PAGES:
            assert (await member.get(path)).status_code == 403, path
        for action in ACTIONS:
            assert (await member.post(action, csrf_token=token)).status_code == 403, action
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        for path in PAGES:
            page = await admin.get(path)
            assert page.status_code == 200 and 'aria-current="page"' in page.text, path


async def test_domains_are_silenced_changed_and_imported_from_the_page(
    net: Network, oak: Node
) -> None:
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        done = await admin.submit(
            "/admin/domains", "/admin/domains", domain="loud.test", reason="", severity="silence"
        )
        assert done.headers["location"] == "/admin/domains?notice=silenced"
        assert oak.instance.domains.permits("loud.test")
        assert oak.instance.domains.severity("loud.test") == "silence"
        page = (await admin.get("/admin/domains")).text
        assert "<strong>loud.test</strong>" in page and ">silenced<" in page

        wrong = await admin.submit(
            "/admin/domains", "/admin/domains/change", domain="loud.test", severity="limit"
        )
        assert wrong.status_code == 400
        assert error_beside(wrong.text, "severity") == "suspend or silence"
        changed = await admin.submit(
            "/admin/domains",
            "/admin/domains/change",
            domain="loud.test",
            severity="suspend",
            reason="worse now",
        )
        assert changed.headers["location"] == "/admin/domains?notice=changed"
        assert not oak.instance.domains.permits("loud.test")
        assert "worse now" in (await admin.get("/admin/domains")).text

        async def upload(text: str) -> httpx.Response:
            token = await admin.token("/admin/domains")
            return await admin.client.post(
                "/admin/domains/import",
                data={"csrf_token": token},
                files={"file": ("domain_blocks.csv", text.encode(), "text/csv")},
            )

        bad = HEADER + "one.test,suspend,false,false,,false\ntwo.test,severe,,,,\n"
        refused = await upload(bad)
        assert refused.status_code == 400
        assert error_beside(refused.text, "file") == (
            "line 3: #severity: suspend, silence or noop, not 'severe'"
        )
        assert [b.domain for b in await domain_blocks.blocks(oak.instance)] == ["loud.test"]
        good = HEADER + "one.test,suspend,false,false,Spam,false\ntwo.test,silence,,,,\n"
        imported = await upload(good)
        assert imported.headers["location"] == "/admin/domains?notice=imported"
        page = (await admin.get("/admin/domains")).text
        assert "<strong>one.test</strong>" in page and "<strong>two.test</strong>" in page


async def test_a_remote_account_is_blocked_and_unblocked_from_the_page(
    net: Network, oak: Node
) -> None:
    bob = "http://elm.test/users/bob"
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        unknown = await admin.submit("/admin/accounts", "/admin/accounts", account="@bob@elm.test")
        assert unknown.status_code == 400
        assert error_beside(unknown.text, "account") == (
            "not known here; give its address (https://…)"
        )
        ours = await admin.submit(
            "/admin/accounts", "/admin/accounts", account=f"{oak.base}/users/alice"
        )
        assert error_beside(ours.text, "account") == "ours; suspend a member on the members page"
        done = await admin.submit("/admin/accounts", "/admin/accounts", account=bob, reason="spam")
        assert done.headers["location"] == "/admin/accounts?notice=blocked"
        assert oak.instance.domains.refuses_actor(bob)
        assert f"<strong>{bob}</strong>" in (await admin.get("/admin/accounts")).text
        again = await admin.submit("/admin/accounts", "/admin/accounts", account=bob)
        assert error_beside(again.text, "account") == "already blocked"
        lifted = await admin.submit("/admin/accounts", "/admin/accounts/unblock", account=bob)
        assert lifted.headers["location"] == "/admin/accounts?notice=unblocked"
        assert not oak.instance.domains.refuses_actor(bob)
        assert "No account is blocked." in (await admin.get("/admin/accounts")).text


async def test_a_member_is_suspended_and_let_back_in_from_the_page(net: Network, oak: Node) -> None:
    async with browser(net, oak) as admin, browser(net, oak) as alice:
        await admin.log_in("ada")
        await alice.log_in("alice")
        unknown = await admin.submit("/admin/suspensions", "/admin/suspensions", username="zed")
        assert unknown.status_code == 400
        assert error_beside(unknown.text, "username") == "no member has this name"
        done = await admin.submit(
            "/admin/suspensions", "/admin/suspensions", username="alice", reason="scams"
        )
        assert done.headers["location"] == "/admin/suspensions?notice=suspended"
        assert (await alice.get("/settings")).status_code == 303  # signed out
        refused = await alice.log_in("alice")
        assert refused.status_code == 400 and "this account is disabled" in refused.text
        page = (await admin.get("/admin/suspensions")).text
        assert "<strong>@alice</strong>" in page and "scams" in page

        lifted = await admin.submit(
            "/admin/suspensions", "/admin/suspensions/lift", username="alice"
        )
        assert lifted.headers["location"] == "/admin/suspensions?notice=lifted"
        assert (await alice.log_in("alice")).status_code == 303
        assert "No member is suspended." in (await admin.get("/admin/suspensions")).text
