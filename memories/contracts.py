"""The JSON shapes that scripts rely on (DESIGN.md, "JSON contracts"), built from model records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from memories.model import Event, Insight, Memory, Photo, Skipped

if TYPE_CHECKING:
    from memories.catalog import FaceOnPhoto, PersonSummary


def photo_record(photo: Photo, companion_path: str | None = None) -> dict[str, Any]:
    """One entry of `memories scan --json`; `companion_path` is the path of the photo this
    file belongs to (`photo.companion_of` names it by content hash)."""
    taken_at = photo.taken_at
    motion = photo.motion
    return {
        "path": photo.path_text,
        "taken_at": taken_at.isoformat() if taken_at else None,
        "taken_at_utc": _utc(taken_at),
        "taken_at_source": photo.taken_at_source.value if photo.taken_at_source else None,
        "zone_source": photo.zone_source.value if photo.zone_source else None,
        "gps": list(photo.gps) if photo.gps else None,
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "camera": photo.camera,
        "kind": photo.kind.value,
        "format": photo.format,
        "duration": photo.duration,
        "content_hash": photo.content_hash,
        "duplicates": list(photo.duplicates),
        "sidecar": photo.sidecar,
        "motion": (
            {"path": motion.path_text, "offset": motion.offset, "length": motion.length}
            if motion
            else None
        ),
        "companion_of": companion_path,
        "error": None,
    }


def _utc(taken_at: datetime | None) -> str | None:
    if taken_at is None or taken_at.tzinfo is None:
        return None
    return taken_at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def skipped_record(skipped: Skipped) -> dict[str, Any]:
    """A file that could not be used, in the same shape as a photo, with `error` set."""
    record: dict[str, Any] = dict.fromkeys(photo_record_keys())
    record.update(path=str(skipped.path), duplicates=[], error=skipped.reason)
    return record


def photo_record_keys() -> tuple[str, ...]:
    return (
        "path", "taken_at", "taken_at_utc", "taken_at_source", "zone_source", "gps", "width",
        "height", "orientation", "camera", "kind", "format", "duration", "content_hash",
        "duplicates", "sidecar", "motion", "companion_of", "error",
    )  # fmt: skip


def memory_record(memory: Memory, outputs: dict[str, str] | None = None) -> dict[str, Any]:
    """One entry of `memories list --json`."""
    return {
        "id": memory.id,
        "kind": memory.kind.value,
        "title": memory.title,
        "dates": memory.dates,
        "start": memory.start.isoformat(),
        "end": memory.end.isoformat(),
        "place": memory.place,
        "people": list(memory.people),
        "photos": [photo.path_text for photo in memory.photos],
        "cover": memory.cover.path_text,
        "chapters": list(memory.chapters),
        "insights": [_insight_record(insight) for insight in memory.insights],
        "language": memory.language,
        "outputs": outputs or {},
    }


def _insight_record(insight: Insight) -> dict[str, Any]:
    """A year's number, with the content hashes of exactly the photos it counts."""
    return {"kind": insight.kind, "headline": insight.headline, "detail": insight.detail,
            "value": insight.value, "photos": list(insight.photos)}  # fmt: skip


def event_record(event: Event) -> dict[str, Any]:
    """One entry of `memories events --json`."""
    why = event.why
    return {
        "id": event.id,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "place": event.place,
        "photos": [photo.path_text for photo in event.photos],
        "why": {"rule": why.rule, "gap_minutes": why.gap_minutes, "km": why.km} if why else None,
    }


def person_record(
    summary: PersonSummary, faces: Sequence[FaceOnPhoto], doubt: str | None = None
) -> dict[str, Any]:
    """One entry of `memories people --json`; `doubt` says why this may be two people."""
    person = summary.person
    return {
        "id": person.id,
        "name": person.name,
        "hidden": person.hidden,
        "birthday": person.birthday.isoformat() if person.birthday else None,
        "faces": [
            {"photo": str(face.path), "box": list(face.box), "id": face.id} for face in faces
        ],
        "photos": summary.photos,
        "first_seen": summary.first_seen.isoformat() if summary.first_seen else None,
        "last_seen": summary.last_seen.isoformat() if summary.last_seen else None,
        "doubt": doubt,
    }
