"""Reports on the web: the Report links, the form (its refusals beside the field, storing
nothing), and the admins' page where reports are read, resolved and reopened."""

from __future__ import annotations

import html
from urllib.parse import quote

import pytest

from fedishare.federation.actor_document import actor_id
from fedishare.listings.service import create_listing
from fedishare.storage import actors, reports
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.web.account_support import error_beside, member_with_password
from tests.web.signed_in import signed_in


@pytest.fixture
async def oak(net: Network) -> Node:
    node = await net.add("oak.test", community={"rules": ["Share, do not sell."]})
    for name in ("alice", "carol"):
        await member_with_password(node, name)
    await member_with_password(node, "ada", role="admin")
    return node


async def member(node: Node, name: str) -> LocalActor:
    found = await actors.find_by_username(node.instance.db, name)
    assert found is not None
    return found


def link(field: str, uri: str) -> str:
    return html.escape(f"/report?{field}={quote(uri, safe='/')}")


async def test_the_form_refuses_a_long_comment_beside_it_and_stores_nothing(
    net: Network, oak: Node
) -> None:
    alice, carol = await member(oak, "alice"), await member(oak, "carol")
    carol_id = actor_id(oak.instance.urls, carol)
    async with signed_in(net, oak, alice) as browser:
        profile = (await browser.get("/users/carol")).text
        assert link("account", carol_id) in profile
        assert "Report this account" not in (await browser.get("/users/alice")).text
        form = await browser.get(f"/report?account={quote(carol_id)}")
        assert "The account @carol@oak.test" in html.unescape(form.text)
        assert "Send a copy" not in form.text  # one of ours: nothing to send on
        long = await browser.post("/report", {"account": carol_id, "comment": "x" * 1001})
        assert long.status_code == 400
        assert error_beside(long.text, "comment") == "at most 1000 characters"
        assert "x" * 1001 in long.text  # kept in the form, to shorten
        rule = await browser.post("/report", {"account": carol_id, "rule_ids": "7"})
        assert error_beside(rule.text, "rule_ids") == "this server has no rule 7"
        unknown = await browser.post("/report", {"account": "http://oak.test/users/nobody"})
        assert unknown.status_code == 404
    assert await reports.count_open(oak.instance.db) == 0


async def test_admins_read_resolve_and_reopen_a_members_report(net: Network, oak: Node) -> None:
    alice, carol = await member(oak, "alice"), await member(oak, "carol")
    listing = (await create_listing(oak.instance, carol, draft(title="Pills, cheap"))).listing
    page_path = "/listings/" + listing.id.rsplit("/", 1)[1]
    async with signed_in(net, oak, carol) as author:
        assert "Report this listing" not in (await author.get(page_path)).text
    async with signed_in(net, oak, alice) as browser:
        page = (await browser.get(page_path)).text
        assert link("listing", listing.id) in page
        sent = await browser.post(
            "/report",
            {"listing": listing.id, "comment": "Selling\r\n\r\nat the market", "rule_ids": "1"},
        )
        assert sent.headers["location"] == "/report/sent"
        refused = await browser.post("/admin/reports/1/resolve", {})
        assert refused.status_code == 403

    ada = await member(oak, "ada")
    async with signed_in(net, oak, ada) as admin:
        assert "1 report waiting." in (await admin.get("/admin")).text
        page = html.unescape((await admin.get("/admin/reports")).text)
        assert "By our member @alice" in page and "Report of @carol@oak.test" in page
        assert "Pills, cheap" in page and "Share, do not sell." in page
        assert "<p>Selling</p><p>at the market</p>" in page  # as the member wrote it
        assert 'href="/admin/suspensions?username=carol"' in page
        done = await admin.post("/admin/reports/1/resolve", {})
        assert done.headers["location"] == "/admin/reports?notice=resolve"
        assert "No report is waiting." in (await admin.get("/admin/reports")).text
        assert "Pills, cheap" in (await admin.get("/admin/reports?state=resolved")).text
        await admin.post("/admin/reports/1/reopen", {})
        assert (await admin.post("/admin/reports/99/resolve", {})).status_code == 404
    [report] = await reports.listed(oak.instance.db, resolved=False, limit=5)
    assert report.category == "violation" and report.rules == ["1"]
