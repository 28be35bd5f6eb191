"""A listing: an offer, a request or a stay, ours or another server's, as a typed value.

Places are coarse by construction: a `Place` rounds its coordinates to two decimals (about a
kilometre), so no listing, local or remote, can carry a street-level position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

Purpose = Literal["offer", "request"]
Kind = Literal["give", "lend", "wanted", "help", "stay"]
Status = Literal["open", "reserved", "taken", "received", "withdrawn", "expired"]
Visibility = Literal["public", "unlisted", "followers"]
Origin = Literal["local", "remote"]

PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
KINDS: tuple[Kind, ...] = get_args(Kind)
STATUSES: tuple[Status, ...] = get_args(Status)
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)

# Kinds whose purpose follows from the kind; help and stay can be either.
FIXED_PURPOSE: dict[Kind, Purpose] = {"give": "offer", "lend": "offer", "wanted": "request"}
LIVE: frozenset[Status] = frozenset({"open", "reserved"})
MAX_IMAGES = 4
COORDINATE_DECIMALS = 2
TIME_CREDIT = "https://w3id.org/fedishare/ns#TimeCredit"


def max_lifetime(kind: Kind) -> timedelta:
    """How long a listing may stay up: 14 days for help, 90 for goods and stays."""
    return timedelta(days=14 if kind == "help" else 90)


def whole_seconds(dt: datetime) -> datetime:
    """Times are kept to the second: that is what the wire (and `updated` ordering) carries."""
    return dt.replace(microsecond=0)


@dataclass(frozen=True)
class Place:
    """A neighbourhood, never a street: a name, a rounded position and a radius in km."""

    name: str
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float = 1.0

    def __post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("a place has both latitude and longitude, or neither")
        if self.latitude is not None and self.longitude is not None:
            object.__setattr__(self, "latitude", round(self.latitude, COORDINATE_DECIMALS))
            object.__setattr__(self, "longitude", round(self.longitude, COORDINATE_DECIMALS))

    @property
    def has_position(self) -> bool:
        return self.latitude is not None


@dataclass(frozen=True)
class Image:
    """A listing's photo: where it is, its alt text, and what the sender told of it (ours
    always carry size and blurhash; other servers' carry what they sent)."""

    url: str
    alt: str
    media_type: str | None = None
    width: int | None = None
    height: int | None = None
    blurhash: str | None = None  # a tiny blurred preview (https://blurha.sh), 4x4 components


@dataclass(frozen=True)
class Reciprocal:
    """What is asked in return (FEP-0837 reciprocal intent): time credits, or a price."""

    unit: str  # OM-2 unit name: "hour" for time credits, "one" for a sum of money
    amount: float | None = None
    resource: str | None = None  # what the unit counts: TIME_CREDIT, a currency IRI...

    @property
    def is_time_credit(self) -> bool:
        return self.resource == TIME_CREDIT


@dataclass(frozen=True)
class Listing:
    id: str
    author: str  # the actor id
    origin: Origin
    purpose: Purpose
    kind: Kind
    status: Status
    title: str
    description: str  # plain text
    place: Place
    published: datetime
    updated: datetime
    expires: datetime
    end: datetime  # a stay's last day; for other kinds the same as `expires`
    start: datetime | None = None  # a stay's first day
    return_by: datetime | None = None  # lend: when the thing comes back
    hours: float | None = None  # help: how long the help takes
    reciprocal: Reciprocal | None = None
    capacity: int | None = None  # stay offer: guests the host can take
    party_size: int | None = None  # stay request: travellers in the party
    flexible: bool = False  # stay request: the dates can move
    house_rules: str = ""  # stay offer
    images: tuple[Image, ...] = ()
    reserved_for: str | None = None  # the responder's actor id while reserved
    visibility: Visibility = "public"
    audience: str | None = None  # the community Group the listing belongs to

    @property
    def is_local(self) -> bool:
        return self.origin == "local"

    @property
    def is_stay(self) -> bool:
        return self.kind == "stay"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def time_credits(self) -> float | None:
        r = self.reciprocal
        return r.amount if r is not None and r.is_time_credit else None

    @property
    def done_status(self) -> Status:
        """What "it happened" is called for this listing: an offer is taken, a request received."""
        return "taken" if self.purpose == "offer" else "received"
