"""What fedishare refuses, and why, in words for whoever asked: the errors that services
raise and every edge (HTTP routes, the inbox, the command line) reports.

They carry no HTTP status: `fedishare.http.errors` maps each class to its answer in one
table. A reason that concerns one field of the input starts with its name (`title: required`).
"""

from __future__ import annotations


class Refusal(Exception):
    """A request we will not do, with a short reason for whoever sent it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Invalid(Refusal):
    """The input is malformed or breaks a rule; nothing was changed."""


class Unauthenticated(Refusal):
    """Who is asking is unknown: no credentials, or ones we do not accept."""


class Forbidden(Refusal):
    """Who is asking is known, and may not do this."""


class NotFound(Refusal):
    """There is no such thing (or it is not for whoever asks)."""


class WrongMethod(Refusal):
    """The address exists, but not for this method (`allowed` lists those it takes)."""

    def __init__(self, reason: str, allowed: str = "") -> None:
        super().__init__(reason)
        self.allowed = allowed


class Conflict(Refusal):
    """The thing is not in a state that allows this (a taken listing edited, say)."""


class Gone(Refusal):
    """The thing existed and is gone for good (a disabled account)."""


class TooLarge(Refusal):
    """The input is larger than this instance takes."""


class Unprocessable(Refusal):
    """The request is understood and cannot be carried out (an actor that cannot be
    followed, another server that cannot be reached)."""


class RateLimited(Refusal):
    """Too many requests from one sender; `retry_after` seconds until the next is taken."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unavailable(Refusal):
    """The instance cannot take this now (starting, stopping); try again later."""
