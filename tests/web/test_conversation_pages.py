"""Conversations in the browser: a member answers a listing from its page (ours, with nothing
sent over the network; another server's, by a direct Note), both parties read and reply at
/conversations, a Mastodon user's direct reply shows in the author's conversations, and
nobody else gets in."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from fedishare.accounts.members import create_member
from fedishare.listings import conversations as api
from fedishare.listings import ingest, service
from fedishare.storage import conversations as store
from fedishare.storage.actors import LocalActor
from tests.clock import FakeClock
from tests.harness import Network, network
from tests.listings.factory import draft
from tests.listings.responses_support import (
    ALICE,
    MASTODON,
    World,
    conversation,
    mastodon_reply,
    sent,
    world,
)
from tests.waiting import eventually
from tests.web.signed_in import signed_in

BOB_OAK = "http://oak.test/users/bob"
BOB_ELM = "http://elm.test/users/bob"
JOHN = f"{MASTODON}/users/john"
TITLE = "Blue one-speed bike"


def _uuid(listing: str) -> str:
    return listing.rsplit("/", 1)[1]


def _conversation_path(location: str) -> str:
    found = re.fullmatch(r"/conversations/(\d+)#latest", location)
    assert found is not None, location
    return f"/conversations/{found.group(1)}"


def _messages(page: str) -> list[str]:
    """The text of each message on a conversation page, in order."""
    items = re.findall(r'<li class="message (?:mine|theirs)".*?</li>', page, re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]
    return [t.replace("@ ", "@") for t in texts]  # a mention is "@<span>name</span>"


def _deliveries(net: Network) -> list[str]:
    """The inboxes anything was POSTed to through the network."""
    return [str(q.url) for q in net.router.requests if q.url.path.endswith("/inbox")]


async def _oak_member(w: World, name: str) -> LocalActor:
    inst = w.oak.instance
    return await create_member(inst.db, inst.clock, name, display_name=name.title())


async def test_a_member_answers_a_local_listing_and_the_author_replies(net: Network) -> None:
    w = await world(net)
    bob = await _oak_member(w, "bob")
    listing = await w.listing()
    inst = w.oak.instance
    async with signed_in(net, w.oak, bob) as b, signed_in(net, w.oak, w.alice) as a:
        form = await b.get(f"/listings/{_uuid(listing)}/respond")
        assert form.status_code == 200 and TITLE in form.text
        assert 'action="/listings/' in form.text and 'name="content"' in form.text

        r = await b.post(f"/listings/{_uuid(listing)}/respond", {"content": "Is it <still> free?"})
        assert r.status_code == 303
        path = _conversation_path(r.headers["location"])

        # Recorded here, sent nowhere: alice is a member of this instance.
        [(create, inboxes)] = await sent(w.oak, "Create")
        assert inboxes == [] and create["object"]["to"] == [ALICE]
        assert create["object"]["inReplyTo"] == listing
        assert _deliveries(net) == []

        inbox = await a.get("/conversations")
        assert inbox.status_code == 200
        assert TITLE in inbox.text and "Bob" in inbox.text and f'href="{path}"' in inbox.text
        page = await a.get(path)
        assert page.status_code == 200
        [first] = _messages(page.text)
        assert first.startswith("Bob ·") and first.endswith("@alice Is it &lt;still&gt; free?")
        assert "<still>" not in page.text

        r = await a.post(path, {"content": "Yes!\n\nCome by at six."})
        assert r.status_code == 303 and _conversation_path(r.headers["location"]) == path

        seen_by_bob = _messages((await b.get(path)).text)
        assert len(seen_by_bob) == 2
        assert seen_by_bob[0].startswith("You ·") and seen_by_bob[0].endswith("free?")
        assert seen_by_bob[1].startswith("alice ·")
        assert seen_by_bob[1].endswith("@bob Yes! Come by at six.")

        # The author's side, as the API reads it: one conversation, in then out.
        messages = await api.conversation_messages(inst, w.alice, listing, BOB_OAK)
        assert [(m.direction, m.kind) for m in messages] == [("in", "note"), ("out", "note")]
        assert _deliveries(net) == []

        # bob writes again from the conversation: it replies to alice's latest note.
        r = await b.post(path, {"content": "Great, see you"})
        assert r.status_code == 303
        messages = await api.conversation_messages(inst, w.alice, listing, BOB_OAK)
        assert [m.direction for m in messages] == ["in", "out", "in"]
        assert messages[2].document["inReplyTo"] == messages[1].object_id


async def test_answer_forms_refuse_with_the_reason_beside_the_field(net: Network) -> None:
    w = await world(net)
    bob = await _oak_member(w, "bob")
    listing = await w.listing()
    respond = f"/listings/{_uuid(listing)}/respond"
    async with signed_in(net, w.oak, bob) as b, signed_in(net, w.oak, w.alice) as a:
        r = await b.post(respond, {"content": "  "})
        assert r.status_code == 400
        assert '<p class="error" id="content-error">say something</p>' in r.text
        r = await b.post(respond, {"content": "x" * 6000})
        assert r.status_code == 400 and "longer than 5000 characters" in r.text
        assert "x" * 6000 in r.text  # what they typed is kept
        assert await store.find_conversation(w.oak.instance.db, listing, BOB_OAK) is None

        r = await b.client.post(b.base + respond, data={"content": "hi", "csrf_token": "forged"})
        assert r.status_code == 403
        own = await a.post(respond, {"content": "my own"})
        assert own.status_code == 403 and "your own listing" in own.text
        missing = await b.post("/listings/nothing-here/respond", {"content": "hello"})
        assert missing.status_code == 404


async def test_a_conversation_is_only_for_its_two_parties(net: Network) -> None:
    w = await world(net)
    bob = await _oak_member(w, "bob")
    carol = await _oak_member(w, "carol")
    listing = await w.listing()
    async with signed_in(net, w.oak, bob) as b, signed_in(net, w.oak, carol) as c:
        r = await b.post(f"/listings/{_uuid(listing)}/respond", {"content": "Mine?"})
        path = _conversation_path(r.headers["location"])
        assert (await b.get(path)).status_code == 200

        assert (await c.get(path)).status_code == 404
        assert (await c.post(path, {"content": "let me in"})).status_code == 404
        assert TITLE not in (await c.get("/conversations")).text
        assert (await c.get("/conversations/999")).status_code == 404

        stranger = await b.client.get(b.base + path, headers={"Cookie": ""})
        assert stranger.status_code == 303
        assert stranger.headers["location"] == f"/login?next={path}"
    messages = await api.conversation_messages(w.oak.instance, w.alice, listing, BOB_OAK)
    assert len(messages) == 1


async def test_a_member_answers_another_servers_listing_and_the_author_answers_back(
    net: Network,
) -> None:
    w = await world(net)
    listing = await w.listing()
    elm = w.elm.instance
    assert await ingest.refresh(elm, listing) == ingest.Outcome.STORED
    bob = await create_member(elm.db, elm.clock, "bob", display_name="Bob")
    async with signed_in(net, w.elm, bob) as b, signed_in(net, w.oak, w.alice) as a:
        form = await b.get(f"/conversations/new?listing={quote(listing, safe='')}")
        assert form.status_code == 200 and TITLE in form.text
        r = await b.post(
            f"/conversations/new?listing={quote(listing, safe='')}", {"content": "Still there?"}
        )
        assert r.status_code == 303
        path = _conversation_path(r.headers["location"])

        # A direct Note to alice only, replying to the listing, sent to oak.test.
        [(create, inboxes)] = await sent(w.elm, "Create")
        assert inboxes == ["http://oak.test/inbox"]
        note = create["object"]
        assert note["attributedTo"] == BOB_ELM and note["inReplyTo"] == listing
        assert note["to"] == [ALICE] and note["cc"] == [] and create["to"] == [ALICE]
        assert note["tag"] == [{"type": "Mention", "href": ALICE, "name": "@alice@oak.test"}]

        # oak.test takes it as bob's private answer; alice sees it and answers from the page.
        await conversation(w.oak, listing, BOB_ELM)
        inbox = await a.get("/conversations")
        found = re.search(r'href="(/conversations/\d+)"', inbox.text)
        assert found is not None and TITLE in inbox.text
        alice_path = found.group(1)
        assert "Still there?" in (await a.get(alice_path)).text
        r = await a.post(alice_path, {"content": "Yes, come and get it"})
        assert r.status_code == 303

        # Her direct reply lands in bob's conversation on elm.test.
        async def two() -> list[store.Message]:
            conv = await store.find_conversation(elm.db, listing, BOB_ELM)
            found = [] if conv is None else await store.messages(elm.db, conv.id)
            return found if len(found) == 2 else []

        first, second = await eventually(two)
        assert (first.direction, second.direction) == ("in", "out")
        assert second.document["attributedTo"] == ALICE
        seen = _messages((await b.get(path)).text)
        assert seen[0].startswith("You ·") and seen[0].endswith("Still there?")
        assert seen[1].endswith("@bob Yes, come and get it")
        elm_inbox = await b.get("/conversations")
        assert TITLE in elm_inbox.text and f'href="{path}"' in elm_inbox.text

        # bob answers again: a reply to alice's note, which oak.test files in the same place.
        r = await b.post(path, {"content": "On my way"})
        assert r.status_code == 303
        [_, (again, _)] = await sent(w.elm, "Create")
        assert again["object"]["inReplyTo"] == second.object_id

        async def three() -> list[store.Message]:
            found = await api.conversation_messages(w.oak.instance, w.alice, listing, BOB_ELM)
            return found if len(found) == 3 else []

        assert [m.direction for m in await eventually(three)] == ["in", "out", "in"]


async def test_a_mastodon_users_direct_reply_shows_in_the_authors_conversations(
    net: Network,
) -> None:
    w = await world(net)
    listing = await w.listing()
    reply = mastodon_reply(1, listing)
    reply["object"]["content"] += '<script>alert("x")</script><img src="http://evil.test/x.png">'
    await w.signed("john", reply)
    await conversation(w.oak, listing, JOHN)
    async with signed_in(net, w.oak, w.alice) as a:
        inbox = await a.get("/conversations")
        assert TITLE in inbox.text and "John" in inbox.text and "@john@mastodon.test" in inbox.text
        found = re.search(r'href="(/conversations/\d+)"', inbox.text)
        assert found is not None
        page = await a.get(found.group(1))
        [message] = _messages(page.text)
        assert message.startswith("John ·") and message.endswith("@alice Is it still there?")
        assert "<script" not in page.text.split("<main", 1)[1]
        assert "evil.test" not in page.text

        r = await a.post(found.group(1), {"content": "Yes it is"})
        assert r.status_code == 303
    [(create, inboxes)] = await sent(w.oak, "Create")
    assert inboxes == [f"{MASTODON}/inbox"] and create["object"]["to"] == [JOHN]


async def test_the_inbox_lists_both_sides_newest_activity_first(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with network(tmp_path, clock) as net:
        w = await world(net)
        bob = await _oak_member(w, "bob")
        own = await w.listing(title="Garden chairs")
        inst = w.oak.instance
        bobs = (await service.create_listing(inst, bob, draft(title="Sewing machine"))).listing
        async with signed_in(net, w.oak, bob) as b, signed_in(net, w.oak, w.alice) as a:
            r = await b.post(f"/listings/{_uuid(own)}/respond", {"content": "Chairs please"})
            chairs = _conversation_path(r.headers["location"])
            clock.advance(minutes=1)
            await a.post(f"/listings/{_uuid(bobs.id)}/respond", {"content": "Can I borrow it?"})
            page = (await a.get("/conversations")).text
            assert page.index("Sewing machine") < page.index("Garden chairs")
            assert "You answered Bob" in page and "Your listing, with Bob" in page

            clock.advance(minutes=1)
            await b.post(chairs, {"content": "Tomorrow suits me"})
            page = (await a.get("/conversations")).text
            assert page.index("Garden chairs") < page.index("Sewing machine")
            assert "Last message 1 May 2026, 10:02 UTC" in page
