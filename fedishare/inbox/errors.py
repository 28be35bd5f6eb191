"""Why an inbox POST was refused; `fedishare.http.errors` gives each its answer, as for the
signature errors of `fedishare.federation.errors`."""

from __future__ import annotations

from fedishare.core.errors import Forbidden, Invalid, NotFound, Unavailable
from fedishare.federation.errors import SignatureError


class NoSuchInbox(NotFound):
    """No local actor has the inbox posted to."""


class BadActivity(Invalid):
    """Not JSON, or an activity without a usable id, type or actor."""


class HostRefused(Forbidden):
    """The signer's or the actor's host may not federate with us."""


class NotTheActor(SignatureError):
    """The key that signed the request does not belong to the activity's actor."""


class InboxUnavailable(Unavailable):
    """The inbox is starting, stopping, or could not store the activity."""
