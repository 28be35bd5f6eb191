"""The calls real Mastodon apps make when they sign in and open the home timeline and the
notifications, replayed against one instance: each must answer as Mastodon does (2xx, with a
body that validates against Mastodon's schema), or the app shows an error screen.

The lists are read from the apps' public sources (repository and commit named per app; the
file each call comes from beside it). The browser step of OAuth (`/oauth/authorize`, log-in
and consent) and the code-for-token exchange are not replayed here; the calls after it use
the fixture's token, which has the scopes every app asks for ("read write follow push").
Ivory is closed source; its list is the one issue 11 gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.client_api.conftest import Api
from tests.client_api.schema import check

SCOPES = "read write follow push"  # what all four apps ask for


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # "{me}" stands for the signed-in member's account id
    # The path as Mastodon's schema spells it; None: outside the client API (only 2xx asked).
    template: str | None
    params: tuple[tuple[str, str], ...] = ()
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    signed_in: bool = True  # sent with the member's bearer token
    status: int = 200
    note: str = field(default="", compare=False)


def get(path: str, template: str | None = None, *params: tuple[str, str], **kw: Any) -> Call:
    return Call("GET", path, template if template is not None else path, tuple(params), **kw)


VERIFY = get("/api/v1/accounts/verify_credentials")
INSTANCE = get("/api/v2/instance", signed_in=False)

# tuskyapp/Tusky @ 43ae0bb4556392393a3d759ce42a93f3a003e83a (2025-05-23), under
# app/src/main/java/com/keylesspalace/tusky/ (endpoints in network/MastodonApi.kt).
TUSKY = [
    # components/login/LoginWebViewViewModel.kt: the instance's rules before signing in.
    INSTANCE,
    # components/login/LoginActivity.kt authenticateApp (OAUTH_SCOPES, a form).
    Call(
        "POST",
        "/api/v1/apps",
        "/api/v1/apps",
        form={
            "client_name": "Tusky",
            "redirect_uris": "oauth2redirect://com.keylesspalace.tusky/",
            "scopes": SCOPES,
            "website": "https://tusky.app",
        },
        signed_in=False,
    ),
    # components/login/LoginActivity.kt fetchAccountDetails, then MainViewModel.kt.
    VERIFY,
    get("/api/v1/announcements"),  # MainViewModel.kt
    # components/instanceinfo/InstanceInfoRepository.kt
    get("/api/v2/instance"),
    get("/api/v1/custom_emojis"),
    get("/api/v2/filters"),  # network/FilterModel.kt
    # components/timeline/viewmodel/CachedTimelineRemoteMediator.kt (LOAD_AT_ONCE = 30)
    get("/api/v1/timelines/home", None, ("limit", "30")),
    # components/notifications/NotificationsRemoteMediator.kt (LOAD_AT_ONCE = 30)
    get("/api/v1/notifications", None, ("limit", "30")),
    # components/systemnotifications/NotificationFetcher.kt
    get("/api/v1/markers", None, ("timeline[]", "notifications")),
]

# cheeaun/phanpy @ 0340050401a5e19d8c3dd3fde319ee6c81ff3799 (2026-08-19), under src/.
PHANPY = [
    # pages/login.jsx: where the instance's API lives.
    get("/.well-known/host-meta", "", signed_in=False),
    # utils/auth.js registerApplication (a form).
    Call(
        "POST",
        "/api/v1/apps",
        "/api/v1/apps",
        form={
            "client_name": "Phanpy",
            "redirect_uris": "https://phanpy.social/",
            "scopes": SCOPES,
            "website": "https://phanpy.social",
        },
        signed_in=False,
    ),
    # utils/oauth-pkce.js supportsPKCE: S256 in code_challenge_methods_supported.
    get("/.well-known/oauth-authorization-server", signed_in=False),
    # utils/api.js: instance (v2, else v1), the account, its preferences.
    get("/api/v2/instance"),
    VERIFY,
    get("/api/v1/preferences"),
    get("/api/v1/lists"),  # utils/lists.js
    get("/api/v1/timelines/home", None, ("limit", "20")),  # pages/following.jsx (LIMIT)
    # pages/notifications.jsx: grouped notifications (Mastodon 4.3+), follow requests,
    # announcements, the filtering policy and the filtered requests.
    get("/api/v2/notifications", None, ("limit", "20")),
    get("/api/v1/follow_requests", None, ("limit", "80")),
    get("/api/v1/announcements"),
    get("/api/v2/notifications/policy"),
    get("/api/v1/notifications/requests"),
    # components/background-service.jsx: is there anything unread?
    get("/api/v1/markers", None, ("timeline[]", "notifications")),
]

# elk-zone/elk @ ae4ebf3375eb68f1f355390b4f163adb10f5026c (2026-08-18), under app/ and server/.
ELK = [
    # server/utils/shared.ts fetchAppInfo: the app (JSON) and the instance, in parallel.
    Call(
        "POST",
        "/api/v1/apps",
        "/api/v1/apps",
        json={
            "client_name": "Elk",
            "website": "https://elk.zone",
            "redirect_uris": "https://elk.zone/api/oak.test/oauth/https%3A%2F%2Felk.zone",
            "scopes": SCOPES,
        },
        signed_in=False,
    ),
    INSTANCE,
    # app/composables/users.ts fetchAccountInfo
    VERIFY,
    get("/api/v1/preferences"),
    get("/api/v2/instance"),  # app/composables/masto/masto.ts, on log-in
    get("/api/v1/custom_emojis"),  # app/composables/emojis.ts
    # app/components/timeline/TimelineHome.vue
    get("/api/v1/timelines/home", None, ("limit", "30")),
    get("/api/v1/followed_tags"),
    # app/composables/masto/notification.ts: the unread count
    get("/api/v1/markers", None, ("timeline[]", "notifications")),
    # app/components/timeline/TimelineNotifications.vue and masto/notification.ts
    get("/api/v1/notifications", None, ("limit", "30")),
]

# Dimillian/IceCubesApp @ 0fc41d2ced2e3e735bd9c42d5ae6dea16e63d618 (2026-03-06), under
# Packages/ (endpoints in NetworkClient/Sources/NetworkClient/Endpoint/).
ICE_CUBES = [
    # Endpoint/Apps.swift registerApp (JSON; Models/App/App.swift AppInfo).
    Call(
        "POST",
        "/api/v1/apps",
        "/api/v1/apps",
        json={
            "client_name": "IceCubesApp",
            "redirect_uris": "icecubesapp://",
            "scopes": SCOPES,
            "website": "https://github.com/Dimillian/IceCubesApp",
        },
        signed_in=False,
    ),
    # Older Ice Cubes put the same parameters in the query string (issue 11).
    Call(
        "POST",
        "/api/v1/apps",
        "/api/v1/apps",
        params=(
            ("client_name", "IceCubesApp"),
            ("redirect_uris", "icecubesapp://"),
            ("scopes", SCOPES),
            ("website", "https://github.com/Dimillian/IceCubesApp"),
        ),
        signed_in=False,
    ),
    # IceCubesApp/App/Tabs/Settings/AddAccountsView.swift, after the token.
    VERIFY,
    get("/api/v2/instance"),  # Env/Sources/Env/CurrentInstance.swift (version >= 4.3 matters)
    # Env/Sources/Env/CurrentAccount.swift fetchUserData, fetchConnections
    get("/api/v1/lists"),
    get("/api/v1/followed_tags"),
    get("/api/v1/follow_requests"),
    get("/api/v1/instance/peers"),
    get("/api/v1/preferences"),  # Env/Sources/Env/UserPreferences.swift
    # Env/Sources/Env/PushNotificationsService.swift: is there a subscription? (Mastodon
    # answers 404 without one, and Ice Cubes then creates one.)
    get("/api/v1/push/subscription", status=404),
    # Timeline/Sources/Timeline/actors/TimelineStatusFetcher.swift (limit 50), and the
    # read positions (Timeline/View/TimelineViewModel.swift, Endpoint/Markers.swift)
    get("/api/v1/timelines/home", None, ("limit", "50")),
    get("/api/v1/markers", None, ("timeline[]", "home"), ("timeline[]", "notifications")),
    # Notifications/Sources/Notifications/List/NotificationsListDataSource.swift: grouped
    # notifications on 4.3+, and the filtering policy.
    get(
        "/api/v2/notifications",
        None,
        ("grouped_types[]", "favourite"),
        ("grouped_types[]", "follow"),
        ("grouped_types[]", "reblog"),
        ("expand_accounts", "full"),
    ),
    get("/api/v2/notifications/policy"),
]

# Ivory (closed source): the calls issue 11 lists.
IVORY = [
    INSTANCE,
    VERIFY,  # every app asks who signed in; the ids below are this account's
    get("/api/v1/preferences"),
    get("/api/v1/lists"),
    get("/api/v1/accounts/{me}", "/api/v1/accounts/{id}"),
    get("/api/v1/accounts/{me}/statuses", "/api/v1/accounts/{id}/statuses"),
    get("/api/v1/timelines/home"),
    get(
        "/api/v1/notifications",
        None,
        ("types[]", "mention"),
        ("types[]", "status"),
        ("types[]", "reblog"),
        ("types[]", "follow"),
        ("types[]", "follow_request"),
        ("types[]", "favourite"),
    ),
]

APPS = {"tusky": TUSKY, "phanpy": PHANPY, "elk": ELK, "ice_cubes": ICE_CUBES, "ivory": IVORY}


async def replay(api: Api, call: Call, me: str) -> Any:
    path = call.path.replace("{me}", me)
    kwargs: dict[str, Any] = {"params": list(call.params)}
    if call.form is not None:
        kwargs["data"] = call.form
    if call.json is not None:
        kwargs["json"] = call.json
    if call.signed_in:
        response = await api.request(call.method, path, **kwargs)
    else:
        response = await api.node.client.request(call.method, api.base + path, **kwargs)
    assert response.status_code == call.status, (
        f"{call.method} {path} answered {response.status_code}: {response.text[:300]}"
    )
    if call.template == "":  # not JSON (host-meta is XML): answered is enough
        return None
    if call.template is None:
        return response.json()
    return check(response, call.method, call.template)


@pytest.mark.parametrize("app", list(APPS))
async def test_the_app_signs_in_and_opens_home_and_notifications(api: Api, app: str) -> None:
    me = ""
    failures: list[str] = []
    for call in APPS[app]:
        try:
            body = await replay(api, call, me)
        except AssertionError as error:
            failures.append(f"{call.method} {call.path}: {str(error).splitlines()[0][:300]}")
            continue
        if call is VERIFY:
            me = body["id"]
    assert not failures, f"{app}: {len(failures)} calls fail:\n" + "\n".join(failures)
