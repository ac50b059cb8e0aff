"""Read date, duration, size, rotation and place from an MP4/MOV file's boxes, without decoding."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from memories.scan.dates import from_timestamp_utc
from memories.scan.exif import valid_gps

_MP4_EPOCH_OFFSET = 2_082_844_800  # seconds from 1904-01-01 to 1970-01-01
_MAX_MOOV_BYTES = 64 * 1024 * 1024
_CONTAINERS = {b"moov", b"trak", b"mdia", b"udta"}
_ROTATION_TO_ORIENTATION = {0: 1, 90: 6, 180: 3, 270: 8}


class NotAVideo(ValueError):
    """The file has no readable movie header."""


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What a movie header says; None where it says nothing usable."""

    width: int
    height: int
    orientation: int
    duration: float | None
    created_at: datetime | None
    """A wall clock (aware when the file gives the offset, naive when not), or an instant."""
    gps: tuple[float, float] | None
    instant_only: bool = False
    """`created_at` is an instant in UTC without the local zone (QuickTime's movie header)."""
    content_id: str | None = None
    """Apple's content identifier: a Live Photo's clip carries its still's."""


def read_video_facts(file: BinaryIO, size: int) -> VideoFacts:
    """Find the `moov` box (at the start or the end of the file) and read it."""
    moov = _find_top_level_box(file, size, b"moov")
    if moov is None:
        raise NotAVideo("no movie header (moov box) found")
    return _parse_moov(moov)


def boxes_fit(file: BinaryIO, size: int) -> bool:
    """Whether the file's top-level boxes end exactly at its end (a cut-off copy does not)."""
    end = 0
    for _type, offset, _header_size, box_size in _top_level_boxes(file, size):
        end = offset + box_size
    return end == size


def _find_top_level_box(file: BinaryIO, size: int, wanted: bytes) -> bytes | None:
    for box_type, offset, header_size, box_size in _top_level_boxes(file, size):
        if box_type == wanted:
            if box_size > _MAX_MOOV_BYTES:
                raise NotAVideo(f"movie header of {box_size} bytes is implausibly large")
            file.seek(offset + header_size)
            return file.read(box_size - header_size)
    return None


def _top_level_boxes(file: BinaryIO, size: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, header size, box size) of each top-level box, reading only headers."""
    offset = 0
    while offset + 8 <= size:
        file.seek(offset)
        header = file.read(16)
        if len(header) < 8:
            return
        box_size, box_type = struct.unpack(">I4s", header[:8])
        header_size = 8
        if box_size == 1:
            if len(header) < 16:
                return
            box_size = struct.unpack(">Q", header[8:16])[0]
            header_size = 16
        elif box_size == 0:
            box_size = size - offset
        if box_size < header_size:
            return
        yield box_type, offset, header_size, box_size
        offset += box_size


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, payload) of each box in `data`; stops quietly at the first malformed one."""
    offset = 0
    while offset + 8 <= len(data):
        box_size, box_type = struct.unpack_from(">I4s", data, offset)
        header_size = 8
        if box_size == 1 and offset + 16 <= len(data):
            box_size = struct.unpack_from(">Q", data, offset + 8)[0]
            header_size = 16
        elif box_size == 0:
            box_size = len(data) - offset
        if box_size < header_size or offset + box_size > len(data):
            return
        yield box_type, data[offset + header_size : offset + box_size]
        offset += box_size


