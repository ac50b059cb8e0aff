"""Find the IANA time zone at a place, offline, and turn clocks there into ISO-ready times.

Many cameras write only a wall clock (no offset); a GPS fix says where it was, so the zone
there says what that clock meant. The boundaries come from `tzfpy` (timezone-boundary-builder
polygons, with the seas: off a coast a point gets the coast's zone, further out an
`Etc/GMT±N` zone). The rules come from `zoneinfo`: the system's database, else the `tzdata`
package. Chosen by `benchmarks/timezones.py`: as right as `timezonefinder` on the places people
travel to, a tenth of its size to install, and faster to start and to look up.

`tzfpy` is imported on the first lookup, not with this module, and loads its boundaries then
(about 0.1 s and 36 MB per process), so commands that never ask pay nothing. Lookups are cached
per process on coordinates rounded to about 100 m.

Times come back with a fixed-offset `datetime.timezone`, not the `ZoneInfo`: the catalog stores
ISO text with a numeric offset, and an offset says all that a photo needs.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DECIMALS = 3
"""Coordinates are rounded to this many decimals (about 100 m) before the lookup: the photos
of one outing share a cache entry, and a phone's GPS is rarely surer than that."""
_CACHED_PLACES = 16_384


def zone_at(latitude: float, longitude: float) -> ZoneInfo | None:
    """The time zone at a point: its land zone, the coast's zone a little way out at sea,
    `Etc/GMT±N` far out. None when the point is not a place on Earth, or when the boundaries
    (`tzfpy`) or the zone's rules (system or `tzdata`) are missing; never raises."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or abs(latitude) > 90:
        return None
    longitude = (longitude + 180) % 360 - 180 if abs(longitude) > 180 else longitude
    return _zone_at(round(latitude, _DECIMALS), round(longitude, _DECIMALS))


def localise(wall_clock: datetime, zone: tzinfo) -> datetime:
    """A naive wall clock read in `zone`, returned with the zone's offset at that moment.

    The wall clock is kept as written. Where clocks changed it is ambiguous or never existed;
    fold=0 decides: a repeated time (autumn) gets the offset from before the change (summer
    time), a skipped time (spring) also gets the offset from before, so "02:30" on the night
    Paris springs forward comes back as 02:30+01:00, the instant 03:30+02:00 names.
    """
    if wall_clock.tzinfo is not None:
        raise ValueError(f"expected a wall clock without an offset, got {wall_clock.isoformat()}")
    offset = wall_clock.replace(tzinfo=zone, fold=0).utcoffset()
    assert offset is not None  # a zone always has one for an aware time
    return wall_clock.replace(tzinfo=timezone(offset), fold=0)


def from_instant(instant: datetime, zone: tzinfo) -> datetime:
    """An aware instant as the wall clock in `zone` showed it, with that moment's offset."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected an instant with an offset, got {instant.isoformat()}")
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    return local.replace(tzinfo=timezone(offset), fold=0)


@lru_cache(maxsize=_CACHED_PLACES)
def _zone_at(latitude: float, longitude: float) -> ZoneInfo | None:
    name = _zone_name(latitude, longitude)
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None  # boundaries newer than the rules installed here


def _zone_name(latitude: float, longitude: float) -> str | None:
    try:
        from tzfpy import get_tz
    except ImportError:
        return None
    try:
        return get_tz(longitude, latitude) or None
    except Exception:  # the lookup's failure costs a photo its offset, never the scan
        return None
