"""The domains admin page shows the servers that fail to take deliveries: how many failures in a
row, until when the server is paused, and the last error, so that an operator sees why."""

from __future__ import annotations

from fedishare.remote.publish import publish
from fedishare.storage import deliveries
from tests.harness import Network
from tests.waiting import eventually
from tests.web.account_support import browser, member_with_password


async def test_a_paused_server_is_shown_with_its_reason_and_until_when(net: Network) -> None:
    oak = await net.add("oak.test")  # with its delivery worker running
    await member_with_password(oak, "ada", role="admin")
    alice = await member_with_password(oak, "alice")
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://oak.test/activities/1",
        "type": "Create",
        "actor": "http://oak.test/users/alice",
        "object": {"id": "http://oak.test/objects/1", "type": "Note", "content": "hi"},
    }
    # Nothing answers for down.test: six failed attempts pause it.
    inboxes = [f"http://down.test/users/u{i}/inbox" for i in range(6)]
    await publish(oak.instance, alice, activity, inboxes)

    async def paused() -> bool:
        host = await deliveries.get_host(oak.instance.db, "down.test")
        return host is not None and host["paused_until"] > 0 and host["failures"] == 6

    await eventually(paused)
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        page = (await admin.get("/admin/domains")).text

    failing = page.split('id="failing-heading"', 1)[1].split("</section>", 1)[0]
    assert "<strong>down.test</strong>" in failing
    assert "6 failures in a row" in failing
    assert "failing since 20" in failing  # a date: "failing since 2026-12-05 08:40 UTC"
    assert "paused until 20" in failing
    assert "Last error: ConnectError: no route to down.test" in failing


async def test_no_failing_server_is_said_so(net: Network) -> None:
    oak = await net.add("oak.test")
    await member_with_password(oak, "ada", role="admin")
    async with browser(net, oak) as admin:
        await admin.log_in("ada")
        page = (await admin.get("/admin/domains")).text
    assert "Every server tried lately took its deliveries." in page
