"""`fedishare account tokens NAME` and `fedishare account revoke NAME TOKEN_ID`: an operator
sees which apps hold a member's tokens and ends one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fedishare.cli import main
from fedishare.storage import tokens
from fedishare.storage.database import open_database


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def works(directory: Path, token: str) -> bool:
    async def found() -> bool:
        async with open_database(directory / "fedishare.sqlite3") as db:
            return await tokens.find(db, token) is not None

    return asyncio.run(found())


def test_tokens_are_listed_and_revoked_one_by_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(tmp_path / "instance.toml")
    run(capsys, "--config", cfg, "init", "--domain", "oak.example")
    _, out, _ = run(capsys, "--config", cfg, "account", "create", "alice")
    first = next(line.split()[1] for line in out.splitlines() if line.startswith("token:"))
    second = run(capsys, "--config", cfg, "account", "token", "alice")[1].strip()
    run(capsys, "--config", cfg, "account", "create", "bob")

    code, out, _ = run(capsys, "--config", cfg, "account", "tokens", "alice")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == 2
    for row in rows:
        token_id, app, scopes, created, last_used = row
        assert token_id.isdigit() and app == "command line"
        assert scopes == "read write follow push profile"
        assert created.endswith("Z") and last_used == "never"

    code, _, err = run(capsys, "--config", cfg, "account", "revoke", "bob", rows[0][0])
    assert code == 1 and f"@bob has no token {rows[0][0]}" in err
    assert works(tmp_path, first)

    code, out, _ = run(capsys, "--config", cfg, "account", "revoke", "alice", rows[0][0])
    assert code == 0 and f"revoked token {rows[0][0]} of @alice@oak.example" in out
    assert not works(tmp_path, first) and works(tmp_path, second)
    listed = run(capsys, "--config", cfg, "account", "tokens", "alice")[1].splitlines()
    assert [line.split("\t")[0] for line in listed] == [rows[1][0]]

    code, _, err = run(capsys, "--config", cfg, "account", "revoke", "alice", rows[0][0])
    assert code == 1 and "no token" in err and "account tokens alice" in err
    code, _, err = run(capsys, "--config", cfg, "account", "tokens", "nobody")
    assert code == 1 and "no member named 'nobody'" in err
    bobs = run(capsys, "--config", cfg, "account", "tokens", "bob")[1].split("\t")[0]
    assert run(capsys, "--config", cfg, "account", "revoke", "bob", bobs)[0] == 0
    code, out, err = run(capsys, "--config", cfg, "account", "tokens", "bob")
    assert code == 0 and out == "" and "@bob has no access tokens" in err


def test_help_explains_the_token_commands(capsys: pytest.CaptureFixture[str]) -> None:
    for args, words in [
        (["account", "tokens"], ["NAME", "scopes", "last used"]),
        (["account", "revoke"], ["TOKEN_ID", "account tokens"]),
    ]:
        with pytest.raises(SystemExit) as done:
            main([*args, "--help"])
        assert done.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        for word in words:
            assert word in text
