"""Published activities are pruned like the other queues: under a steady load of posts, edits and
deletions the table stops growing, while what peers still need stays (the Create and newest
Update of a live note, listed in the outbox collection and served at their ids)."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.types import Receive, Scope, Send

from fedishare.accounts.members import create_member
from fedishare.statuses.posting import Draft, delete_status, edit_status, post_status
from fedishare.storage import deliveries, follows, outbox, remote_actors
from fedishare.storage.remote_actors import RemoteActor
from fedishare.workers.retention import prune_finished
from tests.clock import FakeClock
from tests.harness import network
from tests.listings.factory import START
from tests.waiting import eventually

PEER = "http://peer.test/users/pat"
AS = "application/activity+json"
DAY = 86400.0


async def inbox(scope: Scope, receive: Receive, send: Send) -> None:
    """peer.test's inbox: takes everything at once."""
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_the_outbox_stays_bounded_and_keeps_what_peers_need(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with network(tmp_path, clock) as net:
        oak = await net.add("oak.test", retention={"finished_days": 3})
        inst = oak.instance
        net.router.add("peer.test", inbox)
        alice = await create_member(inst.db, inst.clock, "alice")
        async with inst.db.transaction() as tx:  # pat on peer.test follows alice
            await remote_actors.upsert(tx, _pat(), {})
            await follows.upsert(
                tx, PEER, "http://oak.test/users/alice", f"{PEER}#f", "accepted", "2026"
            )
        kept = await post_status(inst, alice, Draft("A ladder to lend", visibility="public"))

        async def all_sent() -> bool:
            return "pending" not in await deliveries.count_by_state(inst.db)

        sizes = []
        for day in range(10):
            await edit_status(inst, alice, kept.id, Draft(f"A ladder to lend ({day})"))
            brief = await post_status(inst, alice, Draft(f"Soup tonight {day}"))
            await delete_status(inst, alice, brief.id)
            await eventually(all_sent)
            clock.advance(days=1)
            await prune_finished(inst)
            sizes.append(await outbox.count(inst.db))

        # Three activities a day; those of the last 3 days stay (their delivery rows do),
        # and of the older ones only the note's Create (its newest Update is of today).
        assert sizes[2:] == [3 * 3 + 1] * 8, sizes
        # Once the load stops, what is left is what is served: the live note's Create and
        # its newest Update.
        clock.advance(days=4)
        await prune_finished(inst)
        assert await outbox.count(inst.db) == 2
        rows = await inst.db.fetch_all(
            "SELECT activity_id, type FROM outbox_activities WHERE object_id = ? ORDER BY id",
            (kept.uri,),
        )
        assert [r["type"] for r in rows] == ["Create", "Update"]
        create_id = rows[0]["activity_id"]

        async with net.client() as peer:
            page = await peer.get(
                "http://oak.test/users/alice/outbox?page=1", headers={"Accept": AS}
            )
            served = await peer.get(create_id, headers={"Accept": AS})
        assert page.status_code == 200
        items = [item["id"] for item in page.json()["orderedItems"]]
        assert create_id in items and rows[-1]["activity_id"] in items
        assert served.status_code == 200 and json.loads(served.text)["id"] == create_id


def _pat() -> RemoteActor:
    return RemoteActor(
        id=PEER,
        host="peer.test",
        type="Person",
        preferred_username="pat",
        name="",
        inbox=f"{PEER}/inbox",
        shared_inbox="http://peer.test/inbox",
        followers=None,
        key_id=f"{PEER}#main-key",
        public_key_pem="",
        fetched_at=0.0,
    )


async def test_what_is_kept_and_what_goes(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with network(tmp_path, clock) as net:
        # No retention worker beside the pass run below (its first pass, at start, would
        # race with the rows written here).
        oak = await net.add("oak.test", workers=False, retention={"finished_days": 3})
        inst = oak.instance
        alice = await create_member(inst.db, inst.clock, "alice")
        me = "http://oak.test/users/alice"
        old, young = clock.now.timestamp() - 4 * DAY, clock.now.timestamp() - DAY

        async def sent(
            name: str, kind: str, obj: object, at: float = old, ident: str | None = None
        ) -> str:
            activity_id = ident or f"http://oak.test/activities/{name}"
            activity = {"id": activity_id, "type": kind, "object": obj}
            async with inst.db.transaction() as tx:
                rowid = await outbox.insert_activity(
                    tx, actor_id=alice.id, activity=activity, public=True, now=at
                )
                if name == "queued":
                    await outbox.enqueue_deliveries(tx, rowid, [f"{PEER}/inbox"], at)
            return str(activity["id"])

        async with inst.db.transaction() as tx:
            for uri, deleted in [
                ("http://peer.test/n/1", 0),
                ("http://oak.test/boosts/1", 1),
                ("http://peer.test/n/3", 0),
                ("http://oak.test/boosts/3", 1),
            ]:
                await tx.execute(
                    "INSERT INTO statuses (uri, kind, author, visibility, published, deleted)"
                    " VALUES (?, 'note', 'x', 'public', '2026', ?)",
                    (uri, deleted),
                )
            await follows.upsert(tx, me, PEER, "http://oak.test/activities/follow", "accepted", "x")
        # Boosts since undone (their statuses are deleted): the first of a note boosted again,
        # and the only one of another note.
        await sent("undone", "Announce", "http://peer.test/n/1", ident="http://oak.test/boosts/1")
        await sent("undone", "Announce", "http://peer.test/n/3", ident="http://oak.test/boosts/3")
        kept = [
            await sent("follow", "Follow", PEER),  # the follow lasts: an Undo embeds it
            await sent("boost", "Announce", "http://peer.test/n/1"),  # a live boost
            await sent("young", "Like", "http://peer.test/n/1", at=young),  # not old enough
            await sent("queued", "Like", "http://peer.test/n/2"),  # a delivery still points at it
        ]
        for name, kind, obj in [
            ("ended", "Follow", "http://peer.test/users/gone"),  # its follow has ended
            ("unknown", "Announce", "http://peer.test/n/9"),  # its note is not known here
            ("of-update", "Announce", {"id": "http://oak.test/activities/u", "type": "Update"}),
            ("accept", "Accept", "http://peer.test/follows/1"),
            ("like", "Like", "http://peer.test/n/1"),
            ("delete", "Delete", "http://oak.test/objects/1"),
        ]:
            await sent(name, kind, obj)

        pruned = await prune_finished(inst)

        rows = await inst.db.fetch_all("SELECT activity_id FROM outbox_activities ORDER BY id")
        assert [r[0] for r in rows] == kept
        assert pruned.outbox_activities == 8
