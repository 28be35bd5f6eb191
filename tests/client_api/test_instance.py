"""What apps read first: the instance, its rules and limits, as Mastodon describes them."""

from __future__ import annotations

import re

from fedishare.accounts.members import create_member
from tests.client_api.conftest import Api
from tests.client_api.schema import check
from tests.harness import Network

_VERSION = re.compile(r"4\.3\.0 \(compatible; fedishare \d+\.\d+\.\d+\S*\)")


async def test_v2_instance_describes_the_server_and_its_limits(api: Api) -> None:
    response = await api.node.client.get(f"{api.base}/api/v2/instance")  # no token needed
    body = check(response, "GET", "/api/v2/instance")
    config = api.node.instance.config
    assert _VERSION.fullmatch(body["version"])
    assert body["domain"] == "oak.test"
    assert body["title"] == config.community.name
    assert body["api_versions"] == {"mastodon": 2}
    statuses = body["configuration"]["statuses"]
    assert statuses["max_characters"] == config.limits.max_listing_chars
    assert statuses["max_media_attachments"] == 4
    media = body["configuration"]["media_attachments"]
    assert media["image_size_limit"] == config.limits.max_upload_bytes
    assert set(media["supported_mime_types"]) == {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
    }
    assert media["video_size_limit"] == 0
    assert body["configuration"]["urls"]["streaming"] == "ws://oak.test"
    assert body["configuration"]["translation"] == {"enabled": False}
    assert body["registrations"]["enabled"] is True  # the harness's policy is "open"
    assert body["registrations"]["approval_required"] is False
    assert body["contact"]["account"] is None  # nobody is admin yet
    assert [r["text"] for r in body["rules"]] == list(config.community.rules)


async def test_v1_instance_for_older_apps(api: Api) -> None:
    body = check(await api.get("/api/v1/instance"), "GET", "/api/v1/instance")
    assert body["uri"] == "oak.test"
    assert _VERSION.fullmatch(body["version"])
    assert body["urls"] == {"streaming_api": "ws://oak.test"}
    assert body["stats"]["user_count"] == 1  # alice
    assert body["registrations"] is True


async def test_the_first_admin_is_the_contact(api: Api) -> None:
    inst = api.node.instance
    await create_member(inst.db, inst.clock, "zed", role="admin")
    await create_member(inst.db, inst.clock, "amy", role="admin")
    v2 = check(await api.get("/api/v2/instance"), "GET", "/api/v2/instance")
    assert v2["contact"]["account"]["username"] == "zed"
    v1 = check(await api.get("/api/v1/instance"), "GET", "/api/v1/instance")
    assert v1["contact_account"]["username"] == "zed"


async def test_registration_policy_shows(net: Network) -> None:
    approval = await net.add("ash.test", registration={"policy": "approval"})
    closed = await net.add("yew.test", registration={"policy": "closed"})
    body = check(
        await approval.client.get(f"{approval.base}/api/v2/instance"), "GET", "/api/v2/instance"
    )
    assert body["registrations"]["enabled"] is True
    assert body["registrations"]["approval_required"] is True
    body = check(
        await closed.client.get(f"{closed.base}/api/v2/instance"), "GET", "/api/v2/instance"
    )
    assert body["registrations"]["enabled"] is False
    assert body["registrations"]["url"] is None


async def test_rules_and_descriptions(net: Network) -> None:
    node = await net.add("ash.test", community={"rules": ["Be kind.", "No <b>addresses</b>."]})
    rules = check(
        await node.client.get(f"{node.base}/api/v1/instance/rules"),
        "GET",
        "/api/v1/instance/rules",
    )
    assert [(r["id"], r["text"]) for r in rules] == [
        ("1", "Be kind."),
        ("2", "No <b>addresses</b>."),
    ]
    extended = check(
        await node.client.get(f"{node.base}/api/v1/instance/extended_description"),
        "GET",
        "/api/v1/instance/extended_description",
    )
    assert "<li>No &lt;b&gt;addresses&lt;/b&gt;.</li>" in extended["content"]


async def test_the_small_instance_endpoints_answer_empty(api: Api) -> None:
    for path in ("/api/v1/instance/peers", "/api/v1/instance/activity", "/api/v1/custom_emojis"):
        # (peers: none met yet)
        assert check(await api.get(path), "GET", path) == []
    response = await api.get("/api/v1/instance/translation_languages")
    assert check(response, "GET", "/api/v1/instance/translation_languages") == {}


async def test_peers_are_the_servers_met_and_not_blocked(api_pair: tuple[Api, Api]) -> None:
    oak, _elm = api_pair
    found = await oak.get("/api/v2/search", params={"q": "@bob@elm.test", "resolve": "true"})
    assert check(found, "GET", "/api/v2/search")["accounts"]
    peers = check(await oak.get("/api/v1/instance/peers"), "GET", "/api/v1/instance/peers")
    assert peers == ["elm.test"]
    v1 = check(await oak.get("/api/v1/instance"), "GET", "/api/v1/instance")
    assert v1["stats"]["domain_count"] == 1
    oak.node.instance.domains.replace_blocked(["elm.test"])
    assert (await oak.get("/api/v1/instance/peers")).json() == []


async def test_the_instance_answers_with_a_trailing_slash_too(api: Api) -> None:
    """Mastodon.py asks for /api/v1/instance/: answered at once, not redirected."""
    for version in ("v1", "v2"):
        r = await api.get(f"/api/{version}/instance/")
        assert r.status_code == 200 and "version" in r.json()
