"""Read positions (markers) in the home timeline and the notifications, shared by a member's
apps and kept across restarts: an app that opens shows where the member stopped reading in
another."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fedishare.context import Instance
from fedishare.core.errors import Unprocessable
from fedishare.core.ids import parse_id
from fedishare.storage import markers as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.markers import TIMELINES, Marker


async def markers_of(inst: Instance, member: LocalActor, timelines: Sequence[str]) -> list[Marker]:
    """The member's markers of those timelines that have one (unknown names are ignored)."""
    return await store.of_actor(inst.db, member.id, timelines)


async def set_markers(
    inst: Instance, member: LocalActor, positions: Mapping[str, str]
) -> list[Marker]:
    """Move the markers named (timeline -> last read id); returns them as they now are."""
    for timeline, last_read_id in positions.items():
        if timeline not in TIMELINES:
            raise Unprocessable(f"{timeline}: not a timeline with a marker (home, notifications)")
        if last_read_id != "0" and parse_id(last_read_id) is None:
            raise Unprocessable(f"{timeline}[last_read_id]: expected an id")
    now = inst.clock().isoformat(timespec="milliseconds")
    async with inst.db.transaction() as tx:
        for timeline, last_read_id in positions.items():
            await store.put(tx, member.id, timeline, last_read_id, now)
        return await store.of_actor(tx, member.id, list(positions))


async def read_position(inst: Instance, member: LocalActor, timeline: str) -> int:
    """The id the member last read in `timeline`; 0 when they never set one."""
    found = await store.of_actor(inst.db, member.id, [timeline])
    return (parse_id(found[0].last_read_id) or 0) if found else 0
