"""Decide when a photo was taken from everything its file (and a sidecar) says about it.

The order, and why (README, "Dates and times"):

1. A Google Takeout sidecar's photoTakenTime: Google Photos shows it, and the user may have
   corrected it there, so where it disagrees with the file it wins.
2. The file's own capture dates: EXIF DateTimeOriginal, then CreateDate (DateTimeDigitized),
   then XMP (exif:DateTimeOriginal, xmp:CreateDate, photoshop:DateCreated), then IPTC
   (DateCreated with TimeCreated), then a video container's own date.
3. The GPS fix's time (an instant).
4. A date in the file name (phones and messengers write one).
5. EXIF DateTime: the file's last change, often an edit or export, so a late resort.
6. The file's modification time: a guess, flagged as such.

A date is a wall clock, with its offset when the file gives one. Where the chosen date is an
instant only (a sidecar, a GPS time, a QuickTime movie header) or a wall clock without offset,
the zone comes from the photo's GPS position; without one, it is left to be found from the
photos around it (`plan.zones`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from memories.model import DateSource, ZoneSource
from memories.scan.timezones import from_instant, localise

ZoneLookup = Callable[[], tzinfo | None]
"""The time zone where the photo was taken, looked up only when it is needed."""

_SAME_INSTANT = timedelta(seconds=2)
_MAX_OFFSET = timedelta(hours=14)


class Candidate(NamedTuple):
    """A date a file gives, and whether it is an instant rather than a wall clock."""

    taken_at: datetime | None
    source: DateSource
    instant: bool = False


class Capture(NamedTuple):
    taken_at: datetime
    """A wall clock, aware when its offset is known, else naive; or an aware UTC instant
    whose zone is still unknown (then `zone` is None)."""
    source: DateSource
    zone: ZoneSource | None


def choose_capture(
    sidecar: datetime | None,
    embedded: Sequence[Candidate],
    late: Sequence[Candidate],
    mtime: datetime,
    zone_here: ZoneLookup,
) -> Capture:
    """The capture time by the order above. `embedded` are the file's own dates in order
    (EXIF, XMP, IPTC, video), `late` the GPS time, file name and EXIF DateTime."""
    if sidecar is not None:
        return _from_sidecar(sidecar, embedded, zone_here)
    for candidate in (*embedded, *late):
        if candidate.taken_at is not None:
            return _placed(candidate, [*embedded, *late], zone_here)
    return Capture(mtime, DateSource.MTIME, ZoneSource.SYSTEM)


def _from_sidecar(
    instant: datetime, embedded: Sequence[Candidate], zone_here: ZoneLookup
) -> Capture:
    """The sidecar's instant, at the wall clock the file itself gives for that same instant
    (its offset follows from the two), else in the zone where it was taken."""
    for candidate in embedded:
        if candidate.taken_at is None or candidate.instant:
            continue
        offset = _offset_between(candidate.taken_at, instant)
        if offset is not None:
            local = instant.astimezone(timezone(offset))
            return Capture(local, DateSource.SIDECAR, ZoneSource.FILE)
    return _in_zone_here(instant, DateSource.SIDECAR, zone_here)


def _placed(chosen: Candidate, others: Sequence[Candidate], zone_here: ZoneLookup) -> Capture:
    taken_at = chosen.taken_at
    assert taken_at is not None
    if chosen.instant:
        return _in_zone_here(taken_at, chosen.source, zone_here)
    if taken_at.tzinfo is not None:
        return Capture(taken_at, chosen.source, ZoneSource.FILE)
    # A wall clock without offset: another date of the file may give the same wall clock with
    # its zone (a raw file's XMP). Not IPTC's: editors write +0000 there when they do not
    # know the zone.
    for other in others:
        other_time = other.taken_at
        if (
            other_time is not None
            and not other.instant
            and other.source is not DateSource.IPTC
            and other_time.tzinfo is not None
            and abs(other_time.replace(tzinfo=None) - taken_at) <= _SAME_INSTANT
        ):
            return Capture(taken_at.replace(tzinfo=other_time.tzinfo), chosen.source,
                           ZoneSource.FILE)  # fmt: skip
    zone = zone_here()
    if zone is None:
        return Capture(taken_at, chosen.source, None)
    return Capture(localise(taken_at, zone), chosen.source, ZoneSource.GPS)


def _in_zone_here(instant: datetime, source: DateSource, zone_here: ZoneLookup) -> Capture:
    zone = zone_here()
    if zone is None:
        return Capture(instant.astimezone(UTC), source, None)
    return Capture(from_instant(instant, zone), source, ZoneSource.GPS)


def _offset_between(wall_clock: datetime, instant: datetime) -> timedelta | None:
    """The UTC offset that makes `wall_clock` the same moment as `instant`, if one can."""
    if wall_clock.tzinfo is not None:
        same = abs(wall_clock - instant) <= _SAME_INSTANT
        return wall_clock.utcoffset() if same else None
    difference = wall_clock - instant.astimezone(UTC).replace(tzinfo=None)
    quarter_hours = round(difference / timedelta(minutes=15))
    offset = quarter_hours * timedelta(minutes=15)
    if abs(offset) > _MAX_OFFSET or abs(difference - offset) > _SAME_INSTANT:
        return None
    return offset

