"""Read a JPEG's structure without an image library: its size and metadata blocks from its
first bytes, and whether its image data is whole and what follows it (a motion photo's video).

Nearly every photo is a JPEG, and its header is a simple run of length-prefixed segments up to
the frame header (SOF) that gives the size. Walking them in the bytes we already read for the
content hash avoids a second pass through the file.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import BinaryIO

from memories.scan.iptc import PHOTOSHOP_SIGNATURE
from memories.scan.xmp import XMP_SIGNATURE

_START_OF_FRAME = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_START_OF_SCAN = 0xDA
_APP1, _APP13 = 0xE1, 0xED
_END_OF_IMAGE = b"\xff\xd9"
# Inside entropy-coded data an 0xFF is followed by 0x00 (a stuffed byte) or a restart marker:
# any other byte after it is a marker, so the first EOI marker found this way ends the image.
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SAMSUNG_MOTION = b"MotionPhoto_Data"


@dataclass(frozen=True, slots=True)
class JpegHeader:
    width: int
    height: int
    exif: bytes | None
    xmp: bytes | None = None
    photoshop: bytes | None = None
    """The APP13 block, where IPTC lives."""


def read_jpeg_header(head: bytes) -> JpegHeader | None:
    """The size and EXIF of the JPEG whose first bytes are `head`; None when the frame header
    lies beyond them or the segments do not make sense (the caller then asks Pillow)."""
    if not head.startswith(b"\xff\xd8"):
        return None
    exif = xmp = photoshop = None
    position = 2
    while position + 4 <= len(head):
        if head[position] != 0xFF:
            return None
        marker = head[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        (length,) = struct.unpack_from(">H", head, position + 2)
        if length < 2:
            return None
        if marker in _START_OF_FRAME:
            if position + 9 > len(head):
                return None
            height, width = struct.unpack_from(">HH", head, position + 5)
            if not (width and height):
                return None
            return JpegHeader(width, height, exif, xmp, photoshop)
        if marker == _START_OF_SCAN:
            return None
        segment = head[position + 4 : position + 2 + length]
        if marker == _APP1 and exif is None and segment.startswith(b"Exif\x00\x00"):
            exif = segment
        elif marker == _APP1 and xmp is None and segment.startswith(XMP_SIGNATURE):
            xmp = segment
        elif marker == _APP13 and photoshop is None and segment.startswith(PHOTOSHOP_SIGNATURE):
            photoshop = segment
        position += 2 + length
    return None


@dataclass(frozen=True, slots=True)
class JpegEnd:
    """Whether a JPEG's image data is whole, and where a video appended to it lies."""

    whole: bool
    clip: tuple[int, int] | None = None
    """(offset, length) of a motion photo's video inside the file."""


def read_jpeg_end(
    file: BinaryIO, size: int, tail: bytes, stated_clip: tuple[int, int] | None = None
) -> JpegEnd:
    """Where the image data ends, looking past what cameras and phones put after it.

    Nearly every JPEG ends with its end-of-image marker, perhaps followed by zero padding:
    that is decided from the tail already read. A video its XMP points at is checked where
    it says. Otherwise (old cameras padding files to fixed blocks, motion photos, multi-picture
    files) the file is read and its image data walked to the marker: a file whose data stops
    before it was cut off.
    """
    if _before_padding(file, size, tail).endswith(_END_OF_IMAGE):
        return JpegEnd(whole=True)
    if stated_clip is not None:
        from_end, length = stated_clip
        if _is_mp4_at(file, size - from_end):
            return JpegEnd(whole=True, clip=(size - from_end, min(length, from_end)))
    file.seek(0)
    data = file.read(size)
    end = _end_of_image(data)
    if end is None:
        return JpegEnd(whole=False)
    return JpegEnd(whole=True, clip=_appended_video(data, end))


def _before_padding(file: BinaryIO, size: int, tail: bytes) -> bytes:
    """The last bytes of the file before any zero padding after them: a camera that pads its
    files to fixed blocks may pad past the tail already read, so earlier blocks are looked at
    (backwards, a block at a time) until one holds something else."""
    data = tail.rstrip(b"\x00")
    end = size - len(tail)
    while not data and end > 0:
        start = max(end - len(tail), 0)
        file.seek(start)
        data = file.read(end - start).rstrip(b"\x00")
        end = start
    return data


def _end_of_image(data: bytes) -> int | None:
    """The offset just after the main image's end-of-image marker; None when there is none."""
    position = 2
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF or marker in _STANDALONE:
            position += 1 if marker == 0xFF else 2
            continue
        if marker == _END_OF_IMAGE[1]:
            return position + 2
        if position + 4 > len(data):
            return None
        (length,) = struct.unpack_from(">H", data, position + 2)
        position += 2 + length
        if marker == _START_OF_SCAN:  # entropy-coded data up to the next real marker
            found = _MARKER_IN_SCAN.search(data, position)
            if found is None:
                return None
            position = found.start()
    return None


def _appended_video(data: bytes, end: int) -> tuple[int, int] | None:
    """A video right after the image (`ftyp` box), or after Samsung's `MotionPhoto_Data`."""
    if data[end + 4 : end + 8] == b"ftyp":
        return end, len(data) - end
    samsung = data.find(_SAMSUNG_MOTION, end)
    if samsung >= 0:
        start = samsung + len(_SAMSUNG_MOTION)
        if data[start + 4 : start + 8] == b"ftyp":
            return start, len(data) - start
    return None


def _is_mp4_at(file: BinaryIO, offset: int) -> bool:
    if offset <= 0:
        return False
    file.seek(offset)
    return file.read(8)[4:8] == b"ftyp"
