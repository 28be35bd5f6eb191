"""[database] url and pool_size: the embedded SQLite file by default, or a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fedishare.core.config import ConfigError, parse_config


def parse(tmp_path: Path, **sections: dict[str, Any]) -> Any:
    data: dict[str, Any] = {"instance": {"domain": "oak.example"}}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data, tmp_path / "instance.toml")


def test_the_default_is_the_sqlite_file_beside_instance_toml(tmp_path: Path) -> None:
    config = parse(tmp_path)
    assert config.database.url == f"sqlite:///{tmp_path}/fedishare.sqlite3"
    assert config.database.is_sqlite and config.database.pool_size == 10
    assert config.database_url == config.database.url
    # The older key names the file as before.
    old = parse(tmp_path, instance={"database": "data/my.sqlite3"})
    assert old.database_url == f"sqlite:///{tmp_path}/data/my.sqlite3"


def test_a_sqlite_url_relative_to_the_file_and_a_postgresql_server(tmp_path: Path) -> None:
    relative = parse(tmp_path, database={"url": "sqlite:///data/hub.sqlite3"})
    assert relative.database_url == f"sqlite:///{tmp_path}/data/hub.sqlite3"
    assert relative.instance.database == tmp_path / "data" / "hub.sqlite3"
    absolute = parse(tmp_path, database={"url": "sqlite:////srv/hub.sqlite3"})
    assert absolute.database_url == "sqlite:////srv/hub.sqlite3"
    server = parse(
        tmp_path, database={"url": "postgresql://hub@db.internal:5433/hub", "pool_size": 30}
    )
    assert server.database_url == "postgresql://hub@db.internal:5433/hub"
    assert not server.database.is_sqlite and server.database.pool_size == 30


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"database": {"url": "mysql://hub@db/hub"}}, "[database] url: expected"),
        ({"database": {"url": "postgresql://hub@db.internal"}}, "with the database's NAME"),
        ({"database": {"url": "sqlite:///"}}, "[database] url: expected"),
        ({"database": {"pool_size": 0}}, "[database] pool_size: expected a number of conn"),
        ({"database": {"pool_size": "ten"}}, "[database] pool_size: expected an integer"),
        (
            {"instance": {"database": "x.sqlite3"}, "database": {"url": "sqlite:///y"}},
            "[database] url: expected no [instance] database beside it",
        ),
    ],
)
def test_a_bad_database_setting_is_refused_naming_the_key(
    tmp_path: Path, sections: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse(tmp_path, **sections)
    assert message in str(err.value)
