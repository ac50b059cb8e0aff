"""Cut the timeline into events, and group days away from home into trips.

Events follow how people remember their days: place and time decide together. Between two
photos a new event starts (each start keeps its reason, `Cut`):

- `gap`: after 8 hours without photos;
- `night`: after a pause of 3 hours or more across 4 in the morning (a night's sleep; a party
  past midnight stays one event);
- `place`: the photos moved far (25 km after 20 minutes: a drive, a flight), or elsewhere
  after a pause (3 km after 45 minutes: a day at the lake, then dinner in town). Photos
  without GPS between two located ones never join two places: the cut falls on the longest
  gap between them;
- `pause`: 3 hours without photos at the same place (or where no photo says), near home
  (within 30 km): separate outings on one day are separate events. Away from home a pause
  does not cut: a day out is one event, whatever its long lunch.

Short pauses at one place never cut, so a long lunch or a museum without photos stays inside
the day out, and 500 photos in an afternoon are one event. On a trip, a day is a chapter:
what a pause or a move cut inside one day away is joined again, unless the place jumped far.
The numbers were chosen on `benchmarks/events_eval.py`'s labelled timelines.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from memories.analyze.places import distance_km, name_for
from memories.model import Cut, Event, TimelinePhoto
from memories.plan.words import slug

FIRST = Cut("first", None, None)


@dataclass(frozen=True, kw_only=True)
class EventRules:
    """How events are cut; the defaults were chosen on `benchmarks/events_eval.py`."""

    apart_s: float = 8 * 3600.0
    """Gaps this long always start a new event."""
    night_s: float = 3 * 3600.0
    night_hour: int = 4
    """A pause this long across this hour of the night ends the day."""
    jump_km: float = 25.0
    jump_gap_s: float = 20 * 60.0
    """Photos this far apart, with this much time between them, are in different events."""
    move_km: float = 3.0
    move_gap_s: float = 45 * 60.0
    """Photos this far apart after a pause this long are in different events."""
    pause_s: float = 3 * 3600.0
    """A pause this long at one place (or nowhere known) ends an event near home."""
    home_km: float = 30.0
    """How far from home a pause still ends an event."""
    inherit_place_within_s: float = 3 * 3600.0
    """A photo without GPS takes the place of a located one of its event this close in time."""


@dataclass(frozen=True, kw_only=True)
class TripRules:
    away_km: float = 100.0
    """Events farther than this from home are away."""
    max_gap_days: float = 4.0
    """Away events further apart than this are separate trips (a trip has quiet days too)."""
    min_days: int = 2
    """A single day out is an event, not a trip."""


def cuts(
    photos: Sequence[TimelinePhoto],
    rules: EventRules = EventRules(),
    home: tuple[float, float] | None = None,
) -> dict[int, Cut]:
    """Where a new event starts (index of its first photo, 0 excluded) and why, for photos in
    time order. Without a home, every place counts as near it."""
    gaps = [b.instant - a.instant for a, b in pairwise(photos)]
    found: dict[int, Cut] = {}
    for index, gap in enumerate(gaps):
        if gap >= rules.apart_s:
            found[index + 1] = _cut("gap", gap)
        elif gap >= rules.night_s and _across_the_night(photos[index], gap, rules):
            found[index + 1] = _cut("night", gap)
    for index, cut in _moves(photos, gaps, rules).items():
        found.setdefault(index, cut)
    near_home = _near_home(photos, home, rules)
    for index, gap in enumerate(gaps):
        if gap >= rules.pause_s and index + 1 not in found and near_home[index]:
            found[index + 1] = _cut("pause", gap)
    return dict(sorted(found.items()))


def _near_home(
    photos: Sequence[TimelinePhoto], home: tuple[float, float] | None, rules: EventRules
) -> list[bool]:
    """For each gap, whether the located photos on either side of it (the nearest ones) are
    near home; a gap with no located photo on either side counts as near it."""
    if home is None:
        return [True] * max(len(photos) - 1, 0)
    near: list[bool | None] = [
        None if photo.gps is None else distance_km(photo.gps, home) <= rules.home_km
        for photo in photos
    ]
    before: list[bool | None] = []
    last: bool | None = None
    for value in near:
        last = value if value is not None else last
        before.append(last)
    after: list[bool | None] = [None] * len(near)
    following: bool | None = None
    for index in range(len(near) - 1, -1, -1):
        following = near[index] if near[index] is not None else following
        after[index] = following
    result = []
    for index in range(len(photos) - 1):
        sides = [side for side in (before[index], after[index + 1]) if side is not None]
        result.append(any(sides) if sides else True)
    return result


def boundaries(
    photos: Sequence[TimelinePhoto],
    rules: EventRules = EventRules(),
    home: tuple[float, float] | None = None,
) -> list[int]:
    """Indexes where a new event starts (0 excluded), for photos in time order."""
    return list(cuts(photos, rules, home))


def segment_events(
    photos: Sequence[TimelinePhoto],
    rules: EventRules = EventRules(),
    *,
    home: tuple[float, float] | None = None,
    trip_rules: TripRules = TripRules(),
) -> list[Event]:
    """Every photo (in time order) in exactly one event; ids are stable and unique. With a
    home, a day of a trip is one event (a chapter), whatever pauses it had."""
    if not photos:
        return []
    starts = {0: FIRST, **cuts(photos, rules, home)}
    if home is not None:
        first_pass = _events(photos, starts, rules)
        start_of = {event.id: index for event, index in zip(first_pass, starts, strict=True)}
        for trip in find_trips(first_pass, home, trip_rules):
            for earlier, later in pairwise(trip):
                if _same_day(earlier, later) and not _far(later.why, rules):
                    del starts[start_of[later.id]]
    return _events(photos, starts, rules)


def _events(
    photos: Sequence[TimelinePhoto], starts: dict[int, Cut], rules: EventRules
) -> list[Event]:
    """The events that begin at `starts` (in order, each with its reason)."""
    edges = [*starts, len(photos)]
    events: list[Event] = []
    used_ids: set[str] = set()
    for a, b in pairwise(edges):
        run = _with_inherited_places(photos[a:b], rules)
        place = name_for(photo.place for photo in run if photo.place)
        event_id = f"{run[0].local_time:%Y-%m-%d}-{slug(place or 'event')}"
        if event_id in used_ids:
            event_id += f"-{run[0].local_time:%H%M}"
        while event_id in used_ids:
            event_id += "-b"
        used_ids.add(event_id)
        events.append(Event(id=event_id, photos=tuple(run), place=place, why=starts[a]))
    return events


def _cut(rule: str, gap_s: float, km: float | None = None) -> Cut:
    return Cut(rule, round(gap_s / 60), round(km, 1) if km is not None else None)


def _across_the_night(before: TimelinePhoto, gap_s: float, rules: EventRules) -> bool:
    """Whether the pause after `before` runs past `night_hour` on its wall clock."""
    start = before.local_time
    night = start.replace(hour=rules.night_hour, minute=0, second=0, microsecond=0)
    if night <= start:
        night += timedelta(days=1)
    return start + timedelta(seconds=gap_s) > night


def _moves(
    photos: Sequence[TimelinePhoto], gaps: Sequence[float], rules: EventRules
) -> dict[int, Cut]:
    """Cuts where the place changed: between each two photos located one after the other
    that are far enough apart, at the longest gap between them (photos without GPS there
    never join the two places)."""
    located = [index for index, photo in enumerate(photos) if photo.gps is not None]
    found: dict[int, Cut] = {}
    for first, second in pairwise(located):
        km = distance_km(photos[first].gps, photos[second].gps)  # type: ignore[arg-type]
        if km < rules.move_km:
            continue
        longest = max(range(first, second), key=gaps.__getitem__)
        gap = gaps[longest]
        if (km >= rules.jump_km and gap >= rules.jump_gap_s) or gap >= rules.move_gap_s:
            found[longest + 1] = _cut("place", gap, km)
    return found


def _same_day(earlier: Event, later: Event) -> bool:
    return earlier.photos[-1].local_time.date() == later.photos[0].local_time.date()


def _far(why: Cut | None, rules: EventRules) -> bool:
    """A cut that stays inside a trip day: the night, or a jump far away."""
    return why is not None and (
        why.rule in ("night", "first") or (why.km is not None and why.km >= rules.jump_km)
    )


def event_centre(event: Event) -> tuple[float, float] | None:
    located = [photo.gps for photo in event.photos if photo.gps]
    if not located:
        return None
    return (
        statistics.median(point[0] for point in located),
        statistics.median(point[1] for point in located),
    )


def find_trips(
    events: Sequence[Event], home: tuple[float, float] | None, rules: TripRules = TripRules()
) -> list[list[Event]]:
    """Runs of consecutive events away from home that span at least `min_days` days.

    An event with no location between two away events counts as away (a photo of the hotel
    room from a camera without GPS); one at the edge of a run does not join it.
    """
    if home is None:
        return []
    away = [_is_away(event, home, rules) for event in events]
    trips: list[list[Event]] = []
    current: list[Event] = []
    pending: list[Event] = []  # events without a location, waiting to see what follows
    for event, is_away in zip(events, away, strict=True):
        if is_away is None:
            if current:
                pending.append(event)
            continue
        if is_away and current and _days_between(current[-1], event) <= rules.max_gap_days:
            current += [*pending, event]
        elif is_away:
            _close(current, trips, rules)
            current = [event]
        else:
            _close(current, trips, rules)
            current = []
        pending = []
    _close(current, trips, rules)
    return trips


def _close(run: list[Event], trips: list[list[Event]], rules: TripRules) -> None:
    if run and len({photo.local_time.date() for e in run for photo in e.photos}) >= rules.min_days:
        trips.append(run)


def _is_away(event: Event, home: tuple[float, float], rules: TripRules) -> bool | None:
    centre = event_centre(event)
    return None if centre is None else distance_km(centre, home) > rules.away_km


def _days_between(earlier: Event, later: Event) -> float:
    return (later.photos[0].instant - earlier.photos[-1].instant) / 86400


def _with_inherited_places(run: Sequence[TimelinePhoto], rules: EventRules) -> list[TimelinePhoto]:
    located = [photo for photo in run if photo.place is not None]  # in time order
    if not located or len(located) == len(run):
        return list(run)
    instants = [photo.instant for photo in located]
    result = []
    for photo in run:
        if photo.place is None:
            # The nearest located photo is one of the two around it in time.
            after = bisect_left(instants, photo.instant)
            around = located[max(0, after - 1) : after + 1]
            nearest = min(around, key=lambda other: abs(other.instant - photo.instant))
            if abs(nearest.instant - photo.instant) <= rules.inherit_place_within_s:
                photo = photo._replace(place=nearest.place)
        result.append(photo)
    return result
