"""Every route of the client API, in the order Starlette tries them."""

from __future__ import annotations

from starlette.routing import BaseRoute

from fedishare.client_api import (
    accounts,
    bookmarks,
    conversations,
    follow_requests,
    instance,
    markers,
    media,
    notifications,
    oauth_routes,
    reports,
    search,
    status_reads,
    statuses,
    streaming,
    timelines,
    unfeatured,
)

routes: list[BaseRoute] = [
    # Literal paths (accounts/familiar_followers, notifications/requests) before the
    # {id} routes that would take them.
    *unfeatured.routes,
    *oauth_routes.routes,
    *instance.routes,
    *accounts.routes,
    *follow_requests.routes,
    *search.routes,
    *timelines.routes,
    *status_reads.routes,
    *statuses.routes,
    *media.routes,
    *bookmarks.routes,
    *notifications.routes,
    *conversations.routes,
    *markers.routes,
    *reports.routes,
    *streaming.routes,
]
