"""OAuth's own refusals (RFC 6749 section 5.2): an error code that apps act on, and a
description for people. They are answered as `{"error": CODE, "error_description": ...}`,
not as fedishare's other refusals, because apps and OAuth libraries look for the code."""

from __future__ import annotations


class OAuthError(Exception):
    """A refused OAuth request. `error` is one of RFC 6749's codes (invalid_client,
    invalid_grant, invalid_scope, invalid_request, unsupported_grant_type, ...)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


def invalid_client() -> OAuthError:
    return OAuthError(
        "invalid_client",
        "Client authentication failed: the client is unknown, its secret is wrong,"
        " or no client authentication was included.",
    )


def invalid_grant(why: str) -> OAuthError:
    return OAuthError("invalid_grant", f"The provided authorization grant is invalid: {why}.")


def invalid_scope(why: str) -> OAuthError:
    return OAuthError("invalid_scope", f"The requested scope is invalid: {why}.")


def invalid_request(why: str) -> OAuthError:
    return OAuthError("invalid_request", f"The request is malformed: {why}.")
