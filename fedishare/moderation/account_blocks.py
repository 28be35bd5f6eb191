"""Admins block single remote accounts for the whole instance (members' own blocks are
`fedishare.accounts.relations`): the account's activities are refused at the inbox (403),
what it sent and is not handled yet is dropped, its follows with our people end, and its
listings and statuses leave the board, search and timelines at once. Unblocking lets it
talk to us again; the follows do not come back.
"""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.errors import Invalid, NotFound
from fedishare.moderation import domain_blocks
from fedishare.storage import account_moderation as store
from fedishare.storage import account_search, follows, inbox_items
from fedishare.storage.account_moderation import AccountBlock
from fedishare.storage.actors import LocalActor


async def account_uri(inst: Instance, text: str) -> str:
    """The actor id an admin means: its address (https://…), or @user@host of an actor
    this instance knows; Invalid("account: …") otherwise, or when it is ours."""
    text = text.strip()
    if not text:
        raise Invalid("account: required")
    if "://" in text:
        if host_or_none(text) is None or not text.startswith(("https://", "http://")):
            raise Invalid("account: not an http(s) address")
        uri = text
    else:
        user, at, host = text.removeprefix("@").partition("@")
        if not (user and at and host):
            raise Invalid("account: an address (https://…) or @user@host")
        found = await account_search.remote_by_handle(inst.db, user, host)
        if found is None:
            raise Invalid("account: not known here; give its address (https://…)")
        uri = found
    if inst.urls.is_ours(uri):
        raise Invalid("account: ours; suspend a member on the members page")
    return uri


async def block(inst: Instance, text: str, reason: str, by: LocalActor) -> AccountBlock:
    """Block the remote account `text` names; Invalid if it is not one or blocked already."""
    uri = await account_uri(inst, text)
    reason = reason.strip()
    if len(reason) > domain_blocks.MAX_REASON:
        raise Invalid(f"reason: at most {domain_blocks.MAX_REASON} characters")
    now = inst.clock().timestamp()
    entry = AccountBlock(uri, reason, now, by.id)
    async with inst.db.transaction() as tx:
        if not await store.insert_block(tx, entry):
            raise Invalid("account: already blocked")
        why = f"{uri} was blocked by an admin"
        pending = await store.pending_items_from(tx, uri)
        await inbox_items.mark_failed(tx, [(i, why) for i in pending], now)
        await follows.remove_actor(tx, uri)
        policy = await domain_blocks.apply(inst, tx)
    domain_blocks.take(inst, policy)
    return entry


async def unblock(inst: Instance, uri: str) -> None:
    """Let the account talk to us again; NotFound if it was not blocked."""
    async with inst.db.transaction() as tx:
        if not await store.delete_block(tx, uri.strip()):
            raise NotFound("account: not blocked")
        policy = await domain_blocks.apply(inst, tx)
    domain_blocks.take(inst, policy)


async def blocks(inst: Instance) -> list[AccountBlock]:
    return await store.all_blocks(inst.db)
