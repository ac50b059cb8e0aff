"""Read the EXIF facts we use (date, place, orientation, camera) from a raw EXIF block.

A small TIFF-structure reader that decodes only the dozen tags we need: several times faster
than building Pillow's full tag dictionaries (maker notes included) for every photo, and
bounds-checked so that garbage offsets lose a tag, never the photo.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from memories.scan.dates import parse_exif_datetime

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004
_OFFSET_TIME, _OFFSET_TIME_ORIGINAL, _OFFSET_TIME_DIGITIZED = 0x9010, 0x9011, 0x9012
_SUBSEC_TIME, _SUBSEC_TIME_ORIGINAL, _SUBSEC_TIME_DIGITIZED = 0x9290, 0x9291, 0x9292
_MAKER_NOTE = 0x927C
_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4
_GPS_TIME, _GPS_DATE = 7, 29
_APPLE_CONTENT_IDENTIFIER = 0x0011
_APPLE_MAKER_NOTE = b"Apple iOS\x00"

# Some cameras and editors put the capture dates in IFD0 instead of the Exif IFD.
_WANTED_IFD0 = frozenset(
    {_MAKE, _MODEL, _ORIENTATION, _DATETIME, _EXIF_IFD, _GPS_IFD, _DATETIME_ORIGINAL,
     _DATETIME_DIGITIZED}
)  # fmt: skip
_WANTED_EXIF = frozenset(
    {_DATETIME_ORIGINAL, _DATETIME_DIGITIZED, _OFFSET_TIME, _OFFSET_TIME_ORIGINAL,
     _OFFSET_TIME_DIGITIZED, _SUBSEC_TIME, _SUBSEC_TIME_ORIGINAL, _SUBSEC_TIME_DIGITIZED,
     _MAKER_NOTE}
)  # fmt: skip
_WANTED_GPS = frozenset(
    {_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE, _GPS_TIME, _GPS_DATE}
)
_LARGE_VALUES = frozenset({_MAKER_NOTE})
"""Tags whose value may pass _MAX_VALUE_BYTES: kept as (offset, length) in the TIFF block."""

# TIFF field types: (struct code, size in bytes); RATIONALs are two codes each.
_FIELD_TYPES = {
    1: ("B", 1), 2: ("s", 1), 3: ("H", 2), 4: ("I", 4), 5: ("II", 8), 7: ("s", 1),
    8: ("h", 2), 9: ("i", 4), 10: ("ii", 8),
}  # fmt: skip
_MAX_ENTRIES = 512
_MAX_VALUE_BYTES = 1024


@dataclass(frozen=True, slots=True)
class ExifFacts:
    """What the EXIF block says, each fact None when absent or nonsense."""

    taken_at: datetime | None = None
    """When it was taken: DateTimeOriginal, else CreateDate (DateTimeDigitized)."""
    gps: tuple[float, float] | None = None
    orientation: int = 1
    camera: str | None = None
    modified_at: datetime | None = None
    """IFD0 DateTime: when the file was last written (an edit or export), not when taken."""
    gps_time: datetime | None = None
    """The GPS fix's date and time: an instant, in UTC."""
    content_id: str | None = None
    """Apple's content identifier, the same in a Live Photo's still and its clip."""


Tags = Mapping[int, Any]


def parse_exif(raw: bytes) -> tuple[Tags, Tags, Tags]:
    """(IFD0, Exif IFD, GPS IFD) tags from an EXIF block (`Exif\\0\\0` prefix optional)."""
    start = _tiff_header_at(raw)
    if start is None:
        return {}, {}, {}
    tiff = memoryview(raw)[start:]
    endian = "<" if tiff[:2] == b"II" else ">"
    try:
        (first_ifd,) = struct.unpack_from(endian + "I", tiff, 4)
    except struct.error:
        return {}, {}, {}
    ifd0 = _read_ifd(tiff, endian, first_ifd, _WANTED_IFD0)
    exif_ifd = _read_ifd(tiff, endian, ifd0.get(_EXIF_IFD), _WANTED_EXIF)
    gps_ifd = _read_ifd(tiff, endian, ifd0.get(_GPS_IFD), _WANTED_GPS)
    maker_note = exif_ifd.get(_MAKER_NOTE)
    if isinstance(maker_note, tuple):
        offset, length = maker_note
        exif_ifd[_MAKER_NOTE] = bytes(tiff[offset : offset + min(length, 64 * 1024)])
    return ifd0, exif_ifd, gps_ifd


def read_first_ifd(raw: bytes, directory: str) -> dict[int, Any]:
    """The tags we use of a TIFF block's first directory, read as `directory` ("ifd0", "exif"
    or "gps"): for formats that store each directory as a TIFF of its own (Canon CR3)."""
    start = _tiff_header_at(raw)
    if start is None:
        return {}
    tiff = memoryview(raw)[start:]
    endian = "<" if tiff[:2] == b"II" else ">"
    try:
        (first_ifd,) = struct.unpack_from(endian + "I", tiff, 4)
    except struct.error:
        return {}
    wanted = {"ifd0": _WANTED_IFD0, "exif": _WANTED_EXIF, "gps": _WANTED_GPS}[directory]
    return _read_ifd(tiff, endian, first_ifd, wanted)


