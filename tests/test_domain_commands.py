"""`fedishare domain block|unblock|list|import|purge` against real instances on loopback.

Two instances that are different domains: oak on 127.0.0.1 and elm on localhost (a domain
block ignores the port, so both cannot be on 127.0.0.1). oak takes in elm's listings as a
peer; blocking localhost on oak drops them from oak's search at once, ends the peering, and
oak's running inbox refuses elm from its next reload of the list on.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx
import pytest

from fedishare.cli import main
from fedishare.moderation.domain_blocks import RELOAD_SECONDS
from tests.processes import cli, free_port, local_site, serving
from tests.waiting import eventually

REFUSED = 1  # the exit status of a refused command
BIKE = {
    "type": "Listing",
    "kind": "give",
    "title": "Blue one-speed bike",
    "description": "Some rust, rides fine.",
    "place": {"name": "Oakfield", "latitude": 51.5, "longitude": -0.12},
}
CSV_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"


async def _localhost_site(parent: Path, name: str) -> tuple[Path, int]:
    port = free_port()
    site = parent / name
    site.mkdir()
    code, _, err = await cli(site, "init", "--domain", f"localhost:{port}", "--http")
    assert code == 0, err
    return site, port


async def test_block_a_peer_domain_then_purge_it(tmp_path: Path) -> None:
    oak, oak_port = await local_site(tmp_path, "oak")
    elm, elm_port = await _localhost_site(tmp_path, "elm")
    code, out, err = await cli(elm, "account", "create", "carol")
    assert code == 0, err
    token = re.search(r"token:\s+(\S+)", out)
    assert token is not None
    elm_url, oak_url = f"http://localhost:{elm_port}", f"http://127.0.0.1:{oak_port}"
    search = f"{oak_url}/api/listings?q=bike&lat=51.5&lon=-0.12&radius=5"

    async with (
        serving(oak, oak_port) as oak_server,
        serving(elm, elm_port),
        httpx.AsyncClient() as client,
    ):
        posted = await client.post(
            f"{elm_url}/users/carol/outbox",
            json=BIKE,
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        assert posted.status_code == 201, posted.text
        bike = posted.json()["object"]["id"]
        code, out, err = await cli(oak, "peer", "add", f"localhost:{elm_port}")
        assert code == 0, err
        assert "1 listing(s) taken in" in out
        # Not a terminal: the backfill's progress is a line, not a repainted one.
        assert "fetched 1 of 1 listings (1 taken in)" in err and "\r" not in err

        async def found() -> list[str]:
            return [item["id"] for item in (await client.get(search)).json()["items"]]

        assert await found() == [bike]

        async def peers() -> list[str]:  # whom oak's community follows, accepted
            page = await client.get(
                f"{oak_url}/users/community/following?page=1",
                headers={"Accept": "application/activity+json"},
            )
            return list(page.json()["orderedItems"])

        await eventually(peers, within=30, every=0.5)

        # An unsigned POST naming elm's actor: refused for its host once blocked, before the
        # signature is looked at; until then it is refused for want of a signature.
        probe = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{elm_url}/probe",
            "type": "Like",
            "actor": f"{elm_url}/users/carol",
            "object": bike,
        }

        async def inbox_answer() -> int:
            answer = await client.post(
                f"{oak_url}/inbox",
                content=json.dumps(probe),
                headers={"Content-Type": "application/activity+json"},
            )
            return answer.status_code

        assert await inbox_answer() == 401

        code, out, err = await cli(oak, "domain", "block", "LocalHost", "--reason", "spam waves")
        assert code == 0, err
        assert out.startswith("blocked localhost: in effect for searches and the board now")
        assert f"a running server's inbox within {RELOAD_SECONDS:.0f} s" in out
        assert "at once if sent SIGHUP" in out
        assert await found() == []  # at once, in the running server too
        assert await peers() == []  # the follow with elm's community ended
        code, out, _ = await cli(oak, "domain", "list")
        assert re.fullmatch(r"localhost\tsuspend\t\S+Z\tspam waves\n", out), out

        async def refused() -> bool:
            return await inbox_answer() == 403

        # As the command says: SIGHUP (systemctl reload) makes the running inbox take it.
        oak_server.send_signal(signal.SIGHUP)
        await eventually(refused, within=8, every=0.2)

    code, out, err = await cli(oak, "domain", "purge", "localhost")
    assert code == 0, err
    purged = re.fullmatch(
        r"purged localhost: (\d+) actor\(s\), 0 follow\(s\), 1 listing\(s\), 0 post\(s\) removed\n",
        out,
    )
    assert purged is not None and int(purged.group(1)) >= 2, out  # carol and elm's community
    assert f"purging localhost: {purged.group(1)} of {purged.group(1)} actors forgotten" in err
    assert "not blocked" not in err
    code, _, err = await cli(oak, "domain", "purge", "localhost")
    assert code == REFUSED and "localhost — nothing from localhost is stored here" in err

    code, out, err = await cli(oak, "domain", "unblock", "localhost")
    assert code == 0 and out.startswith("unblocked localhost: in effect"), err
    code, out, err = await cli(oak, "domain", "list")
    assert code == 0 and out == "" and "no domains blocked" in err


async def test_import_block_silence_and_list(tmp_path: Path) -> None:
    oak, _ = await local_site(tmp_path, "oak")
    blocklist = oak / "blocklist.csv"
    blocklist.write_text(
        CSV_HEADER
        + "spam.example,suspend,false,false,spam waves,false\n"
        + "loud.example,silence,false,false,,false\n"
        + "media.example,noop,true,false,,false\n",
        encoding="utf-8",
    )
    code, out, err = await cli(oak, "domain", "import", "blocklist.csv")
    assert code == 0, err
    assert out.startswith(
        "imported blocklist.csv: 2 domain(s) blocked or silenced, 0 moderated already,"
        " 1 noop row(s) skipped; in effect"
    )
    code, out, err = await cli(oak, "domain", "import", "blocklist.csv")
    assert code == 0 and "0 domain(s) blocked or silenced, 2 moderated already" in out, err

    code, out, err = await cli(oak, "domain", "block", "loud.example")  # silenced: now blocked
    assert code == 0 and out.startswith("blocked loud.example:"), err
    code, out, err = await cli(oak, "domain", "block", "quiet.example", "--silence")
    assert code == 0 and out.startswith("silenced quiet.example:"), err
    code, listed, _ = await cli(oak, "domain", "list")
    rows = [line.split("\t") for line in listed.splitlines()]
    assert [(r[0], r[1]) for r in rows] == [
        ("loud.example", "suspend"),
        ("quiet.example", "silence"),
        ("spam.example", "suspend"),
    ]
    assert rows[2][3] == "spam waves"

    bad = oak / "bad.csv"
    bad.write_text(CSV_HEADER + "not a domain,suspend,false,false,,false\n", encoding="utf-8")
    code, out, err = await cli(oak, "domain", "import", "bad.csv")
    assert code == REFUSED and out == ""
    assert err == "fedishare: bad.csv — line 2: #domain: not a domain name (like spam.example)\n"
    assert (await cli(oak, "domain", "list"))[1] == listed  # nothing imported


def test_wrong_names_are_refused_naming_what_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same commands in this process (the subprocess runs above show the exit status and
    stderr end to end): each wrong name refused, with status 1 and one line on stderr."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--domain", "oak.example"]) == 0
    assert main(["domain", "block", "spam.example"]) == 0
    (tmp_path / "bad.csv").write_text(CSV_HEADER + "a.example,never\n", encoding="utf-8")
    capsys.readouterr()
    for args, message in [
        (("block", "spam.example"), "spam.example — already blocked"),
        (("block", "not a domain"), "not a domain — not a domain name (like spam.example)"),
        (("block", "oak.example"), "oak.example — this is our own domain"),
        (("block", "x.example", "--reason", "r" * 501), "x.example — reason: at most 500"),
        (("unblock", "never.example"), "never.example — not blocked"),
        (("unblock", "bad_name"), "bad_name — not a domain name"),
        (("purge", "never.example"), "never.example — nothing from never.example is stored"),
        (("purge", "example"), "example — this is our own domain"),  # ours is under it
        (("import", "missing.csv"), "missing.csv — No such file or directory"),
        (("import", "bad.csv"), "bad.csv — line 2: expected 6 columns, not 2"),
    ]:
        assert main(["domain", *args]) == REFUSED, args
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("fedishare: ") and message in err, (args, err)
        assert err.count("\n") == 1
    assert main(["domain", "list"]) == 0
    assert capsys.readouterr().out.startswith("spam.example\tsuspend\t")  # nothing else


@pytest.mark.parametrize("action", ["block", "unblock", "list", "import", "purge"])
def test_each_action_has_help(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["domain", action, "--help"])
    assert exited.value.code == 0
    assert f"usage: fedishare domain {action}" in capsys.readouterr().out
