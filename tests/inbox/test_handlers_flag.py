"""Flag: another server's report of our members and posts becomes a report for our admins,
once, naming only what is ours; a Flag about nothing of ours changes nothing. The last test
sends a Flag shaped as Mastodon sends it (`object` a list) through the real inbox."""

from __future__ import annotations

import logging

import pytest

from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.inbox.handlers.flag import MOST_TARGETS
from fedishare.storage import reports
from fedishare.storage.database import Database
from tests.harness import Network
from tests.inbox.handler_support import ELM, OAK, local_note, member, receive
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.waiting import eventually

ELM_ACTOR = f"{ELM}/actor"


def flag(objects: list[str], content: str = "Spam, sent to everyone", n: int = 1) -> JSON:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ELM}/flags/{n}",
        "type": "Flag",
        "actor": ELM_ACTOR,
        "content": content,
        "object": objects,
    }


async def rows(db: Database) -> list[tuple[object, ...]]:
    found = await db.fetch_all("SELECT * FROM reports ORDER BY id")
    posts = await db.fetch_all("SELECT * FROM report_posts ORDER BY report_id, position")
    return [tuple(r) for r in found] + [tuple(p) for p in posts]


async def test_a_flag_of_our_member_and_note_is_one_report_kept_once(net: Network) -> None:
    oak = await net.add("oak.test")
    alice = await member(oak, "alice")
    note = await local_note(oak, alice)
    alice_id = actor_id(oak.instance.urls, alice)
    others = [f"{ELM}/users/bob", f"{ELM}/statuses/9", f"{OAK}/objects/never-posted"]
    activity = flag([alice_id, note, *others])

    await receive(oak, activity)
    await receive(oak, activity)  # handled again after a crash: still one report

    [report] = await reports.listed(oak.instance.db, resolved=False, limit=10)
    assert (report.reporter, report.target, report.reporter_member_id) == (
        ELM_ACTOR,
        alice_id,
        None,
    )
    assert report.comment == "Spam, sent to everyone" and report.activity_id == activity["id"]
    posts = (await reports.posts_of(oak.instance.db, [report.id]))[report.id]
    assert [(p.uri, p.text) for p in posts] == [(note, "Ladder to lend")]
    assert await reports.count_open(oak.instance.db) == 1


async def test_reports_from_a_domain_the_operator_rejects_are_dropped(
    net: Network, caplog: pytest.LogCaptureFixture
) -> None:
    # elm.test's subdomains too; another server's reports still arrive.
    oak = await net.add("oak.test", federation={"reject_reports": ["Elm.test"]})
    alice = await member(oak, "alice")
    alice_id = actor_id(oak.instance.urls, alice)
    sub = {**flag([alice_id], n=2), "actor": "http://social.elm.test/actor"}
    with caplog.at_level(logging.INFO, logger="fedishare.inbox.handlers.flag"):
        await receive(oak, flag([alice_id]))
        await receive(oak, sub)
    assert await rows(oak.instance.db) == []
    assert (
        f"Flag {ELM}/flags/1 from {ELM_ACTOR} dropped: [federation] reject_reports" in caplog.text
    )
    other = {
        **flag([alice_id], n=3),
        "id": "http://pine.test/flags/3",
        "actor": "http://pine.test/actor",
    }
    await receive(oak, other)
    [report] = await reports.listed(oak.instance.db, resolved=False, limit=10)
    assert report.reporter == "http://pine.test/actor"


async def test_a_post_named_without_its_author_reports_the_author(net: Network) -> None:
    oak = await net.add("oak.test")
    alice = await member(oak, "alice")
    note = await local_note(oak, alice)
    await receive(oak, flag([note], content="x" * 6000))
    [report] = await reports.listed(oak.instance.db, resolved=False, limit=10)
    assert report.target == actor_id(oak.instance.urls, alice)
    assert len(report.comment) == 5000  # a longer comment is kept, cut


async def test_posts_given_inline_count_by_their_ids(net: Network) -> None:
    """Akkoma and Pleroma attach each reported post as an object; only its id is taken."""
    oak = await net.add("oak.test")
    alice = await member(oak, "alice")
    note = await local_note(oak, alice)
    inline = {"id": note, "type": "Note", "content": "<p>Something else entirely</p>"}
    await receive(oak, flag([actor_id(oak.instance.urls, alice), inline]))
    [report] = await reports.listed(oak.instance.db, resolved=False, limit=10)
    [post] = (await reports.posts_of(oak.instance.db, [report.id]))[report.id]
    assert (post.uri, post.text) == (note, "Ladder to lend")  # as we have it


async def test_one_flag_reports_at_most_a_few_accounts(net: Network) -> None:
    """A Flag naming many of our members makes reports for the first MOST_TARGETS only."""
    oak = await net.add("oak.test")
    named = [actor_id(oak.instance.urls, await member(oak, f"m{n}")) for n in range(8)]
    await receive(oak, flag(named))
    found = await reports.listed(oak.instance.db, resolved=False, limit=20)
    assert sorted(r.target for r in found) == sorted(named[:MOST_TARGETS])
    assert len(found) == MOST_TARGETS < len(named)


async def test_a_flag_about_nothing_of_ours_changes_nothing(net: Network) -> None:
    oak = await net.add("oak.test")
    alice = await member(oak, "alice")
    await local_note(oak, alice)
    before = await rows(oak.instance.db)
    for n, objects in enumerate(
        [
            [f"{ELM}/users/bob", f"{ELM}/statuses/1"],  # another server's
            [f"{OAK}/users/nobody", f"{OAK}/objects/none"],  # ours in form, unknown
            [f"{OAK}/actor"],  # the instance itself
            [],
        ]
    ):
        await receive(oak, flag(objects, n=n))
    assert await rows(oak.instance.db) == before == []


async def test_a_mastodon_flag_arrives_through_the_inbox(net: Network) -> None:
    oak = await net.add("oak.test")
    inst = oak.instance
    peer = MastodonPeer.on(net, "mastodon.test")
    reporter = peer.add("actor", rsa_key(1))
    alice = await member(oak, "alice")
    note = await local_note(oak, alice)
    activity: JSON = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.base}/0d4c5a4e-2a3a-4f7b-8f0e-5b1f1b9c8a11",
        "type": "Flag",
        "actor": reporter,
        "content": "Selling, not sharing",
        "object": [actor_id(inst.urls, alice), note],
    }
    body, headers = peer.signed_post("actor", f"{OAK}/inbox", activity, now=inst.clock())
    async with net.client() as client:
        answer = await client.post(f"{OAK}/inbox", content=body, headers=headers)
    assert answer.status_code == 202, answer.text

    async def reported() -> bool:
        return await reports.count_open(inst.db) == 1

    await eventually(reported)
    [report] = await reports.listed(inst.db, resolved=False, limit=10)
    assert report.reporter == reporter and report.comment == "Selling, not sharing"
