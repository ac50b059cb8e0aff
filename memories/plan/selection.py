"""Choose the photos that tell a memory: the best of each burst, spread across its time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence

from memories.model import TimelinePhoto

NEAR_DUPLICATE_BITS = 10
"""Difference hashes at most this many bits apart (of 64) look the same."""
NEAR_DUPLICATE_WINDOW_S = 600.0
"""...when taken this close in time: a burst, or the same shot taken twice."""


def duplicate_groups(photos: Sequence[TimelinePhoto]) -> dict[str, int]:
    """A group number per content hash; near-duplicates share one. Photos in time order."""
    parent = list(range(len(photos)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for later, photo in enumerate(photos):
        if photo.dhash is None:
            continue
        earlier = later - 1
        while earlier >= 0 and photo.instant - photos[earlier].instant <= NEAR_DUPLICATE_WINDOW_S:
            other = photos[earlier].dhash
            if other is not None and (photo.dhash ^ other).bit_count() <= NEAR_DUPLICATE_BITS:
                parent[root(later)] = root(earlier)
            earlier -= 1
    return {photo.content_hash: root(index) for index, photo in enumerate(photos)}


def best_of_each_burst(
    photos: Sequence[TimelinePhoto], groups: Mapping[str, int]
) -> list[TimelinePhoto]:
    """One photo per near-duplicate group, the best scored; in time order."""
    best: dict[int, TimelinePhoto] = {}
    for photo in photos:
        group = groups.get(photo.content_hash, -1 - len(best))
        if group not in best or _rank(photo) > _rank(best[group]):
            best[group] = photo
    return sorted(best.values(), key=lambda photo: photo.instant)


def choose(
    photos: Sequence[TimelinePhoto],
    limit: int,
    *,
    bucket: Callable[[TimelinePhoto], Hashable] | None = None,
) -> list[TimelinePhoto]:
    """At most `limit` photos (already one per burst), in time order: the best of each bucket
    (by default equal slices of the memory's time span) first, then the best of the rest."""
    if len(photos) <= limit:
        return list(photos)
    bucket = bucket or _time_slices(photos, limit)
    by_bucket: dict[Hashable, list[TimelinePhoto]] = defaultdict(list)
    for photo in photos:
        by_bucket[bucket(photo)].append(photo)
    ranked_buckets = [sorted(group, key=_rank, reverse=True) for group in by_bucket.values()]
    chosen: list[TimelinePhoto] = []
    depth = 0
    while len(chosen) < limit:
        layer = [group[depth] for group in ranked_buckets if depth < len(group)]
        if not layer:
            break
        chosen += sorted(layer, key=_rank, reverse=True)[: limit - len(chosen)]
        depth += 1
    return sorted(chosen, key=lambda photo: photo.instant)


def cover_of(photos: Sequence[TimelinePhoto]) -> TimelinePhoto:
    """The photo to show first: good, with people, and landscape (it fills a card)."""
    return max(
        photos, key=lambda p: (p.score + 0.2 * bool(p.people) + 0.1 * p.landscape, -p.instant)
    )


def _rank(photo: TimelinePhoto) -> tuple[float, float]:
    return (photo.score, -photo.instant)


def _time_slices(
    photos: Sequence[TimelinePhoto], count: int
) -> Callable[[TimelinePhoto], Hashable]:
    start = min(photo.instant for photo in photos)
    span = max(photo.instant for photo in photos) - start or 1.0
    return lambda photo: min(count - 1, int((photo.instant - start) / span * count))
