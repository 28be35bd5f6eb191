"""Search and account lookup leave out what admins keep out: an admin-blocked account and
every account of a blocked domain, known or asked for; a silenced domain's accounts are
still found (as Mastodon finds limited accounts)."""

from __future__ import annotations

from typing import Any

from fedishare.accounts.members import create_member
from fedishare.moderation import account_blocks, domain_blocks
from fedishare.storage import actors
from fedishare.storage.actors import LocalActor
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.harness import Node

SEARCH = "/api/v2/search"
ACCOUNTS = "/api/v1/accounts/search"
CAROL = "http://elm.test/users/carol"


async def admin(node: Node) -> LocalActor:
    found = await actors.find_by_kind(node.instance.db, "application")
    assert found is not None
    return found


async def accts(api: Api, q: str, **params: Any) -> list[str]:
    """What /api/v2/search and /api/v1/accounts/search both find for `q`."""
    found = check(await api.get(SEARCH, params={"q": q, **params}), "GET", SEARCH)
    typed = check(await api.get(ACCOUNTS, params={"q": q, **params}), "GET", ACCOUNTS)
    assert [a["acct"] for a in typed] == [a["acct"] for a in found["accounts"]]
    return sorted(a["acct"] for a in found["accounts"])


async def test_blocked_accounts_and_domains_are_not_found(api_pair: tuple[Api, Api]) -> None:
    oak, elm = api_pair
    await create_member(elm.node.instance.db, elm.node.instance.clock, "carol")
    for handle in ("bob@elm.test", "carol@elm.test"):
        assert await accts(oak, handle, resolve="true") == [handle]
    assert await accts(oak, "bob") == ["bob@elm.test"]

    await account_blocks.block(oak.node.instance, "@bob@elm.test", "abuse", await admin(oak.node))
    assert await accts(oak, "bob") == []
    assert await accts(oak, "@bob@elm.test", resolve="true") == []
    lookup = await oak.get("/api/v1/accounts/lookup", params={"acct": "bob@elm.test"})
    assert lookup.status_code == 404
    assert await accts(oak, "carol") == ["carol@elm.test"]  # her neighbour is not blocked

    await domain_blocks.block(oak.node.instance, "elm.test", "", await admin(oak.node), "silence")
    assert await accts(oak, "carol") == ["carol@elm.test"]  # silenced: still found

    await domain_blocks.change(oak.node.instance, "elm.test", "suspend", "spam")
    assert await accts(oak, "carol") == []
    assert await accts(oak, "carol@elm.test", resolve="true") == []
    by_url = check(await oak.get(SEARCH, params={"q": CAROL, "resolve": "true"}), "GET", SEARCH)
    assert by_url["accounts"] == []
    lookup = await oak.get("/api/v1/accounts/lookup", params={"acct": "carol@elm.test"})
    assert lookup.status_code == 404


async def test_a_blocked_domain_is_not_asked_to_resolve_a_handle(
    api_pair: tuple[Api, Api],
) -> None:
    oak, _elm = api_pair
    await domain_blocks.block(oak.node.instance, "elm.test", "", await admin(oak.node))
    assert await accts(oak, "bob@elm.test", resolve="true") == []
    known = await oak.node.instance.db.fetch_value("SELECT count(*) FROM remote_actors")
    assert known == 0  # nothing was fetched from elm
