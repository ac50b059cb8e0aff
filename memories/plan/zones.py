"""Give every dated photo its UTC offset, so that it has both an instant and a wall clock.

Reading a file places its date in a zone when the file says the offset or has GPS
(`scan.capture`). The rest are a wall clock without offset (most cameras) or an instant
without zone (a QuickTime movie header, a Takeout sidecar, with no GPS): they borrow the
offset of the photos taken just before or after them that know theirs (a camera and the
phone beside it on one day), else take the home's zone, else this machine's.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from memories.model import DateSource, Photo, ZoneSource
from memories.scan.timezones import from_instant, localise

NEIGHBOUR_WINDOW = timedelta(hours=12)
"""How far in time a photo that knows its offset may be to lend it: within one day out."""

_EPOCH = datetime(1970, 1, 1)


def resolve_zones(photos: Sequence[Photo], home_zone: tzinfo | None = None) -> list[Photo]:
    """The photos, each dated one with `taken_at` aware and `zone_source` set."""
    wall_clocks: list[tuple[float, timedelta]] = []  # photos that know their offset
    instants: list[tuple[float, timedelta]] = []
    for photo in photos:
        if photo.zone_source is not None and is_dated(photo):
            assert photo.taken_at is not None
            offset = photo.taken_at.utcoffset()
            if offset is not None:
                wall = _seconds(photo.taken_at.replace(tzinfo=None))
                wall_clocks.append((wall, offset))
                instants.append((wall - offset.total_seconds(), offset))
    wall_clocks.sort()
    instants.sort()
    resolved = []
    for photo in photos:
        if photo.zone_source is None and photo.taken_at is not None:
            photo = _resolved(photo, photo.taken_at, wall_clocks, instants, home_zone)
        resolved.append(photo)
    return resolved


def _resolved(
    photo: Photo,
    taken_at: datetime,
    wall_clocks: list[tuple[float, timedelta]],
    instants: list[tuple[float, timedelta]],
    home_zone: tzinfo | None,
) -> Photo:
    is_instant = taken_at.tzinfo is not None
    if is_instant:
        near = _nearest(instants, taken_at.timestamp())
    else:
        near = _nearest(wall_clocks, _seconds(taken_at))
    zone: tzinfo | None
    if near is not None:
        zone, source = timezone(near), ZoneSource.NEIGHBOURS
    elif home_zone is not None:
        zone, source = home_zone, ZoneSource.HOME
    else:
        zone, source = None, ZoneSource.SYSTEM
    try:
        if zone is None:  # this machine's zone, as it stood on that day
            local = taken_at.astimezone()
            local = local.replace(tzinfo=timezone(local.utcoffset() or timedelta(0)))
        else:
            local = from_instant(taken_at, zone) if is_instant else localise(taken_at, zone)
    except (OverflowError, OSError, ValueError):  # a date the system's clock cannot place
        local = taken_at if is_instant else taken_at.replace(tzinfo=UTC)
    return photo._replace(taken_at=local, zone_source=source)


def _nearest(known: list[tuple[float, timedelta]], seconds: float) -> timedelta | None:
    """The offset of the known photo nearest in time, within the window."""
    index = bisect.bisect_left(known, (seconds, timedelta.min))
    best: tuple[float, timedelta] | None = None
    for candidate in known[max(index - 1, 0) : index + 1]:
        distance = abs(candidate[0] - seconds)
        if distance <= NEIGHBOUR_WINDOW.total_seconds() and (best is None or distance < best[0]):
            best = (distance, candidate[1])
    return best[1] if best else None


def _seconds(wall_clock: datetime) -> float:
    return (wall_clock - _EPOCH).total_seconds()


def is_dated(photo: Photo) -> bool:
    """A date good enough to place the photo in time (the mtime is a guess)."""
    return photo.taken_at is not None and photo.taken_at_source is not DateSource.MTIME
