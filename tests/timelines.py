"""Build planner input directly: photos at given local times, offsets and places."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memories.analyze.places import Gazetteer
from memories.model import PhotoKind, Place, TimelinePhoto

LYON = (45.7640, 4.8357)
ANNECY = (45.8992, 6.1294)
GENEVA = (46.2044, 6.1432)
KYOTO = (35.0116, 135.7681)
OSAKA = (34.6937, 135.5023)
TOKYO = (35.6762, 139.6503)


def moment(
    local: str,
    *,
    gps: tuple[float, float] | None = None,
    offset_hours: float = 2,
    score: float = 0.8,
    dhash: int | None = None,
    people: frozenset[str] = frozenset(),
    name: str | None = None,
    landscape: bool = True,
) -> TimelinePhoto:
    """A photo taken at `local` wall-clock time ("2024-06-14 15:30") in a zone `offset_hours`
    from UTC, named after its place through the real offline gazetteer."""
    local_time = datetime.fromisoformat(local)
    instant = (local_time - timedelta(hours=offset_hours)).replace(tzinfo=UTC).timestamp()
    place = place_at(gps) if gps else None
    stem = name or f"IMG_{local_time:%Y%m%d_%H%M%S}_{int(instant) % 997}"
    return TimelinePhoto(
        path_text=f"/photos/{stem}.jpg",
        content_hash=f"{stem}-{instant}",
        kind=PhotoKind.PHOTO,
        local_time=local_time,
        instant=instant,
        gps=gps,
        place=place,
        score=score,
        dhash=dhash,
        landscape=landscape,
        people=people,
    )


_places: dict[tuple[float, float], Place | None] = {}


def place_at(point: tuple[float, float]) -> Place | None:
    if point not in _places:
        [_places[point]] = Gazetteer.offline().lookup([point])
    return _places[point]


def every(start: str, count: int, minutes: float, **options: object) -> list[TimelinePhoto]:
    """`count` photos from `start`, one every `minutes`."""
    first = datetime.fromisoformat(start)
    return [
        moment((first + timedelta(minutes=minutes * index)).isoformat(sep=" "), **options)  # type: ignore[arg-type]
        for index in range(count)
    ]
