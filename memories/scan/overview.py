"""A few figures about a set of photos, for the end of a scan: what, when, how well dated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from memories.model import DateSource, Photo, PhotoKind


@dataclass(frozen=True)
class Overview:
    count: int
    kinds: dict[PhotoKind, int]
    first: datetime | None
    """Earliest wall-clock time taken (offsets ignored: people think in local dates)."""
    last: datetime | None
    with_place: int
    dated_by_file_time: int
    """Photos whose date is only the file's modification time: a guess."""
    companions: int = 0
    """Files shown through another photo: Live Photo clips, RAWs beside their JPEGs."""


def overview(photos: Iterable[Photo]) -> Overview:
    kinds: Counter[PhotoKind] = Counter()
    times: list[datetime] = []
    with_place = dated_by_file_time = companions = 0
    for photo in photos:
        if photo.companion_of:
            companions += 1
            continue
        kinds[photo.kind] += 1
        with_place += photo.gps is not None
        if photo.taken_at_source is DateSource.MTIME:
            dated_by_file_time += 1
        elif photo.taken_at is not None:
            times.append(photo.taken_at.replace(tzinfo=None))
    return Overview(
        count=sum(kinds.values()),
        kinds=dict(kinds),
        first=min(times, default=None),
        last=max(times, default=None),
        with_place=with_place,
        dated_by_file_time=dated_by_file_time,
        companions=companions,
    )
