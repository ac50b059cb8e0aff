"""Read the date and place from a Google Takeout sidecar (`IMG_1.jpg.json`) beside a photo.

Takeout exports strip EXIF from some photos and keep it in these JSON files instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from memories.scan.dates import from_timestamp_utc
from memories.scan.exif import valid_gps

_MAX_SIDECAR_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class TakeoutFacts:
    taken_at: datetime | None = None
    """UTC: Takeout stores a POSIX timestamp."""
    gps: tuple[float, float] | None = None


def read_takeout_sidecar(path: Path | None) -> TakeoutFacts:
    """What the sidecar says; nothing when it is absent, unreadable or not what we expect."""
    if path is None:
        return TakeoutFacts()
    try:
        data = json.loads(path.read_bytes()[:_MAX_SIDECAR_BYTES])
    except (OSError, ValueError):
        return TakeoutFacts()
    if not isinstance(data, dict):
        return TakeoutFacts()
    timestamp = _number(_field(data, "photoTakenTime", "timestamp"))
    return TakeoutFacts(
        taken_at=from_timestamp_utc(timestamp) if timestamp else None,
        gps=_point(data, "geoData") or _point(data, "geoDataExif"),
    )


def _point(data: dict, key: str) -> tuple[float, float] | None:
    latitude = _number(_field(data, key, "latitude"))
    longitude = _number(_field(data, key, "longitude"))
    if latitude is None or longitude is None:
        return None
    return valid_gps(latitude, longitude)


def _field(data: dict, section: str, name: str) -> Any:
    inner = data.get(section)
    return inner.get(name) if isinstance(inner, dict) else None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
