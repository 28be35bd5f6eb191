"""A member's tokens: listed, revoked by them (only theirs), revoked by their app (only its
own), and useless once the member is disabled or deleted."""

from __future__ import annotations

import pytest

from fedishare.accounts.members import create_member, set_member_disabled
from fedishare.oauth import apps, grants, tokens
from fedishare.oauth.errors import OAuthError
from tests.harness import Node


async def test_members_list_and_revoke_their_own_tokens(oak: Node) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    bob = await create_member(inst.db, inst.clock, "bob")
    made = await apps.register(
        inst,
        name="Phanpy",
        redirect_uris_given=["https://phanpy.social/"],
        scopes_text="read",
        website=None,
    )
    first = await grants.password(inst, made.app, alice, None)
    await tokens.issue(inst, app_id=None, actor_id=alice.id, scopes=["read", "write"])
    listed = await tokens.of_member(inst, alice.id)
    assert [(t.app_name, t.scopes) for t in listed] == [("Phanpy", "read"), (None, "read write")]
    assert not await tokens.revoke(inst, bob.id, listed[0].id)  # not bob's
    assert await tokens.lookup(inst, first.access_token) is not None
    assert await tokens.revoke(inst, alice.id, listed[0].id)
    assert await tokens.lookup(inst, first.access_token) is None
    assert not await tokens.revoke(inst, alice.id, listed[0].id)
    assert [t.app_name for t in await tokens.of_member(inst, alice.id)] == [None]


async def test_an_app_revokes_only_its_own_tokens(oak: Node) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    mine, theirs = [
        (
            await apps.register(
                inst,
                name=name,
                redirect_uris_given=["urn:ietf:wg:oauth:2.0:oob"],
                scopes_text="read",
                website=None,
            )
        ).app
        for name in ("Mine", "Theirs")
    ]
    issued = await grants.password(inst, mine, alice, None)
    with pytest.raises(OAuthError) as refused:
        await tokens.revoke_for_app(inst, theirs, issued.access_token)
    assert refused.value.error == "unauthorized_client"
    await tokens.revoke_for_app(inst, mine, "never-issued")
    await tokens.revoke_for_app(inst, mine, issued.access_token)
    assert await tokens.lookup(inst, issued.access_token) is None


async def test_a_disabled_members_tokens_stop_working_until_enabled(oak: Node) -> None:
    inst = oak.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    issued = await tokens.issue(inst, app_id=None, actor_id=alice.id, scopes=["read"])
    await set_member_disabled(inst.db, "alice", True)
    assert await tokens.lookup(inst, issued.access_token) is None
    await set_member_disabled(inst.db, "alice", False)
    assert await tokens.lookup(inst, issued.access_token) is not None
