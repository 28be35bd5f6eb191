"""Sign-up rules, invites, the first admin and reset links, below the pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedishare.accounts import registration
from fedishare.accounts.members import create_member
from fedishare.accounts.passwords import log_in
from fedishare.core.errors import Conflict, Forbidden, Invalid, NotFound
from fedishare.storage import actors
from tests.clock import FakeClock
from tests.harness import Network, Node, network

PASSWORD = "correct horse battery"


async def test_each_policy_decides_what_a_sign_up_makes(net: Network) -> None:
    open_node = await net.add("open.test", registration={"policy": "open"})
    member = await registration.sign_up(open_node.instance, " alice ", PASSWORD, "")
    assert member is not None and member.username == "alice" and member.role == "member"
    assert (await log_in(open_node.instance, "alice", PASSWORD, "1.2.3.4")).id == member.id

    approval = await net.add("approval.test", registration={"policy": "approval"})
    assert await registration.sign_up(approval.instance, "bob", PASSWORD, "neighbour") is None
    assert await actors.find_by_username(approval.instance.db, "bob") is None
    [request] = await registration.pending_requests(approval.instance)
    assert (request.username, request.reason) == ("bob", "neighbour")
    assert request.password_hash.startswith("$argon2id$")

    closed = await net.add("closed.test", registration={"policy": "closed"})
    with pytest.raises(Forbidden):
        await registration.sign_up(closed.instance, "carol", PASSWORD, "please")


async def test_approving_keeps_the_chosen_password_and_forgets_its_hash(net: Network) -> None:
    inst = (await net.add("oak.test", registration={"policy": "approval"})).instance
    await registration.sign_up(inst, "bob", PASSWORD, "neighbour")
    [request] = await registration.pending_requests(inst)
    bob = await registration.approve(inst, request.id)
    assert (await log_in(inst, "bob", PASSWORD, "1.2.3.4")).id == bob.id
    decided = await inst.db.fetch_one("SELECT * FROM signup_requests WHERE id = ?", (request.id,))
    assert decided is not None and decided["state"] == "approved"
    assert decided["password_hash"] == ""
    with pytest.raises(Conflict):
        await registration.approve(inst, request.id)
    with pytest.raises(NotFound):
        await registration.refuse(inst, 999)


async def test_a_request_whose_name_was_taken_meanwhile_cannot_be_approved(
    net: Network,
) -> None:
    inst = (await net.add("oak.test", registration={"policy": "approval"})).instance
    await registration.sign_up(inst, "dora", PASSWORD, "hello")
    await create_member(inst.db, inst.clock, "Dora")  # the operator, from the command line
    [request] = await registration.pending_requests(inst)
    with pytest.raises(Conflict, match="taken"):
        await registration.approve(inst, request.id)
    assert len(await registration.pending_requests(inst)) == 1  # nothing half done


async def test_names_of_the_system_actors_and_deleted_members_are_never_given(
    node: Node,
) -> None:
    inst = node.instance
    for name in ("community", "instance.actor", "Community"):
        with pytest.raises(Invalid, match=r"^username: .*taken"):
            await registration.check_new_name(inst, name)
    erin = await create_member(inst.db, inst.clock, "erin")
    async with inst.db.transaction() as tx:
        await actors.mark_deleted(tx, erin.id, inst.clock().timestamp())
    with pytest.raises(Invalid, match="taken"):
        await registration.check_new_name(inst, "ERIN")


async def test_an_invite_works_once_and_expires(tmp_path: Path, clock: FakeClock) -> None:
    async with network(tmp_path, clock) as net:
        inst = (await net.add("oak.test", registration={"policy": "closed"})).instance
        code = await registration.make_invite(inst, None, "admin")
        eve = await registration.accept_invite(inst, code, "eve", PASSWORD)
        assert eve.is_admin
        with pytest.raises(NotFound):
            await registration.accept_invite(inst, code, "mallory", PASSWORD)
        later = await registration.make_invite(inst, eve)
        clock.advance(days=registration.INVITE_DAYS, seconds=1)
        with pytest.raises(NotFound, match="expired"):
            await registration.usable_invite(inst, later)
        with pytest.raises(Invalid, match=r"^role: "):
            await registration.make_invite(inst, eve, "owner")


async def test_the_first_admin_invite_is_fresh_each_time_until_there_is_an_admin(
    node: Node,
) -> None:
    inst = node.instance
    member_invite = await registration.make_invite(inst, None, "member")
    first = await registration.first_admin_invite(inst)
    second = await registration.first_admin_invite(inst)
    assert first and second and first != second
    with pytest.raises(NotFound):
        await registration.usable_invite(inst, first)
    assert (await registration.usable_invite(inst, member_invite)).role == "member"
    admin = await registration.accept_invite(inst, second, "ada", PASSWORD)
    assert admin.is_admin
    assert await registration.first_admin_invite(inst) is None


async def test_reset_links_are_for_members_only(node: Node) -> None:
    inst = node.instance
    for name in ("nobody", "community"):
        with pytest.raises(NotFound):
            await registration.make_reset_link(inst, name)
    fay = await create_member(inst.db, inst.clock, "fay")
    code = await registration.make_reset_link(inst, "FAY")
    assert (await registration.reset_member(inst, code)).id == fay.id
    assert registration.reset_url(inst, code) == f"http://oak.test/reset/{code}"


async def test_the_start_up_invite_stops_working_once_an_admin_exists(node: Node) -> None:
    # Whoever reads the server's log must not become an admin after the first one.
    inst = node.instance
    start_up = await registration.first_admin_invite(inst)
    assert start_up is not None
    ops = await actors.find_by_kind(inst.db, "application")
    from_the_command_line = await registration.make_invite(inst, ops, "admin")
    ada = await create_member(inst.db, inst.clock, "ada")
    async with inst.db.transaction() as tx:
        await actors.set_role(tx, ada.id, "admin")
    with pytest.raises(NotFound):
        await registration.accept_invite(inst, start_up, "mallory", PASSWORD)
    # An admin invite that someone made on purpose still works.
    assert (await registration.accept_invite(inst, from_the_command_line, "bea", PASSWORD)).is_admin
