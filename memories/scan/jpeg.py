"""Read a JPEG's pixel size and EXIF block from its first bytes, without an image library.

Nearly every photo is a JPEG, and its header is a simple run of length-prefixed segments up to
the frame header (SOF) that gives the size. Walking them in the bytes we already read for the
content hash avoids a second pass through the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_START_OF_FRAME = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_START_OF_SCAN = 0xDA
_APP1 = 0xE1


@dataclass(frozen=True, slots=True)
class JpegHeader:
    width: int
    height: int
    exif: bytes | None


def read_jpeg_header(head: bytes) -> JpegHeader | None:
    """The size and EXIF of the JPEG whose first bytes are `head`; None when the frame header
    lies beyond them or the segments do not make sense (the caller then asks Pillow)."""
    if not head.startswith(b"\xff\xd8"):
        return None
    exif = None
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
            return JpegHeader(width, height, exif) if width and height else None
        if marker == _START_OF_SCAN:
            return None
        segment = head[position + 4 : position + 2 + length]
        if marker == _APP1 and exif is None and segment.startswith(b"Exif\x00\x00"):
            exif = segment
        position += 2 + length
    return None