def facts_from_tags(ifd0: Tags, exif_ifd: Tags, gps_ifd: Tags) -> ExifFacts:
    """Dates (original, then digitized; the file date apart), GPS, orientation and camera.
    An offset is taken only from the tag that belongs to the date: OffsetTime is the file
    date's, and applied to DateTimeOriginal it would move raw files by hours."""
    taken_at = None
    for date_tag, subsec_tag, offset_tag in (
        (_DATETIME_ORIGINAL, _SUBSEC_TIME_ORIGINAL, _OFFSET_TIME_ORIGINAL),
        (_DATETIME_DIGITIZED, _SUBSEC_TIME_DIGITIZED, _OFFSET_TIME_DIGITIZED),
    ):
        for directory in (exif_ifd, ifd0):
            taken_at = taken_at or parse_exif_datetime(
                _text(directory.get(date_tag)),
                _text(exif_ifd.get(subsec_tag)),
                _text(exif_ifd.get(offset_tag)),
            )
    modified_at = parse_exif_datetime(
        _text(ifd0.get(_DATETIME)),
        _text(exif_ifd.get(_SUBSEC_TIME)),
        _text(exif_ifd.get(_OFFSET_TIME)),
    )
    return ExifFacts(
        taken_at=taken_at,
        gps=_gps(gps_ifd),
        orientation=_orientation(ifd0.get(_ORIENTATION)),
        camera=camera_name(_text(ifd0.get(_MAKE)), _text(ifd0.get(_MODEL))),
        modified_at=modified_at,
        gps_time=_gps_time(gps_ifd),
        content_id=_apple_content_id(exif_ifd.get(_MAKER_NOTE)),
    )


def read_exif_facts(raw: bytes) -> ExifFacts:
    return facts_from_tags(*parse_exif(raw))


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


def _tiff_header_at(raw: bytes) -> int | None:
    for marker in (b"II*\x00", b"MM\x00*"):
        position = raw.find(marker, 0, 16)
        if position >= 0:
            return position
    return None


def _read_ifd(tiff: memoryview, endian: str, offset: Any, wanted: frozenset[int]) -> dict[int, Any]:
    tags: dict[int, Any] = {}
    if not isinstance(offset, int) or offset < 8 or offset + 2 > len(tiff):
        return tags
    (count,) = struct.unpack_from(endian + "H", tiff, offset)
    for index in range(min(count, _MAX_ENTRIES)):
        entry = offset + 2 + 12 * index
        if entry + 12 > len(tiff):
            break
        tag, field_type, value_count = struct.unpack_from(endian + "HHI", tiff, entry)
        if tag not in wanted or field_type not in _FIELD_TYPES:
            continue
        code, size = _FIELD_TYPES[field_type]
        length = size * value_count
        if tag in _LARGE_VALUES and length > 4:
            (value_offset,) = struct.unpack_from(endian + "I", tiff, entry + 8)
            if value_offset + length <= len(tiff):
                tags[tag] = (value_offset, length)
            continue
        if length > _MAX_VALUE_BYTES:
            continue
        if length <= 4:
            data = tiff[entry + 8 : entry + 8 + length]
        else:
            (value_offset,) = struct.unpack_from(endian + "I", tiff, entry + 8)
            data = tiff[value_offset : value_offset + length]
        if len(data) == length:
            tags[tag] = _decode(code, bytes(data), value_count, endian)
    return tags


def _decode(code: str, data: bytes, count: int, endian: str) -> Any:
    if code == "s":
        return data.split(b"\x00", 1)[0].decode("latin-1")
    numbers = struct.unpack(f"{endian}{code * count}", data)
    if len(code) == 2:  # rationals: numerator, denominator pairs
        values: tuple = tuple(
            numerator / denominator if denominator else math.nan
            for numerator, denominator in zip(numbers[::2], numbers[1::2], strict=True)
        )
    else:
        values = numbers
    return values[0] if count == 1 else values


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip() or None


def _orientation(value: Any) -> int:
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    return 1


def _gps(gps_ifd: Tags) -> tuple[float, float] | None:
    latitude = _degrees(gps_ifd.get(_GPS_LATITUDE), gps_ifd.get(_GPS_LATITUDE_REF), "S")
    longitude = _degrees(gps_ifd.get(_GPS_LONGITUDE), gps_ifd.get(_GPS_LONGITUDE_REF), "W")
    if latitude is None or longitude is None:
        return None
    return valid_gps(latitude, longitude)


def _gps_time(gps_ifd: Tags) -> datetime | None:
    """GPSDateStamp `2019:06:09` and GPSTimeStamp (hours, minutes, seconds) as a UTC instant."""
    day = _text(gps_ifd.get(_GPS_DATE))
    clock = gps_ifd.get(_GPS_TIME)
    if not day or not isinstance(clock, tuple) or len(clock) != 3:
        return None
    try:
        hours, minutes, seconds = (float(part) for part in clock)
        whole = f"{day.replace('-', ':')} {int(hours):02d}:{int(minutes):02d}:{int(seconds):02d}"
    except (TypeError, ValueError, OverflowError):
        return None
    return parse_exif_datetime(whole, offset="+00:00")


def _apple_content_id(maker_note: Any) -> str | None:
    """The content identifier in an Apple maker note: an IFD whose offsets count from the
    start of the note, after a 14-byte header (`Apple iOS\0`, a version, `MM`)."""
    if not isinstance(maker_note, bytes) or not maker_note.startswith(_APPLE_MAKER_NOTE):
        return None
    note = memoryview(maker_note)
    try:
        tags = _read_ifd(note, ">", 14, frozenset({_APPLE_CONTENT_IDENTIFIER}))
    except struct.error:
        return None
    return _text(tags.get(_APPLE_CONTENT_IDENTIFIER))


def _degrees(value: Any, ref: Any, negative_ref: str) -> float | None:
    """Degrees, minutes, seconds (rationals) and an N/S or E/W reference -> signed degrees."""
    try:
        parts = (
            [float(part) for part in value] if isinstance(value, tuple | list) else [float(value)]
        )
        degrees = sum(part / 60**index for index, part in enumerate(parts[:3]))
    except (TypeError, ValueError):
        return None
    if (_text(ref) or "").upper().startswith(negative_ref):
        degrees = -abs(degrees)
    return degrees
