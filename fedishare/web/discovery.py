"""How other servers find us: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from fedishare import __version__
from fedishare.accounts.members import APPLICATION_USERNAME
from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound
from fedishare.federation.actor_document import ACTIVITY_JSON, actor_id
from fedishare.http.responses import JRDResponse
from fedishare.storage import actors as store
from fedishare.storage import stats
from fedishare.web.avatars import avatar_png

_CORS = {"Access-Control-Allow-Origin": "*"}
NODEINFO_VERSIONS = ("2.0", "2.1")


async def webfinger(request: Request) -> Response:
    inst: Instance = request.state.instance
    resource = request.query_params.get("resource", "").strip()
    username = _username_from_resource(resource, inst)
    if username is None:
        raise Invalid(
            "resource must be acct:user@"
            + inst.config.instance.domain
            + " or an actor URL of this instance"
        )
    if username.lower() == inst.config.instance.domain.split(":")[0]:
        username = APPLICATION_USERNAME  # Mastodon addresses instance actors as acct:host@host
    actor = await store.find_by_username(inst.db, username) if username else None
    if actor is None or actor.disabled:
        return JSONResponse({"error": "no such account"}, status_code=404, headers=_CORS)
    aid = actor_id(inst.urls, actor)
    links = [
        {"rel": "self", "type": ACTIVITY_JSON, "href": aid},
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": aid},
    ]
    return JRDResponse(
        {
            "subject": f"acct:{actor.username}@{inst.config.instance.domain}",
            "aliases": [aid],
            "links": links,
        },
        headers={**_CORS, "Cache-Control": "max-age=300"},
    )


def _username_from_resource(resource: str, inst: Instance) -> str | None:
    """The user part of an acct: URI or an actor URL on our domain, or None if malformed or
    not ours."""
    domain = inst.config.instance.domain
    if resource.startswith(("http://", "https://")):
        base = inst.urls.base + "/"
        if resource == inst.urls.instance_actor:
            return APPLICATION_USERNAME
        if resource.lower().startswith(base + "users/"):
            name = resource[len(base + "users/") :]
            return name if name and "/" not in name else None
        return None
    acct = unquote(resource)
    if acct.startswith("acct:"):
        acct = acct[5:]
    user, at, host = acct.lstrip("@").rpartition("@")
    if not at or not user or not host or ":" in user or "/" in user:
        return None
    # Well formed but elsewhere: no account of ours (404), like any unknown name.
    return user if host.lower() == domain else ""


async def host_meta(request: Request) -> Response:
    inst: Instance = request.state.instance
    template = f"{inst.urls.base}/.well-known/webfinger?resource={{uri}}"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    return Response(xml, media_type="application/xrd+xml", headers=_CORS)


async def nodeinfo_index(request: Request) -> Response:
    inst: Instance = request.state.instance
    links = [
        {
            "rel": f"http://nodeinfo.diaspora.software/ns/schema/{v}",
            "href": f"{inst.urls.base}/nodeinfo/{v}",
        }
        for v in NODEINFO_VERSIONS
    ]
    return JSONResponse({"links": links}, headers=_CORS)


async def nodeinfo(request: Request) -> Response:
    inst: Instance = request.state.instance
    version = request.path_params["version"]
    if version not in NODEINFO_VERSIONS:
        raise NotFound("NodeInfo is served as 2.0 and 2.1")
    counts = await stats.usage(inst.db, inst.clock())
    software: dict[str, str] = {"name": "fedishare", "version": __version__}
    if version == "2.1":
        software["homepage"] = inst.urls.base
    body = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": inst.config.registration == "open",
        "usage": {
            "users": {
                "total": counts.members,
                "activeMonth": counts.active_month,
                "activeHalfyear": counts.active_halfyear,
            },
            "localPosts": counts.local_listings,
        },
        "metadata": {
            "nodeName": inst.config.community.name,
            "nodeDescription": inst.config.community.description,
            "community": f"@{inst.config.community.handle}@{inst.config.instance.domain}",
            "registrationPolicy": inst.config.registration,
            "listings": counts.local_listings,
        },
    }
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return JSONResponse(body, headers=_CORS, media_type=f'application/json; profile="{profile}"')


async def avatar(request: Request) -> Response:
    kind = request.path_params["kind"]
    png = avatar_png(kind)
    if png is None:
        raise NotFound("no such avatar")
    return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=86400"})


async def profile_redirect(request: Request) -> Response:
    inst: Instance = request.state.instance
    return RedirectResponse(inst.urls.actor(request.path_params["username"]), status_code=301)


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/nodeinfo", nodeinfo_index),
    Route("/nodeinfo/{version}", nodeinfo),
    Route("/avatars/{kind}.png", avatar),
    Route("/@{username}", profile_redirect),
]
