"""Keeping another server's post, whichever way it came (a Create sent to us, a boost by
someone followed here, a search that resolved its URL): stored once in `objects`, and so
indexed as a status, with the time it says it was published."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of, iso, parse_iso
from fedishare.core.types import JSON
from fedishare.storage import objects


async def keep_post(inst: Instance, doc: JSON, author: str) -> bool:
    """Store the post `doc` by `author`; False when its id is kept already. A post that
    does not say when it was published (or says it so that no moment is named) is taken
    as published now, written as all our times are (`iso`)."""
    published = doc.get("published")
    if not isinstance(published, str) or parse_iso(published) is None:
        published = iso(inst.clock())
    async with inst.db.transaction() as tx:
        return await objects.insert(
            tx,
            doc,
            attributed_to=author,
            published=published,
            in_reply_to=id_of(doc.get("inReplyTo")),
            now=inst.clock(),
        )
