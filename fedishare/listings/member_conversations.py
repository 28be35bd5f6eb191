"""A member's private conversations, whichever side they are on: as the author of our
listings (with other servers' actors and our members alike), and as a responder to
listings here and elsewhere. Each conversation is for its two parties only: anyone else is
told there is no such conversation.

Writing goes through the services that apps use too: the author's messages through
`fedishare.listings.conversations`, the responder's through
`fedishare.listings.answering`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.federation.actor_document import actor_id
from fedishare.listings import answering, conversations
from fedishare.storage import conversations as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversations import MemberConversation, Message

Role = Literal["author", "responder"]
PAGE = 50


@dataclass(frozen=True)
class Side:
    """A conversation as one party sees it."""

    about: MemberConversation
    role: Role  # the member's part in it
    other: str  # the other party's actor id

    @property
    def id(self) -> int:
        return self.about.id


def _side(me: str, about: MemberConversation) -> Side | None:
    if about.author == me and not about.remote:
        return Side(about, "author", about.responder)
    if about.responder == me:
        return Side(about, "responder", about.author)
    return None


async def inbox(inst: Instance, member: LocalActor, *, page: int = 0) -> list[Side]:
    """One page of `member`'s conversations, the most recently active first."""
    me = actor_id(inst.urls, member)
    found = await store.member_conversations(inst.db, me, limit=PAGE, offset=page * PAGE)
    return [side for about in found if (side := _side(me, about)) is not None]


async def conversation(inst: Instance, member: LocalActor, conversation_id: int) -> Side:
    """One conversation of `member`'s, or NotFound."""
    about = await store.get_member_conversation(inst.db, conversation_id)
    side = None if about is None else _side(actor_id(inst.urls, member), about)
    if side is None:
        raise NotFound("no such conversation")
    return side


async def messages(inst: Instance, side: Side) -> list[Message]:
    """The conversation's messages in the order they came and went."""
    return await store.messages(inst.db, side.id)


async def reply(
    inst: Instance, member: LocalActor, conversation_id: int, content_html: str
) -> Side:
    """`member` writes in one of their conversations; returns it."""
    side = await conversation(inst, member, conversation_id)
    if side.role == "author":
        await conversations.send_message(
            inst, member, side.about.listing_id, side.other, content_html
        )
    else:
        await answering.answer_listing(inst, member, side.about.listing_id, content_html)
    return side
