"""The tests run on the database they were asked for (tests/databases.py): a run meant for
PostgreSQL that silently used SQLite files would prove nothing."""

from __future__ import annotations

import os
from pathlib import Path

from fedishare.storage.database import Database
from tests.databases import POSTGRES_ENV, backend
from tests.harness import Network


async def test_the_db_fixture_is_on_the_backend_asked_for(db: Database, tmp_path: Path) -> None:
    assert backend() == ("postgresql" if os.environ.get(POSTGRES_ENV) else "sqlite")
    assert db.dialect == backend()
    if backend() == "postgresql":
        assert "PostgreSQL" in await db.fetch_value("SELECT version()")
        name = await db.fetch_value("SELECT current_database()")
        assert name.startswith("fedishare_test_") and name in db.describe
        assert not list(tmp_path.glob("*.sqlite3"))
    else:
        assert await db.fetch_value("SELECT sqlite_version()")
        assert db.describe == str(tmp_path / "listings.sqlite3")
        assert (tmp_path / "listings.sqlite3").is_file()


async def test_each_instance_of_a_network_has_a_database_of_its_own(
    net: Network, tmp_path: Path
) -> None:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    databases = [node.instance.db for node in (oak, elm)]
    assert [database.dialect for database in databases] == [backend(), backend()]
    if backend() == "postgresql":
        names = {await database.fetch_value("SELECT current_database()") for database in databases}
        assert len(names) == 2
        assert not list(tmp_path.glob("*.sqlite3"))
    else:
        assert [database.describe for database in databases] == [
            str(tmp_path / "oak.test.sqlite3"),
            str(tmp_path / "elm.test.sqlite3"),
        ]
