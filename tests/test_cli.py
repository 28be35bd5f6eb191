from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from fedishare.cli import main
from fedishare.core.config import load_config
from fedishare.storage import actors
from fedishare.storage.database import open_database


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_writes_a_local_config_for_a_domain_and_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "init", "--domain", "127.0.0.1:8123", "--http")
    assert code == 0 and "wrote instance.toml" in out
    config = load_config(tmp_path / "instance.toml")
    assert config.base_url == "http://127.0.0.1:8123"
    assert (config.instance.listen_host, config.instance.listen_port) == ("127.0.0.1", 8123)
    code, _, err = run(capsys, "init", "--domain", "oak.example")
    assert code == 1 and "exists; pass --force" in err
    code, _, _ = run(capsys, "init", "--domain", "oak.example", "--force")
    assert load_config(tmp_path / "instance.toml").base_url == "https://oak.example"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--domain", "127.0.0.1:8080"], "loopback needs allow_insecure"),
        (["--domain", "https://oak.example"], "expected HOST or HOST:PORT"),
        (["--domain", "oak.example:0", "--http"], "a port between 1 and 65535"),
    ],
)
def test_init_refuses_a_bad_domain_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--config", str(tmp_path / "instance.toml"), "init", *args)
    assert code == 1 and message in err
    assert not (tmp_path / "instance.toml").exists()


def test_accounts_create_list_disable_enable_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(tmp_path / "instance.toml")
    run(capsys, "--config", cfg, "init", "--domain", "oak.example")
    code, out, _ = run(capsys, "account", "create", "alice", "--config", cfg)
    assert code == 0
    assert "created @alice@oak.example" in out
    assert "https://oak.example/users/alice" in out
    token = next(line.split()[1] for line in out.splitlines() if line.startswith("token:"))
    assert len(token) >= 40
    code, _, err = run(capsys, "--config", cfg, "account", "create", "ALICE")
    assert code == 1 and "the name 'ALICE' is taken" in err
    code, _, err = run(capsys, "--config", cfg, "account", "create", "bad.")
    assert code == 1 and "not a valid name" in err
    code, _, err = run(capsys, "--config", cfg, "account", "create", "community")
    assert code == 1 and "taken" in err
    run(capsys, "--config", cfg, "account", "create", "bob", "--locked")
    code, out, _ = run(capsys, "--config", cfg, "account", "list")
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["@alice@oak.example", "@bob@oak.example"]
    assert lines[1].endswith("locked")
    assert run(capsys, "--config", cfg, "account", "disable", "alice")[0] == 0
    assert "disabled" in run(capsys, "--config", cfg, "account", "list")[1].splitlines()[0]
    code, _, err = run(capsys, "--config", cfg, "account", "disable", "nobody")
    assert code == 1 and "no member named 'nobody'" in err
    assert run(capsys, "--config", cfg, "account", "enable", "alice")[0] == 0
    code, out, _ = run(capsys, "--config", cfg, "account", "token", "alice")
    assert code == 0 and out.strip() != token


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], ["init", "serve", "account", "--config"]),
        (["init"], ["--domain", "--http", "plain http"]),
        (["serve"], ["SIGTERM", "--listen"]),
        (["account"], ["create", "list", "disable", "token", "invite", "reset-link"]),
        (["account", "create"], ["--locked", "--admin", "password", "access token"]),
        (["account", "invite"], ["--admin", "works once", "7 days"]),
        (["account", "reset-link"], ["NAME", "once", "24 hours"]),
    ],
)
def test_help_explains_each_command(
    capsys: pytest.CaptureFixture[str], args: list[str], words: list[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert word in text


def test_account_create_sets_a_password_shown_once_and_admin_makes_an_admin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(tmp_path / "instance.toml")
    run(capsys, "--config", cfg, "init", "--domain", "oak.example")
    code, out, _ = run(capsys, "--config", cfg, "account", "create", "ada", "--admin")
    assert code == 0 and "created @ada@oak.example (admin)" in out
    assert "https://oak.example/login" in out
    password = next(line.split()[1] for line in out.splitlines() if line.startswith("password:"))
    assert len(password) >= 12
    _, out, _ = run(capsys, "--config", cfg, "account", "create", "bob")
    other = next(line.split()[1] for line in out.splitlines() if line.startswith("password:"))
    assert other != password

    async def stored() -> tuple[str | None, bool]:
        async with open_database(tmp_path / "fedishare.sqlite3") as db:
            ada = await actors.find_by_username(db, "ada")
            assert ada is not None
            return await actors.password_hash(db, ada.id), ada.is_admin

    hashed, is_admin = asyncio.run(stored())
    assert is_admin and hashed is not None and PasswordHasher().verify(hashed, password)
    assert password not in (tmp_path / "fedishare.sqlite3").read_bytes().decode("latin-1")
    listed = run(capsys, "--config", cfg, "account", "list")[1].splitlines()
    assert listed[0].endswith("admin") and not listed[1].endswith("admin")


def test_account_invite_and_reset_link_print_one_time_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(tmp_path / "instance.toml")
    run(capsys, "--config", cfg, "init", "--domain", "oak.example")
    code, out, err = run(capsys, "--config", cfg, "account", "invite")
    assert code == 0 and re.fullmatch(r"https://oak\.example/invite/[\w-]{32}\n", out)
    assert "makes one member" in err
    _, admin_out, admin_err = run(capsys, "--config", cfg, "account", "invite", "--admin")
    assert admin_out != out and "makes one admin" in admin_err
    run(capsys, "--config", cfg, "account", "create", "alice")
    code, out, err = run(capsys, "--config", cfg, "account", "reset-link", "alice")
    assert code == 0 and re.fullmatch(r"https://oak\.example/reset/[\w-]{32}\n", out)
    assert "24 hours" in err
    code, _, err = run(capsys, "--config", cfg, "account", "reset-link", "nobody")
    assert code == 1 and "no member named 'nobody'" in err
