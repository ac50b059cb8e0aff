"""Read the EXIF facts we use (date, place, orientation, camera) from a Pillow Exif object."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image

from memories.scan.dates import parse_exif_datetime

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_MAKE, _MODEL, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004
_OFFSET_TIME, _OFFSET_TIME_ORIGINAL, _OFFSET_TIME_DIGITIZED = 0x9010, 0x9011, 0x9012
_SUBSEC_TIME, _SUBSEC_TIME_ORIGINAL, _SUBSEC_TIME_DIGITIZED = 0x9290, 0x9291, 0x9292
_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class ExifFacts:
    """What the EXIF block says, each fact None when absent or nonsense."""

    taken_at: datetime | None = None
    gps: tuple[float, float] | None = None
    orientation: int = 1
    camera: str | None = None


def read_exif_facts(exif: Image.Exif) -> ExifFacts:
    """Dates (original, then digitized, then file date), GPS, orientation and camera."""
    exif_ifd = _sub_ifd(exif, _EXIF_IFD)
    taken_at = (
        parse_exif_datetime(
            _text(exif_ifd.get(_DATETIME_ORIGINAL)),
            _text(exif_ifd.get(_SUBSEC_TIME_ORIGINAL)),
            _text(exif_ifd.get(_OFFSET_TIME_ORIGINAL)),
        )
        or parse_exif_datetime(
            _text(exif_ifd.get(_DATETIME_DIGITIZED)),
            _text(exif_ifd.get(_SUBSEC_TIME_DIGITIZED)),
            _text(exif_ifd.get(_OFFSET_TIME_DIGITIZED)),
        )
        or parse_exif_datetime(
            _text(exif.get(_DATETIME)),
            _text(exif_ifd.get(_SUBSEC_TIME)),
            _text(exif_ifd.get(_OFFSET_TIME)),
        )
    )
    return ExifFacts(
        taken_at=taken_at,
        gps=_gps(_sub_ifd(exif, _GPS_IFD)),
        orientation=_orientation(exif.get(_ORIENTATION)),
        camera=camera_name(_text(exif.get(_MAKE)), _text(exif.get(_MODEL))),
    )


def valid_gps(latitude: float, longitude: float) -> tuple[float, float] | None:
    """The point, or None for (0, 0), NaN and out-of-range values."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude == 0 and longitude == 0):
        return None
    return (round(latitude, 6), round(longitude, 6))


def camera_name(make: str | None, model: str | None) -> str | None:
    """`Canon` + `Canon EOS 5D` -> `Canon EOS 5D`; `Apple` + `iPhone 13` -> `Apple iPhone 13`."""
    make, model = (make or "").strip(), (model or "").strip()
    if model and make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(part for part in (make, model) if part) or None


def _sub_ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # garbage offsets in a broken EXIF block: Pillow raises many kinds
        return {}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip() or None


def _orientation(value: Any) -> int:
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    return 1


def _gps(gps_ifd: dict[int, Any]) -> tuple[float, float] | None:
    latitude = _degrees(gps_ifd.get(_GPS_LATITUDE), gps_ifd.get(_GPS_LATITUDE_REF), "S")
    longitude = _degrees(gps_ifd.get(_GPS_LONGITUDE), gps_ifd.get(_GPS_LONGITUDE_REF), "W")
    if latitude is None or longitude is None:
        return None
    return valid_gps(latitude, longitude)


def _degrees(value: Any, ref: Any, negative_ref: str) -> float | None:
    """Degrees, minutes, seconds (rationals) and an N/S or E/W reference -> signed degrees."""
    try:
        parts = (
            [float(part) for part in value] if isinstance(value, tuple | list) else [float(value)]
        )
        degrees = sum(part / 60**index for index, part in enumerate(parts[:3]))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if (_text(ref) or "").upper().startswith(negative_ref):
        degrees = -abs(degrees)
    return degrees
