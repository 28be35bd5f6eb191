"""`fedishare account delete|password|signups|approve|reject` against real instances: the
sign-up queue and passwords on one instance (typed on a terminal, or piped in), and a
member's deletion reaching a second instance that followed them and took in their listing."""

from __future__ import annotations

import asyncio
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fedishare.accounts import registration
from fedishare.accounts.passwords import matches
from fedishare.cli import main
from fedishare.core.config import load_config
from fedishare.lifecycle import open_instance
from fedishare.storage import actors, signups
from tests.processes import FEDISHARE, cli, local_site, serving
from tests.waiting import eventually

REFUSED = 1  # the exit status of a refused command
AS = {"Accept": "application/activity+json"}
BIKE = {
    "type": "Listing",
    "kind": "give",
    "title": "Blue one-speed bike",
    "description": "Some rust, rides fine.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
}


async def _password_is(site: Path, name: str, password: str) -> bool:
    async with open_instance(load_config(site / "instance.toml")) as inst:
        member = await actors.find_by_username(inst.db, name)
        assert member is not None
        return await matches(await actors.password_hash(inst.db, member.id), password)


def _on_terminal(site: Path, args: list[str], answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Run `fedishare ARGS` on a pseudo-terminal of its own, typing each answer once its
    prompt has appeared; its exit status and all it showed on the terminal."""
    pid, fd = os.forkpty()
    if pid == 0:  # the child: the terminal is its controlling one, as getpass expects
        os.chdir(site)
        os.execv(sys.executable, [sys.executable, *FEDISHARE[1:], *args])
    shown = ""
    pending = list(answers)
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"no output within 60 s: {shown!r}"
        try:
            chunk = os.read(fd, 4096).decode(errors="replace")
        except OSError:  # the child has exited and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if pending and pending[0][0] in shown.rpartition("\n")[2]:
            os.write(fd, (pending.pop(0)[1] + "\n").encode())
            shown += "\n"
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown


async def test_sign_up_queue_and_passwords(tmp_path: Path) -> None:
    oak, oak_port = await local_site(tmp_path, "oak")  # [registration] policy is "approval"
    async with open_instance(load_config(oak / "instance.toml")) as inst:
        for name in ("dave", "erin"):
            # None: the request waits for an admin.
            assert (
                await registration.sign_up(inst, name, f"{name}'s password", "I live here") is None
            )
    code, out, err = await cli(oak, "account", "signups")
    assert code == 0, err
    assert re.fullmatch(r"dave\t\S+Z\tI live here\nerin\t\S+Z\tI live here\n", out), out

    code, out, err = await cli(oak, "account", "approve", "dave")
    assert code == 0, err
    assert out.startswith(f"approved @dave@127.0.0.1:{oak_port}: they can log in at")
    assert await _password_is(oak, "dave", "dave's password")  # the one they chose
    code, out, err = await cli(oak, "account", "reject", "@erin")
    assert code == 0, err
    assert out == "rejected the sign-up of 'erin': nothing is sent; the name is free again\n"
    code, out, err = await cli(oak, "account", "signups")
    assert code == 0 and out == "" and "no sign-ups waiting" in err
    async with open_instance(load_config(oak / "instance.toml")) as inst:
        assert await actors.find_by_username(inst.db, "erin") is None  # no member made

    code, out, err = await cli(oak, "account", "delete", "dave")  # stdin is no terminal
    assert code == REFUSED and out == ""
    assert err == (
        f"fedishare: @dave@127.0.0.1:{oak_port} not deleted — pass --yes"
        " (there is no terminal to ask)\n"
    )

    piped = await asyncio.to_thread(
        subprocess.run,
        [*FEDISHARE, "account", "password", "dave"],
        cwd=oak,
        input="a piped new password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("password set for @dave@")
    assert await _password_is(oak, "dave", "a piped new password")
    short = await asyncio.to_thread(
        subprocess.run,
        [*FEDISHARE, "account", "password", "dave"],
        cwd=oak,
        input="short\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == REFUSED
    assert "@dave: password not changed — password: at least 8 characters" in short.stderr
    assert await _password_is(oak, "dave", "a piped new password")

    # On a terminal: asked twice, never shown; two that differ change nothing.
    code, shown = await asyncio.to_thread(
        _on_terminal,
        oak,
        ["account", "password", "dave"],
        [("New password for @dave: ", "typed secret one"), ("Again: ", "typed secret two")],
    )
    assert code == REFUSED and "the two did not match" in shown
    code, shown = await asyncio.to_thread(
        _on_terminal,
        oak,
        ["account", "password", "dave"],
        [("New password for @dave: ", "typed secret one"), ("Again: ", "typed secret one")],
    )
    assert code == 0 and "password set for @dave@" in shown, shown
    assert "typed secret" not in shown  # not echoed
    assert await _password_is(oak, "dave", "typed secret one")

    # Deleting on a terminal asks for the name; a wrong one deletes nothing.
    code, shown = await asyncio.to_thread(
        _on_terminal, oak, ["account", "delete", "dave"], [("Type dave to confirm: ", "dav")]
    )
    assert code == REFUSED and "not deleted — what was typed is not 'dave'" in shown, shown
    async with open_instance(load_config(oak / "instance.toml")) as inst:
        dave = await actors.find_by_username(inst.db, "dave")
        assert dave is not None and not dave.is_deleted


async def test_deleting_a_member_reaches_the_instance_that_followed_them(tmp_path: Path) -> None:
    oak, oak_port = await local_site(tmp_path, "oak")
    elm, elm_port = await local_site(tmp_path, "elm")
    code, out, err = await cli(oak, "account", "create", "alice")
    assert code == 0, err
    token = re.search(r"token:\s+(\S+)", out)
    assert token is not None
    assert (await cli(elm, "account", "create", "bob"))[0] == 0
    oak_domain, elm_url = f"127.0.0.1:{oak_port}", f"http://127.0.0.1:{elm_port}"
    alice = f"http://{oak_domain}/users/alice"
    search = f"{elm_url}/api/listings?q=bike&lat=51.5&lon=-0.12&radius=5"

    async with serving(oak, oak_port), serving(elm, elm_port), httpx.AsyncClient() as client:
        posted = await client.post(
            f"{alice}/outbox", json=BIKE, headers={"Authorization": f"Bearer {token.group(1)}"}
        )
        assert posted.status_code == 201, posted.text
        bike = posted.json()["object"]["id"]
        code, out, err = await cli(elm, "peer", "add", oak_domain)  # takes the bike in
        assert code == 0 and "1 listing(s) taken in" in out, err
        code, _, err = await cli(elm, "follow", f"@alice@{oak_domain}", "--as", "bob")
        assert code == 0, err

        async def found() -> list[str]:
            return [item["id"] for item in (await client.get(search)).json()["items"]]

        async def bob_follows() -> list[str]:  # accepted follows, as elm shows them
            page = await client.get(f"{elm_url}/users/bob/following?page=1", headers=AS)
            return list(page.json()["orderedItems"])

        async def bob_accepted() -> bool:
            return await bob_follows() == [alice]

        assert await found() == [bike]
        await eventually(bob_accepted, within=30, every=0.5)

        code, out, err = await cli(oak, "account", "delete", "alice", "--yes")
        assert code == 0, err
        assert out.startswith(f"deleted @alice@{oak_domain}: 1 listing(s) withdrawn;")
        assert "1 of 1 listings withdrawn" in err
        gone = await client.get(alice, headers=AS)
        assert gone.status_code == 410

        async def gone_from_elm() -> bool:
            return await found() == [] and await bob_follows() == []

        await eventually(gone_from_elm, within=45, every=0.5)

    code, out, err = await cli(oak, "account", "delete", "alice", "--yes")
    assert code == REFUSED and "@alice — deleted already" in err


def test_wrong_names_are_refused_naming_what_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In this process (the subprocess runs above show the exit status and stderr end to
    end): each wrong name refused, with status 1 and one line on stderr."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--domain", "oak.example"]) == 0

    async def queue() -> None:
        async with open_instance(load_config(tmp_path / "instance.toml")) as inst:
            await registration.sign_up(inst, "erin", "erin's password", "I live here")
            request = await signups.find_by_username(inst.db, "erin")
            assert request is not None
            await registration.refuse(inst, request.id)

    asyncio.run(queue())
    capsys.readouterr()
    for args, message in [
        (("approve", "erin"), "erin — the sign-up was rejected already"),
        (("reject", "erin"), "erin — the sign-up was rejected already"),
        (("approve", "nobody"), "no sign-up named 'nobody'; `fedishare account signups` lists"),
        (("reject", "nobody"), "no sign-up named 'nobody'"),
        (("delete", "nobody", "--yes"), "no member named 'nobody'"),
        (("password", "nobody"), "no member named 'nobody'"),
    ]:
        assert main(["account", *args]) == REFUSED, args
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("fedishare: ") and message in err, (args, err)
        assert err.count("\n") == 1


@pytest.mark.parametrize("action", ["delete", "password", "signups", "approve", "reject"])
def test_each_action_has_help(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["account", action, "--help"])
    assert exited.value.code == 0
    assert f"usage: fedishare account {action}" in capsys.readouterr().out
