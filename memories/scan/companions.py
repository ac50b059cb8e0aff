"""Find the files that are one photo: a Live Photo's still and its clip, a RAW and its JPEG.

An iPhone Live Photo is a HEIC or JPEG plus a 1.5-3 s MOV; both carry one content identifier
(the still in its Apple maker note, the clip in its QuickTime keys), so they pair wherever
the clip was moved. Without identifiers (exports, other phones' pairs) a still and a short
clip of the same base name in one folder, taken within seconds of each other, pair. A camera
shooting RAW+JPEG writes two files of one base name and one capture time: the JPEG shows
the photo, the RAW belongs to it. The clip or RAW is then never shown, counted or analysed
on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime

from memories.model import CompanionRole, PairingRecord

LONGEST_LIVE_CLIP = 6.0
"""Seconds: Live Photo clips last 1.5 to 3 s; a longer video of the same name is a video."""
SAME_MOMENT = 10.0
"""Seconds between a still's and its clip's (or RAW's) capture times that still count as one."""

_STILL_FORMATS = frozenset({"JPEG", "HEIF"})


def find_companions(records: Sequence[PairingRecord]) -> list[tuple[str, str, CompanionRole]]:
    """(companion's content hash, the photo's content hash, role) for every pair found."""
    stills = [r for r in records if r.kind == "photo" and r.format in _STILL_FORMATS]
    clips = [r for r in records if r.kind == "video" and _short(r.duration)]
    raws = [r for r in records if r.format == "RAW"]
    found: dict[str, tuple[str, CompanionRole]] = {}

    still_by_id = {r.content_id: r for r in stills if r.content_id}
    for clip in clips:
        still = still_by_id.get(clip.content_id) if clip.content_id else None
        if still is not None and still.content_hash != clip.content_hash:
            found[clip.content_hash] = (still.content_hash, CompanionRole.MOTION_CLIP)

    still_by_name = _by_folder_and_stem(stills)
    for clip in clips:
        if clip.content_hash in found:
            continue
        for still in still_by_name.get(_folder_and_stem(clip.path_text), ()):
            if _same_moment(still, clip) and not _other_identifiers(still, clip):
                found[clip.content_hash] = (still.content_hash, CompanionRole.MOTION_CLIP)
                break
    for raw in raws:
        for still in still_by_name.get(_folder_and_stem(raw.path_text), ()):
            if _same_moment(still, raw):
                found[raw.content_hash] = (still.content_hash, CompanionRole.RAW)
                break
    return [(companion, photo, role) for companion, (photo, role) in found.items()
            if companion != photo]  # fmt: skip


def _short(duration: float | None) -> bool:
    return duration is None or duration <= LONGEST_LIVE_CLIP


def _folder_and_stem(path_text: str) -> tuple[str, str]:
    folder, name = os.path.split(path_text)
    return folder, os.path.splitext(name)[0].lower()


def _by_folder_and_stem(records: Iterable[PairingRecord]) -> dict[tuple[str, str], list]:
    grouped: dict[tuple[str, str], list[PairingRecord]] = {}
    for record in records:
        grouped.setdefault(_folder_and_stem(record.path_text), []).append(record)
    return grouped


def _other_identifiers(still: PairingRecord, clip: PairingRecord) -> bool:
    """Both carry content identifiers, and they differ: two shots that share a name."""
    return bool(still.content_id and clip.content_id and still.content_id != clip.content_id)


def _same_moment(first: PairingRecord, second: PairingRecord) -> bool:
    """Whether both were taken within seconds of each other (files without a date pair by
    name alone). Two aware dates compare as instants, else as wall clocks: both files of a
    pair come from one camera, with one clock."""
    if not first.taken_at or not second.taken_at:
        return True
    try:
        one, other = datetime.fromisoformat(first.taken_at), datetime.fromisoformat(second.taken_at)
    except ValueError:
        return True
    if (one.tzinfo is None) != (other.tzinfo is None):
        one, other = one.replace(tzinfo=None), other.replace(tzinfo=None)
    return abs((one - other).total_seconds()) <= SAME_MOMENT
