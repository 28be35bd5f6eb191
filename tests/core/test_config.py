from __future__ import annotations

from pathlib import Path

import pytest

from fedishare.cli import main
from fedishare.core.config import ConfigError, default_config_text, load_config
from fedishare.core.domain_policy import DomainPolicy

GOOD = """
[instance]
domain = "oak.example"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "instance.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_gets_production_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.base_url == "https://oak.example"
    assert config.instance.database == tmp_path / "fedishare.sqlite3"
    assert (config.instance.listen_host, config.instance.listen_port) == ("127.0.0.1", 8080)
    assert config.registration == "approval"


def test_the_written_default_and_the_repository_example_load(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, default_config_text()))
    assert config.base_url == "http://127.0.0.1:8080"
    assert config.retention.finished_days == 14
    example = load_config(Path(__file__).parents[2] / "instance.toml")
    assert example.instance.allow_insecure


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[instance]\ndomain = 'oak.example'\ncolour = 'red'\n",
            "instance.toml: [instance] colour: unknown key",
        ),
        ("[instance]\ndomain = 'oak.example'\n[extras]\n", "[extras]: unknown section"),
        ("[instance]\ndomain = 42\n", "[instance] domain: expected a string, got 42"),
        ("[instance]\n", "[instance] domain: expected a string; it is required"),
        ("", "[instance] domain: expected a string; it is required"),
        (
            "[instance]\ndomain = 'oak.example'\nscheme = 'gopher'\n",
            '[instance] scheme: expected "https" or "http"',
        ),
        (
            "[instance]\ndomain = 'oak.example'\nscheme = 'http'\n",
            '[instance] scheme: expected "https" (plain http needs allow_insecure = true)',
        ),
        (
            "[instance]\ndomain = '127.0.0.1:8080'\n",
            "[instance] domain: expected a public domain name (loopback needs allow_insecure",
        ),
        (
            "[instance]\ndomain = 'https://oak.example/'\n",
            "[instance] domain: expected HOST or HOST:PORT",
        ),
        (
            "[instance]\ndomain = 'oak.example:99999'\n",
            "[instance] domain: expected HOST or HOST:PORT with a port between 1 and 65535",
        ),
        (
            "[instance]\ndomain = 'oak.example'\nlisten = 'anywhere'\n",
            '[instance] listen: expected "HOST:PORT"',
        ),
        (
            "[instance]\ndomain = 'oak.example'\nallow_insecure = 'yes'\n",
            "[instance] allow_insecure: expected true or false, got 'yes'",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[registration]\npolicy = 'sometimes'\n",
            '[registration] policy: expected "open" or "approval" or "closed"',
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[community]\nhandle = 'bad handle'\n",
            "[community] handle: expected letters, digits and _",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[community]\nrules = [1, 2]\n",
            "[community] rules: expected a list of strings",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[federation]\nblock = ['not a domain']\n",
            "[federation] block: expected a list of domain names, got 'not a domain'",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[federation]\nreject_reports = ['a b']\n",
            "[federation] reject_reports: expected a list of domain names, got 'a b'",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[limits]\nmax_body_bytes = -1\n",
            "[limits] max_body_bytes: expected a positive integer, got -1",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[limits]\nmax_body_bytes = true\n",
            "[limits] max_body_bytes: expected an integer, got True",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[retention]\nfinished_days = 0\n",
            "instance.toml: [retention] finished_days: expected a number of days, at least 3",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[retention]\nfinished_days = 2\n",
            "[retention] finished_days: expected a number of days, at least 3 (redelivered"
            " activities are recognised by their finished rows), got 2",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[retention]\nfinished_days = 2.9\n",
            "[retention] finished_days: expected a number of days, at least 3",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[retention]\nfinished_days = nan\n",
            "[retention] finished_days: expected a number of days, at least 3",
        ),
        (
            "[instance]\ndomain = 'oak.example'\n[retention]\nfinished_days = '14'\n",
            "instance.toml: [retention] finished_days: expected a number, got '14'",
        ),
        (
            "[instance]\ndomain = 'oak.example'\ninstance = 3\n[instance]\n",
            "instance.toml: not valid TOML",
        ),
        (
            "[instance\n",
            "instance.toml: not valid TOML: Expected ']' at the end of a table"
            " declaration (at line 1, column 10)",
        ),
    ],
)
def test_bad_config_is_refused_with_file_key_and_expectation(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)


@pytest.mark.parametrize(
    "command", [["serve"], ["account", "create", "alice"], ["account", "list"]]
)
def test_bad_config_creates_and_starts_nothing(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[instance]\ndomain = 'oak.example'\ndatabase = 'db.sqlite3'\nx = 1\n")
    assert main(["--config", str(path), *command]) == 1
    assert "instance.toml: [instance] x: unknown key" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance.toml"]


def test_finished_queue_rows_are_kept_14_days_unless_configured(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, GOOD)).retention.finished_days == 14.0
    for text, days in (("3", 3.0), ("30", 30.0), ("7.5", 7.5)):
        path = write(tmp_path, GOOD + f"[retention]\nfinished_days = {text}\n")
        retention = load_config(path).retention
        assert (retention.finished_days, retention.finished_seconds) == (days, days * 86_400)


def test_federation_lists_match_subdomains(tmp_path: Path) -> None:
    text = GOOD + "[federation]\nblock = ['spam.example']\n"
    fed = DomainPolicy(load_config(write(tmp_path, text)).federation)
    assert not fed.permits("spam.example")
    assert not fed.permits("eggs.spam.example:8443")
    assert fed.permits("notspam.example")
    allow = DomainPolicy(
        load_config(write(tmp_path, GOOD + "[federation]\nallow = ['ok.example']\n")).federation
    )
    assert allow.permits("ok.example")
    assert not allow.permits("other.example")