def _walk(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    for box_type, payload in _boxes(data):
        yield box_type, payload
        if box_type in _CONTAINERS:
            yield from _walk(payload)
        elif box_type == b"meta":
            # ISO 'meta' is a full box (4 bytes of version and flags); QuickTime's is not.
            yield from _walk(payload[4:] if payload[:4] == b"\0\0\0\0" else payload)


def _parse_moov(moov: bytes) -> VideoFacts:
    duration = created_at = gps = content_id = None
    local_created_at = None
    width = height = rotation = 0
    keys: list[bytes] = []
    for box_type, payload in _walk(moov):
        if box_type == b"mvhd":
            created_at, duration = _movie_header(payload)
        elif box_type == b"tkhd" and not width:
            width, height, rotation = _track_header(payload)
        elif box_type == b"\xa9xyz":
            gps = gps or _iso6709(payload[4:])
        elif box_type == b"keys":
            keys = _metadata_keys(payload)
        elif box_type == b"ilst":
            for key, value in _metadata_items(payload, keys):
                if key == b"com.apple.quicktime.creationdate":
                    local_created_at = _parse_iso_with_offset(value) or local_created_at
                elif key == b"com.apple.quicktime.location.ISO6709":
                    gps = _iso6709(value) or gps
                elif key == b"com.apple.quicktime.content.identifier":
                    content_id = value.strip("\x00 ") or content_id
    if rotation in (90, 270):
        width, height = height, width
    return VideoFacts(
        width=width,
        height=height,
        orientation=_ROTATION_TO_ORIENTATION.get(rotation, 1),
        duration=duration,
        created_at=local_created_at or created_at,
        gps=gps,
        instant_only=local_created_at is None and created_at is not None,
        content_id=content_id,
    )


def _movie_header(payload: bytes) -> tuple[datetime | None, float | None]:
    try:
        if payload[0] == 1:
            created, _, timescale, duration = struct.unpack_from(">QQIQ", payload, 4)
        else:
            created, _, timescale, duration = struct.unpack_from(">IIII", payload, 4)
    except (struct.error, IndexError):
        return None, None
    # Cameras with no clock write 0 (1904) or small values; treat anything before 1971 as unknown.
    created_at = from_timestamp_utc(created - _MP4_EPOCH_OFFSET) if created else None
    if created_at and created_at.year < 1971:
        created_at = None
    return created_at, (round(duration / timescale, 3) if timescale else None)


def _track_header(payload: bytes) -> tuple[int, int, int]:
    try:
        matrix_offset = 4 + (32 if payload[0] == 1 else 20) + 16
        a, b, _, c, d = struct.unpack_from(">iiiii", payload, matrix_offset)
        width, height = struct.unpack_from(">II", payload, matrix_offset + 36)
    except (struct.error, IndexError):
        return 0, 0, 0
    rotation = {(0, 1, -1, 0): 90, (-1, 0, 0, -1): 180, (0, -1, 1, 0): 270}.get(
        (_unit(a), _unit(b), _unit(c), _unit(d)), 0
    )
    return width >> 16, height >> 16, rotation


def _unit(fixed_16_16: int) -> int:
    return round(fixed_16_16 / 65536)


def _metadata_keys(payload: bytes) -> list[bytes]:
    keys, offset = [], 8  # version/flags, entry count
    while offset + 8 <= len(payload):
        key_size = struct.unpack_from(">I", payload, offset)[0]
        if key_size < 8:
            break
        keys.append(payload[offset + 8 : offset + key_size])
        offset += key_size
    return keys


def _metadata_items(payload: bytes, keys: list[bytes]) -> Iterator[tuple[bytes, str]]:
    for index_bytes, item in _boxes(payload):
        index = int.from_bytes(index_bytes, "big")
        if not 1 <= index <= len(keys):
            continue
        for box_type, data in _boxes(item):
            if box_type == b"data" and len(data) > 8:
                yield keys[index - 1], data[8:].decode("utf-8", "replace")


def _iso6709(payload: bytes | str) -> tuple[float, float] | None:
    """`+35.0116+135.7681+012.3/` -> (35.0116, 135.7681)."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    numbers: list[str] = []
    for char in text.strip():
        if char in "+-":
            numbers.append(char)
        elif (char.isdigit() or char == ".") and numbers:
            numbers[-1] += char
        elif char == "/":
            break
    try:
        return valid_gps(float(numbers[0]), float(numbers[1]))
    except (IndexError, ValueError):
        return None


def _parse_iso_with_offset(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
