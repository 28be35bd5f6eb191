"""fedishare and bovine-herd, two independently written servers, federating on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.peers.herd import running_herd
from tests.processes import free_port, run_cli, serving
from tests.waiting import eventually

AS = "application/activity+json"


def id_of(value: object) -> object:
    """Herd's collections resolve references into whole objects."""
    return value.get("id") if isinstance(value, dict) else value


def token_from(created_stdout: str) -> str:
    return next(
        line.split()[1] for line in created_stdout.splitlines() if line.startswith("token:")
    )


async def collection(client: httpx.AsyncClient, url: str) -> list[object]:
    top = (await client.get(url, headers={"Accept": AS})).json()
    page = (await client.get(top["first"], headers={"Accept": AS})).json()
    return list(page["orderedItems"])


async def test_follows_and_notes_cross_between_fedishare_and_bovine_herd(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = tmp_path / "fedishare"
    site.mkdir()
    assert run_cli(site, "init", "--domain", f"127.0.0.1:{port}", "--http").returncode == 0
    created = run_cli(site, "account", "create", "alice")
    assert created.returncode == 0, created.stderr
    token = token_from(created.stdout)
    alice = f"{base}/users/alice"

    async with (
        serving(site, port),
        running_herd(tmp_path, handle="bob") as herd,
        httpx.AsyncClient(timeout=10.0) as client,
    ):
        bob = herd.actor_id

        # A herd user follows a fedishare member and gets an Accept signed by the member.
        follow = await herd.client.build_follow(alice)
        follow_id = await herd.client.send_to_outbox(follow)
        assert follow_id
        accept = await herd.client.wait_for_inbox(
            lambda a: a.get("type") == "Accept" and id_of(a.get("actor")) == alice, within=20
        )
        assert id_of(accept["object"]) == follow_id

        async def bob_follows_alice() -> bool:
            return await collection(client, f"{alice}/followers") == [bob]

        await eventually(bob_follows_alice, within=20)

        # A fedishare member follows the herd user (by WebFinger handle); herd's user accepts.
        r = await client.post(
            f"{alice}/outbox",
            json={"type": "Follow", "object": f"bob@{herd.host}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        our_follow = r.json()
        assert our_follow["object"] == bob
        incoming = await herd.client.wait_for_inbox(
            lambda a: a.get("type") == "Follow" and a.get("id") == our_follow["id"], within=20
        )
        await herd.client.send_to_outbox(await herd.client.build_accept(incoming))

        async def alice_follows_bob() -> bool:
            return await collection(client, f"{alice}/following") == [bob]

        await eventually(alice_follows_bob, within=20)

        # A Create travels from fedishare to herd...
        r = await client.post(
            f"{alice}/outbox",
            json={"type": "Note", "content": "<p>Free: a blue bike</p>"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        note_id = r.json()["object"]["id"]
        await herd.client.wait_for_inbox(
            lambda a: a.get("type") == "Create" and id_of(a.get("object")) == note_id, within=20
        )

        # ...and one from herd to fedishare, addressed to the member, is kept.
        reply = await herd.client.build_create_note("<p>I would love the bike</p>", to=[alice])
        await herd.client.send_to_outbox(reply)

        async def kept() -> bool:
            return bool(
                await _sqlite_value(
                    site / "fedishare.sqlite3",
                    "SELECT count(*) FROM objects WHERE attributed_to = ? AND document LIKE ?",
                    bob,
                    "%love the bike%",
                )
            )

        await eventually(kept, within=20)
        assert herd.refused_connections() == []


async def _sqlite_value(path: Path, sql: str, *params: object) -> object:
    import aiosqlite

    async with aiosqlite.connect(path) as conn:
        rows = list(await conn.execute_fetchall(sql, params))
        return rows[0][0] if rows else None
