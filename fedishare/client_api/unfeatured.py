"""The endpoints apps call at start-up for Mastodon features fedishare does not have: lists,
filters, announcements, trends, followed hashtags, suggestions, domain blocks, endorsements,
featured hashtags, scheduled posts, filtered notifications and web push.

An app that gets a 404 or an HTML page here often shows an error or stops loading the home
screen, so each answers what a Mastodon server with nothing of that kind answers: an empty
list for a collection, 404 for one item of it, and a readable 422 for an attempt to create
one. Scopes are checked as Mastodon checks them, so a token's limits behave the same.
README.md ("Mastodon apps") lists these for operators and app users.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import caller, require_member
from fedishare.client_api.params import read_params
from fedishare.core.errors import NotFound, Unprocessable

Handler = Callable[[Request], Awaitable[Response]]

# Mastodon's answer to an id it has no record of.
RECORD_NOT_FOUND = "Record not found"


def empty_list(scope: str | None, *, member: bool = True) -> Handler:
    """`[]` for a caller whose token grants `scope` (anyone, for `scope=None`)."""

    async def handler(request: Request) -> Response:
        if scope is not None:
            await (require_member(request, scope) if member else caller(request, scope))
        return JSONResponse([])

    return handler


def no_record(scope: str | None) -> Handler:
    """404, as Mastodon answers an id of a kind of record that nobody here can have."""

    async def handler(request: Request) -> Response:
        if scope is not None:
            await require_member(request, scope)
        raise NotFound(RECORD_NOT_FOUND)

    return handler


def not_offered(scope: str, feature: str) -> Handler:
    """422 with a reason an app can show, for creating something fedishare does not keep."""

    async def handler(request: Request) -> Response:
        await require_member(request, scope)
        raise Unprocessable(f"{feature} are not offered on this server")

    return handler


async def familiar_followers(request: Request) -> Response:
    """Which of the member's follows also follow each account: nobody is shown, for every
    id asked about (Mastodon answers one entry per `id[]`)."""
    await require_member(request, "read:follows")
    async with read_params(request) as params:
        ids = params.ids("id")
    return JSONResponse([{"id": account_id, "accounts": []} for account_id in ids])


async def unsubscribe_push(request: Request) -> Response:
    """Nothing to remove; Mastodon answers `{}` whether or not there was a subscription."""
    await require_member(request, "push")
    return JSONResponse({})


# Nothing is ever filtered: every notification is accepted, none wait as a request.
NOTIFICATION_POLICY = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "accept",
    "for_limited_accounts": "accept",
    "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
}


async def notification_policy(request: Request) -> Response:
    """Mastodon 4.3's filtered notifications: the policy that filters nothing. Changing it
    answers the same, since no other policy is kept."""
    scope = "read:notifications" if request.method == "GET" else "write:notifications"
    await require_member(request, scope)
    return JSONResponse(NOTIFICATION_POLICY)


_LISTS = "/api/v1/lists"
_FILTERS_V1 = "/api/v1/filters"
_FILTERS_V2 = "/api/v2/filters"
_PUSH = "/api/v1/push/subscription"
_GET = ["GET"]
_CHANGE = ["PUT", "DELETE"]

routes: list[BaseRoute] = [
    # Lists of accounts.
    Route(_LISTS, empty_list("read:lists"), methods=_GET),
    Route(_LISTS, not_offered("write:lists", "Lists"), methods=["POST"]),
    Route(f"{_LISTS}/{{id}}", no_record("read:lists"), methods=_GET),
    Route(f"{_LISTS}/{{id}}", no_record("write:lists"), methods=_CHANGE),
    Route(f"{_LISTS}/{{id}}/accounts", no_record("read:lists"), methods=_GET),
    Route(f"{_LISTS}/{{id}}/accounts", no_record("write:lists"), methods=["POST", "DELETE"]),
    Route("/api/v1/timelines/list/{list_id}", no_record("read:lists"), methods=_GET),
    Route("/api/v1/accounts/{id}/lists", empty_list("read:lists"), methods=_GET),
    # Filters, both versions.
    Route(_FILTERS_V1, empty_list("read:filters"), methods=_GET),
    Route(_FILTERS_V1, not_offered("write:filters", "Filters"), methods=["POST"]),
    Route(f"{_FILTERS_V1}/{{id}}", no_record("read:filters"), methods=_GET),
    Route(f"{_FILTERS_V1}/{{id}}", no_record("write:filters"), methods=_CHANGE),
    Route(_FILTERS_V2, empty_list("read:filters"), methods=_GET),
    Route(_FILTERS_V2, not_offered("write:filters", "Filters"), methods=["POST"]),
    Route(f"{_FILTERS_V2}/{{id}}", no_record("read:filters"), methods=_GET),
    Route(f"{_FILTERS_V2}/{{id}}", no_record("write:filters"), methods=_CHANGE),
    Route(f"{_FILTERS_V2}/{{id}}/keywords", no_record("read:filters"), methods=_GET),
    Route(f"{_FILTERS_V2}/{{id}}/statuses", no_record("read:filters"), methods=_GET),
    # Announcements from the operator.
    Route("/api/v1/announcements", empty_list("read"), methods=_GET),
    Route("/api/v1/announcements/{id}/dismiss", no_record("write:accounts"), methods=["POST"]),
    # Trends: public, as on Mastodon.
    Route("/api/v1/trends", empty_list(None), methods=_GET),
    Route("/api/v1/trends/tags", empty_list(None), methods=_GET),
    Route("/api/v1/trends/statuses", empty_list(None), methods=_GET),
    Route("/api/v1/trends/links", empty_list(None), methods=_GET),
    # Followed and featured hashtags, endorsements, suggestions.
    Route("/api/v1/followed_tags", empty_list("read:follows"), methods=_GET),
    Route("/api/v1/featured_tags", empty_list("read:accounts"), methods=_GET),
    Route(
        "/api/v1/featured_tags",
        not_offered("write:accounts", "Featured hashtags"),
        methods=["POST"],
    ),
    Route("/api/v1/featured_tags/suggestions", empty_list("read:accounts"), methods=_GET),
    Route("/api/v1/accounts/{id}/featured_tags", empty_list(None), methods=_GET),
    Route("/api/v1/endorsements", empty_list("read:accounts"), methods=_GET),
    Route("/api/v1/accounts/{id}/endorsements", empty_list(None), methods=_GET),
    Route("/api/v1/suggestions", empty_list("read"), methods=_GET),
    Route("/api/v2/suggestions", empty_list("read"), methods=_GET),
    Route("/api/v1/accounts/familiar_followers", familiar_followers, methods=_GET),
    # Blocking whole domains (members block accounts; admins block domains on the web).
    Route("/api/v1/domain_blocks", empty_list("read:blocks"), methods=_GET),
    Route(
        "/api/v1/domain_blocks",
        not_offered("write:blocks", "Domain blocks by members"),
        methods=["POST"],
    ),
    # Scheduled posts.
    Route("/api/v1/scheduled_statuses", empty_list("read:statuses"), methods=_GET),
    Route("/api/v1/scheduled_statuses/{id}", no_record("read:statuses"), methods=_GET),
    Route("/api/v1/scheduled_statuses/{id}", no_record("write:statuses"), methods=_CHANGE),
    # Filtered notifications (notification requests): nothing is filtered.
    Route("/api/v1/notifications/requests", empty_list("read:notifications"), methods=_GET),
    Route("/api/v1/notifications/requests/{id}", no_record("read:notifications"), methods=_GET),
    Route("/api/v2/notifications/policy", notification_policy, methods=["GET", "PATCH"]),
    # Web push: no subscription can exist, as on a Mastodon without VAPID keys.
    Route(_PUSH, no_record("push"), methods=_GET),
    Route(_PUSH, not_offered("push", "Push notifications"), methods=["POST", "PUT"]),
    Route(_PUSH, unsubscribe_push, methods=["DELETE"]),
]
