"""Which status changes a listing allows. Pure: the service checks here before storing."""

from __future__ import annotations

from fedishare.core.errors import Conflict, Invalid
from fedishare.core.listing import Listing, Status

# From each status, where it may go. Closed statuses are final: a listing that is taken,
# received, withdrawn or expired is not reopened (post a new one instead).
_NEXT: dict[Status, frozenset[Status]] = {
    "open": frozenset({"reserved", "taken", "received", "withdrawn", "expired"}),
    "reserved": frozenset({"open", "reserved", "taken", "received", "withdrawn", "expired"}),
    "taken": frozenset(),
    "received": frozenset(),
    "withdrawn": frozenset(),
    "expired": frozenset(),
}


def check_transition(listing: Listing, new: Status, *, reserved_for: str | None = None) -> None:
    """Raise `Conflict` unless `listing` may move to `new` (with `reserved_for` if reserving)."""
    if new not in _NEXT[listing.status]:
        raise Conflict(f"a listing that is {listing.status} cannot become {new}")
    if new in ("taken", "received") and new != listing.done_status:
        article = "an" if listing.purpose == "offer" else "a"
        raise Conflict(f"{article} {listing.purpose} is marked {listing.done_status}, not {new}")
    if new == "reserved":
        if not reserved_for:
            raise Invalid("reservedFor: say whom the listing is reserved for")
        if reserved_for == listing.author:
            raise Invalid("reservedFor: a listing cannot be reserved for its author")


def check_editable(listing: Listing) -> None:
    if not listing.is_live:
        raise Conflict(f"a listing that is {listing.status} can no longer be edited")
