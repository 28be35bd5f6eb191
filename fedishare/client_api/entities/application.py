"""Mastodon's Application: an app registered here, as `POST /api/v1/apps` (with its
credentials) and `GET /api/v1/apps/verify_credentials` show it."""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.core.types import JSON
from fedishare.oauth.apps import OOB
from fedishare.storage.oauth_apps import OAuthApp

# The app a token made by `fedishare account token` (which has none) is shown as.
COMMAND_LINE_APP = "fedishare command line"


def _application(
    app_id: str, name: str, website: str | None, scopes: list[str], redirect_uris: list[str]
) -> JSON:
    return {
        "id": app_id,
        "name": name,
        "website": website,
        "scopes": scopes,
        "redirect_uri": "\n".join(redirect_uris),
        "redirect_uris": redirect_uris,
        "vapid_key": "",  # no Web Push here; Mastodon deprecated this field in 4.3
    }


def application_json(app: OAuthApp, client_secret: str | None = None) -> JSON:
    """Mastodon's Application; with the secret, its CredentialApplication."""
    found = _application(str(app.id), app.name, app.website, app.scope_list, app.redirect_uri_list)
    if client_secret is not None:
        found |= {
            "client_id": app.client_id,
            "client_secret": client_secret,
            "client_secret_expires_at": 0,
        }
    return found


def command_line_application(scopes: Sequence[str]) -> JSON:
    """The Application of a token without an app: the command line's, out of band."""
    return _application("0", COMMAND_LINE_APP, None, list(scopes), [OOB])
