"""Cut the timeline into events, and group days away from home into trips.

Events: a gap splits the timeline when it is long for this stretch of the person's own
rhythm (the log of the gap stands well above the average log-gap around it, after Platt et
al., PhotoTOC), when it is longer than a night, or when the place jumps far. Short gaps never
split, so an afternoon burst of 500 photos stays one event.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from memories.analyze.places import distance_km, name_for
from memories.model import Event, TimelinePhoto
from memories.plan.words import slug


@dataclass(frozen=True, kw_only=True)
class EventRules:
    """How events are cut; the defaults were tuned on `benchmarks/events_eval.py`."""

    always_together_s: float = 3600.0
    """Gaps shorter than this never split."""
    always_apart_s: float = 8 * 3600.0
    """Gaps longer than this always split (a night, a quiet day)."""
    window: int = 10
    """Gaps on each side that make up the local rhythm."""
    contrast: float = math.log(17)
    """How much longer than its neighbours (in log) a gap must be to split."""
    place_jump_km: float = 25.0
    place_jump_gap_s: float = 20 * 60.0
    """A jump of this distance splits when at least this much time passed too."""
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


def boundaries(photos: Sequence[TimelinePhoto], rules: EventRules = EventRules()) -> list[int]:
    """Indexes where a new event starts (0 excluded), for photos in time order."""
    gaps = [max(b.instant - a.instant, 1.0) for a, b in pairwise(photos)]
    log_gaps = [math.log(gap) for gap in gaps]
    prefix = [0.0]
    for value in log_gaps:
        prefix.append(prefix[-1] + value)
    cuts = []
    for index, gap in enumerate(gaps):
        if _place_jumped(photos[index], photos[index + 1], gap, rules):
            cuts.append(index + 1)
            continue
        if gap < rules.always_together_s:
            continue
        low, high = max(0, index - rules.window), min(len(gaps), index + rules.window + 1)
        local_rhythm = (prefix[high] - prefix[low]) / (high - low)
        if gap >= rules.always_apart_s or log_gaps[index] >= local_rhythm + rules.contrast:
            cuts.append(index + 1)
    return cuts


def segment_events(
    photos: Sequence[TimelinePhoto], rules: EventRules = EventRules()
) -> list[Event]:
    """Every photo (in time order) in exactly one event; ids are stable and unique."""
    if not photos:
        return []
    edges = [0, *boundaries(photos, rules), len(photos)]
    runs = [_with_inherited_places(photos[a:b], rules) for a, b in pairwise(edges)]
    events: list[Event] = []
    used_ids: set[str] = set()
    for run in runs:
        place = name_for(photo.place for photo in run if photo.place)
        event_id = f"{run[0].local_time:%Y-%m-%d}-{slug(place or 'event')}"
        if event_id in used_ids:
            event_id += f"-{run[0].local_time:%H%M}"
        while event_id in used_ids:
            event_id += "-b"
        used_ids.add(event_id)
        events.append(Event(id=event_id, photos=tuple(run), place=place))
    return events


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


def _place_jumped(a: TimelinePhoto, b: TimelinePhoto, gap: float, rules: EventRules) -> bool:
    return (
        a.gps is not None
        and b.gps is not None
        and gap >= rules.place_jump_gap_s
        and distance_km(a.gps, b.gps) >= rules.place_jump_km
    )


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
