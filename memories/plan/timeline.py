"""Turn catalog records into the planner's timeline: dated, placed, scored photos in order."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from memories.model import DateSource, Photo, PhotoKind, Place, Quality, TimelinePhoto
from memories.plan.zones import resolve_zones

FaceOf = tuple[str, tuple[int, int, int, int]]
"""A known person's id and the box of their face: [top, right, bottom, left]."""

UNMEASURED_SCORE = 0.5
PEOPLE_BONUS = 0.15
_NOBODY: frozenset[str] = frozenset()
_EPOCH = datetime(1970, 1, 1)
"""The UTC epoch, without a zone: wall-clock time less its offset, less this, is the instant."""


@dataclass
class Timeline:
    """Photos and videos that can be in memories, in time order, and those that cannot."""

    photos: list[TimelinePhoto] = field(default_factory=list)
    undated: list[Photo] = field(default_factory=list)
    """Dated only by their file's modification time: too unreliable to place in an event."""
    undecodable: list[tuple[Photo, str]] = field(default_factory=list)


def build_timeline(
    photos: Sequence[Photo],
    *,
    qualities: Mapping[str, Quality | str],
    places: Mapping[str, Place | None],
    faces: Mapping[str, Sequence[FaceOf]] | None = None,
    showing_hidden_people: Collection[str] = (),
    home_zone: tzinfo | None = None,
) -> Timeline:
    """Keep photos and videos (not screenshots or other images) with a trustworthy date.

    `faces` gives, by content hash, the faces of known people on each photo. Photos showing
    a hidden person (content hashes in `showing_hidden_people`) are left out of everything.
    Ordering uses the UTC instant, so a trip across time zones is neither cut nor reordered
    by its offset changes; a photo whose file gave no zone gets one by `resolve_zones`.
    A Live Photo's clip or a RAW beside its JPEG is shown through its photo, never alone.
    """
    faces = faces or {}
    timeline = Timeline()
    dated: list[tuple[datetime, Photo]] = []
    for photo in resolve_zones(photos, home_zone):
        if photo.kind not in (PhotoKind.PHOTO, PhotoKind.VIDEO) or photo.companion_of:
            continue
        if photo.content_hash in showing_hidden_people:
            continue
        quality = qualities.get(photo.content_hash)
        if isinstance(quality, str):
            timeline.undecodable.append((photo, quality))
        elif photo.taken_at is None or photo.taken_at_source is DateSource.MTIME:
            timeline.undated.append(photo)
        else:
            dated.append((photo.taken_at.replace(tzinfo=None), photo))
    for local, photo in dated:
        offset = photo.taken_at.utcoffset() if photo.taken_at else None
        quality = qualities.get(photo.content_hash)
        on_photo = tuple(faces.get(photo.content_hash, ()))
        who = frozenset(person for person, _ in on_photo) if on_photo else _NOBODY
        score = quality.score if isinstance(quality, Quality) else UNMEASURED_SCORE
        timeline.photos.append(
            TimelinePhoto(
                path_text=photo.path_text,
                content_hash=photo.content_hash,
                kind=photo.kind,
                local_time=local,
                instant=(local - (offset or timedelta(0)) - _EPOCH).total_seconds(),
                gps=photo.gps,
                place=places.get(photo.content_hash),
                score=min(1.0, score + (PEOPLE_BONUS if who else 0.0)),
                dhash=quality.dhash if isinstance(quality, Quality) else None,
                landscape=photo.width >= photo.height,
                people=who,
                faces=on_photo,
            )
        )
    timeline.photos.sort(key=lambda photo: (photo.instant, photo.path_text))
    return timeline
