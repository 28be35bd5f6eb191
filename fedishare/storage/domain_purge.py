"""Finding what is stored from one remote domain, for `fedishare domain purge`.

An actor of the domain may be known here only as an author of listings or posts, or only
as one side of a follow, as well as (or instead of) by its cached document: all four are
looked at. SQL's LIKE narrows the rows to those naming the domain anywhere; `within` then
keeps the actors whose host is the domain or one of its subdomains (a port does not count).
"""

from __future__ import annotations

from fedishare.core.activitystreams import host_or_none
from fedishare.core.domain_policy import within
from fedishare.storage.database import Database, Transaction

_NAMING = """
    SELECT id AS actor FROM remote_actors WHERE id LIKE :pattern
    UNION SELECT follower FROM follows WHERE follower LIKE :pattern
    UNION SELECT followee FROM follows WHERE followee LIKE :pattern
    UNION SELECT author FROM listings WHERE remote = 1 AND deleted = 0 AND author LIKE :pattern
    UNION SELECT attributed_to FROM objects
        WHERE local_actor_id IS NULL AND deleted = 0 AND attributed_to LIKE :pattern
"""


async def actors_on(db: Database | Transaction, domain: str) -> list[str]:
    """The actors stored under `domain` (or its subdomains), in a stable order."""
    escaped = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    sql = _NAMING.replace("LIKE :pattern", "LIKE :pattern ESCAPE '\\'")
    rows = await db.fetch_all(sql + " ORDER BY actor", {"pattern": f"%{escaped}%"})
    found = []
    for row in rows:
        host = host_or_none(row["actor"])
        if host is not None and within(host, domain):
            found.append(row["actor"])
    return found
