"""Who may see a listing here: anyone a public or unlisted one; a followers-only one its
author and the people who follow the author (an accepted follow), and nobody else.

One listing's answer is `may_see`; a search asks the same of every row
(`fedishare.storage.listing_search.Query.viewer`). Pages, the JSON API and answering use
these, so that a listing hidden in one place is hidden everywhere; to anyone else a
followers-only listing is answered as one that does not exist."""

from __future__ import annotations

from fedishare.core.listing import Listing
from fedishare.storage import follows
from fedishare.storage.database import Database


async def may_see(db: Database, viewer: str | None, listing: Listing) -> bool:
    """Whether the actor `viewer` (None: someone not signed in) may see `listing`."""
    if listing.visibility != "followers":
        return True
    if viewer is None:
        return False
    return viewer == listing.author or await follows.is_accepted(db, viewer, listing.author)
