"""Why an inbox POST was refused. Statuses live on the classes; the route turns any of these
(and the signature errors of fedishare.federation.errors) into its answer in one place."""

from __future__ import annotations

from fedishare.http.errors import Refusal


class NoSuchInbox(Refusal):
    status = 404


class BadActivity(Refusal):
    """Not JSON, or an activity without a usable id, type or actor."""

    status = 400


class HostRefused(Refusal):
    """The signer's or the actor's host may not federate with us."""

    status = 403


class NotTheActor(Refusal):
    """The key that signed the request does not belong to the activity's actor."""

    status = 401


class InboxUnavailable(Refusal):
    status = 503
