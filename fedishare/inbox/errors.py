"""Why an inbox POST was refused; `fedishare.http.errors` gives each its answer, as for the
signature errors of `fedishare.federation.errors`."""

from __future__ import annotations

from fedishare.core.errors import Forbidden, Invalid, NotFound, Unavailable
from fedishare.federation.errors import SignatureError


class NoSuchInbox(NotFound):
    """No local actor has the inbox posted to."""


class BadActivity(Invalid):
    """Not JSON (or nested too deep to read), or an activity with a field missing or of the
    wrong kind; the reason starts with the field's name."""


class HostRefused(Forbidden):
    """The actor's host may not federate with us."""


class NotTheActor(SignatureError):
    """The key that signed the request does not belong to the activity's actor, or is not
    even on the actor's host."""


class InboxUnavailable(Unavailable):
    """The inbox is starting, stopping, or could not store the activity."""
