"""Read a camera RAW file's facts (raw size, EXIF, embedded JPEG preview) without decoding it.

Every RAW format carries a JPEG rendered by the camera for its own screen; that JPEG is what we
show, so its place in the file, the raw image's size and the EXIF are all we need. TIFF-based
formats (DNG, CR2, NEF, ARW, PEF, SRW, ORF, RW2, ...) are walked directory by directory, CR3 is
a tree of ISO-BMFF boxes, RAF has a fixed header. Like exif.py, offsets are never trusted: a bad
one loses a candidate, never the file. What is read is directories, EXIF and JPEG headers.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import BinaryIO

from memories.scan.exif import ExifFacts, facts_from_tags, read_exif_facts, read_first_ifd

_NEW_SUBFILE_TYPE, _IMAGE_WIDTH, _IMAGE_HEIGHT, _COMPRESSION = 0x00FE, 0x0100, 0x0101, 0x0103
_PHOTOMETRIC, _STRIP_OFFSETS, _STRIP_BYTE_COUNTS, _SUB_IFDS = 0x0106, 0x0111, 0x0117, 0x014A
_JPEG_OFFSET, _JPEG_LENGTH, _EXIF_IFD, _GPS_IFD, _MAKER_NOTE = 513, 514, 0x8769, 0x8825, 0x927C
_PANASONIC_BORDERS = (0x0004, 0x0005, 0x0006, 0x0007)  # top, left, bottom, right
_PANASONIC_SENSOR_SIZE, _PANASONIC_JPEG = (0x0002, 0x0003), 0x002E
_OLYMPUS_CAMERA_SETTINGS, _OLYMPUS_PREVIEW = 0x2020, (0x0101, 0x0102)  # start, length
_JPEG_COMPRESSIONS = frozenset({6, 7})
_SENSOR_PHOTOMETRICS = frozenset({32803, 34892})  # CFA, LinearRaw: raw data, not a picture

_TIFF_MAGIC = {b"II*\x00", b"MM\x00*"}
_FIELD_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_NUMBER_CODES = {1: "B", 3: "H", 4: "I", 13: "I"}
_MAX_ENTRIES, _MAX_DIRECTORIES, _MAX_SUB_IFDS, _MAX_CANDIDATES = 512, 32, 16, 8
_MAX_EXIF_VALUE, _MAX_EXIF_PREFIX = 1024, 4 << 20  # exif.py skips values longer than 1 KiB
_MAX_JPEG_SEGMENTS, _MAX_BOXES, _MAX_CMT_BYTES, _FIRST_PRIVATE_TAG = 64, 256, 1 << 20, 0x8000

_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
_CANON_PREVIEW_UUID = bytes.fromhex("eaf42b5e1c984b88b9fbb7dc406e4d16")
_RAF_MAGIC, _RAF_CROPPED_SIZE, _RAF_FULL_SIZE = b"FUJIFILMCCD-RAW", 0x0111, 0x0100

_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                          0xCF})  # fmt: skip
_LOSSLESS_FRAMES = frozenset({0xC3, 0xC7, 0xCB, 0xCF})  # CR2 and DNG sensor data, not pictures
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


_XMP_TAG = 0x02BC
_MAX_XMP_BYTES = 1024 * 1024


class NotARaw(ValueError):
    """The file cannot be used as a RAW photo; the message is the one-line reason."""


@dataclass(frozen=True, slots=True)
class RawFacts:
    """What a RAW file says: the raw image's stored size (before orientation), its EXIF, and
    where its largest embedded JPEG lies (byte offset, length) with that JPEG's pixel size."""

    width: int
    height: int
    exif: ExifFacts
    preview: tuple[int, int] | None
    preview_size: tuple[int, int] | None
    xmp: bytes | None = None
    """The XMP packet of a TIFF-based RAW (IFD0's tag 700): a DNG keeps its zone there."""


def looks_like_raw(head: bytes) -> str | None:
    """The RAW family that the first bytes announce: "CR2", "CR3", "ORF", "RW2" or "RAF".

    DNG, NEF, ARW, PEF, SRW and the rest open with the plain TIFF magic of any .tif file, so for
    them the caller decides by the extension (`discover.RAW_EXTENSIONS`) and this gives None."""
    if head[:4] == b"II*\x00" and head[8:11] == b"CR\x02":
        return "CR2"
    if head[4:12] == b"ftypcrx ":
        return "CR3"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if head[:4] == b"IIU\x00":
        return "RW2"
    if head.startswith(_RAF_MAGIC):
        return "RAF"
    return None


def read_raw(file: BinaryIO, size: int) -> RawFacts:
    """The facts of the RAW in `file` (`size` bytes long); NotARaw when it cannot be used."""
    head = _read_at(file, size, 0, 16)
    family = looks_like_raw(head) or ("TIFF" if head[:4] in _TIFF_MAGIC else None)
    if family is None or len(head) < 16:
        raise NotARaw("not a RAW format we can read")
    try:
        if family == "CR3":
            return _read_cr3(file, size)
        if family == "RAF":
            return _read_raf(file, size)
        return _read_tiff_raw(file, size, head)
    except NotARaw:
        raise
    except (struct.error, ValueError, IndexError, OverflowError):
        # a safety net: each reader checks its bounds, and a miss must not lose the whole scan
        raise NotARaw("damaged RAW structure (a field beyond its bounds)") from None


def raw_preview(path: Path) -> bytes:
    """The bytes of the largest JPEG embedded in the RAW at `path`, to decode for display."""
    with open(path, "rb") as file:
        size = file.seek(0, io.SEEK_END)
        preview = read_raw(file, size).preview
        if preview is None:
            raise NotARaw("no embedded preview")
        return _read_at(file, size, *preview)


def _read_at(file: BinaryIO, size: int, offset: int, length: int) -> bytes:
    if offset < 0 or length <= 0 or offset >= size:
        return b""
    file.seek(offset)
    return file.read(min(length, size - offset))


# --- TIFF-based formats ----------------------------------------------------------------------

_Entry = tuple[int, int, bytes]  # field type, value count, the 4-byte value-or-offset field


@dataclass(frozen=True, slots=True)
class _Directory:
    entries: dict[int, _Entry]
    end: int  # just past the pointer to the next directory
    next: int


@dataclass(frozen=True, slots=True)
class _Tiff:
    """A TIFF structure inside `file`, its offsets counted from `base` (a maker note's start)."""

    file: BinaryIO
    size: int
    endian: str
    base: int = 0

    def read(self, offset: int, length: int) -> bytes:
        return _read_at(self.file, self.size, self.base + offset, length)

    def directory(self, offset: int) -> _Directory:
        head = self.read(offset, 2) if offset >= 8 else b""
        if len(head) < 2:
            return _Directory({}, 0, 0)
        count = min(struct.unpack(self.endian + "H", head)[0], _MAX_ENTRIES)
        table = self.read(offset + 2, 12 * count + 4)
        rows = table[: min(len(table), 12 * count) // 12 * 12]
        entries: dict[int, _Entry] = {}
        for tag, kind, values, field in struct.iter_unpack(self.endian + "HHI4s", rows):
            entries.setdefault(tag, (kind, values, field))
        end = offset + 2 + 12 * count + 4
        has_next = len(table) == 12 * count + 4
        following = struct.unpack_from(self.endian + "I", table, 12 * count)[0] if has_next else 0
        return _Directory(entries, end, following)

    def pointer(self, entry: _Entry) -> int:
        return int(struct.unpack(self.endian + "I", entry[2])[0])

    def number(self, entries: dict[int, _Entry], tag: int) -> int | None:
        values = self.numbers(entries.get(tag), 1)
        return values[0] if values else None

    def numbers(self, entry: _Entry | None, limit: int = 4) -> tuple[int, ...]:
        """The first `limit` values of a BYTE, SHORT, LONG or IFD entry; () for other types."""
        if entry is None or entry[0] not in _NUMBER_CODES:
            return ()
        kind, count, field = entry
        code, width = _NUMBER_CODES[kind], _FIELD_SIZES[kind]
        inline = width * count <= 4
        count = min(count, limit)
        data = field[: width * count] if inline else self.read(self.pointer(entry), width * count)
        whole = len(data) // width
        return struct.unpack(f"{self.endian}{whole}{code}", data[: whole * width])


def _read_tiff_raw(file: BinaryIO, size: int, head: bytes) -> RawFacts:
    tiff = _Tiff(file, size, "<" if head[:2] == b"II" else ">")
    directories = _walk(tiff, struct.unpack_from(tiff.endian + "I", head, 4)[0])
    if not directories:
        raise NotARaw("damaged RAW structure (no image directory)")
    ifd0 = directories[0]
    exif_ifd = tiff.directory(tiff.number(ifd0.entries, _EXIF_IFD) or 0)
    gps_ifd = tiff.directory(tiff.number(ifd0.entries, _GPS_IFD) or 0)
    spans = [span for found in directories for span in _preview_spans(tiff, found.entries)]
    spans += _olympus_preview_spans(tiff, exif_ifd.entries)
    prefix = tiff.read(0, _exif_prefix_length(tiff, (ifd0, exif_ifd, gps_ifd)))
    exif = read_exif_facts(_with_tiff_magic(prefix))
    size_found = _panasonic_size(tiff, ifd0.entries) or _main_image_size(tiff, directories)
    facts = _facts(file, size, size_found, exif, spans)
    return replace(facts, xmp=_xmp_packet(tiff, ifd0.entries))


def _xmp_packet(tiff: _Tiff, entries: dict[int, _Entry]) -> bytes | None:
    entry = entries.get(_XMP_TAG)
    if entry is None or entry[0] not in (1, 7) or not 4 < entry[1] <= _MAX_XMP_BYTES:
        return None
    return tiff.read(tiff.pointer(entry), entry[1]) or None


def _with_tiff_magic(prefix: bytes) -> bytes:
    """ORF and RW2 change the TIFF magic number; exif.py reads them once it has the usual one."""
    if prefix[:4] in _TIFF_MAGIC:
        return prefix
    patched = bytearray(prefix)
    patched[:4] = b"II*\x00" if prefix[:2] == b"II" else b"MM\x00*"
    return bytes(patched)


def _walk(tiff: _Tiff, first: int) -> list[_Directory]:
    """The IFD chain and every SubIFD below it, breadth first, each directory once."""
    pending, seen, found = [first], set(), list[_Directory]()
    while pending and len(found) < _MAX_DIRECTORIES:
        offset = pending.pop(0)
        if offset in seen:
            continue
        seen.add(offset)
        directory = tiff.directory(offset)
        if directory.entries:
            found.append(directory)
            pending += tiff.numbers(directory.entries.get(_SUB_IFDS), _MAX_SUB_IFDS)
            pending.append(directory.next)
    return found


def _preview_spans(tiff: _Tiff, entries: dict[int, _Entry]) -> list[tuple[int, int]]:
    """Where this directory's JPEGs may lie: JPEGInterchangeFormat, a one-strip JPEG image,
    or Panasonic's JpgFromRaw (whose count is its length)."""
    spans = []
    start, length = (tiff.number(entries, tag) for tag in (_JPEG_OFFSET, _JPEG_LENGTH))
    if start and length:
        spans.append((start, length))
    compression = tiff.number(entries, _COMPRESSION)
    photometric = tiff.number(entries, _PHOTOMETRIC)
    strips = tiff.numbers(entries.get(_STRIP_OFFSETS), 2)
    counts = tiff.numbers(entries.get(_STRIP_BYTE_COUNTS), 2)
    is_picture = compression in _JPEG_COMPRESSIONS and photometric not in _SENSOR_PHOTOMETRICS
    if is_picture and len(strips) == len(counts) == 1:
        spans.append((strips[0], counts[0]))
    if _PANASONIC_JPEG in entries:
        jpeg = entries[_PANASONIC_JPEG]
        spans.append((tiff.pointer(jpeg), jpeg[1]))
    return spans


def _olympus_preview_spans(tiff: _Tiff, exif_entries: dict[int, _Entry]) -> list[tuple[int, int]]:
    """ORF keeps its preview in the maker note's CameraSettings, offsets from the note's start."""
    note = exif_entries.get(_MAKER_NOTE)
    if note is None or note[0] != 7:
        return []
    start = tiff.pointer(note)
    head = tiff.read(start, 16)
    first_ifd = {b"OLYMPUS\x00": 12, b"OM SYSTEM\x00": 16}.get(head[: head.find(b"\x00") + 1])
    if first_ifd is None:
        return []
    byte_order = head[first_ifd - 4 : first_ifd - 2]
    notes = _Tiff(tiff.file, tiff.size, "<" if byte_order == b"II" else ">", tiff.base + start)
    settings = notes.number(notes.directory(first_ifd).entries, _OLYMPUS_CAMERA_SETTINGS)
    preview = notes.directory(settings or 0).entries
    offset, length = (notes.number(preview, tag) for tag in _OLYMPUS_PREVIEW)
    return [(notes.base + offset, length)] if offset and length else []


def _exif_prefix_length(tiff: _Tiff, directories: tuple[_Directory, ...]) -> int:
    """How many bytes from the start hold IFD0, the Exif and GPS IFDs and their values.

    IFD0's private tags (DNG's colour tables, 0xC612 and up) are left out: they can lie far
    into the file and no EXIF fact comes from them."""
    end = max(directory.end for directory in directories)
    for index, directory in enumerate(directories):
        for tag, entry in directory.entries.items():
            length = _FIELD_SIZES.get(entry[0], 0) * entry[1]
            if 4 < length <= _MAX_EXIF_VALUE and (index or tag < _FIRST_PRIVATE_TAG):
                end = max(end, tiff.pointer(entry) + length)
    return min(end, _MAX_EXIF_PREFIX)


def _panasonic_size(tiff: _Tiff, entries: dict[int, _Entry]) -> tuple[int, int] | None:
    """RW2's image size is the sensor's area inside its borders (what exiftool reports)."""
    top, left, bottom, right = (tiff.number(entries, tag) for tag in _PANASONIC_BORDERS)
    if top is not None and left is not None and bottom and right and right > left and bottom > top:
        return right - left, bottom - top
    width, height = (tiff.number(entries, tag) for tag in _PANASONIC_SENSOR_SIZE)
    return (width, height) if width and height else None


def _main_image_size(tiff: _Tiff, directories: list[_Directory]) -> tuple[int, int] | None:
    """The largest full-resolution image (NewSubFileType 0, the default); else the largest."""
    sizes = [
        (found, not tiff.number(directory.entries, _NEW_SUBFILE_TYPE))
        for directory in directories
        if (found := _stored_size(tiff, directory.entries))
    ]
    candidates = [found for found, is_main in sizes if is_main] or [found for found, _ in sizes]
    return max(candidates, key=lambda found: found[0] * found[1], default=None)


def _stored_size(tiff: _Tiff, entries: dict[int, _Entry]) -> tuple[int, int] | None:
    width, height = (tiff.number(entries, tag) for tag in (_IMAGE_WIDTH, _IMAGE_HEIGHT))
    return (width, height) if width and height else None


# --- Canon CR3 and Fujifilm RAF --------------------------------------------------------------


def _boxes(file: BinaryIO, size: int, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes in [start, end); a uuid box's
    type is its 16-byte id. A box claiming more than its parent is cut to the parent's end."""
    position, end = start, min(end, size)
    for _ in range(_MAX_BOXES):
        header = _read_at(file, size, position, 32)
        if len(header) < 8 or position >= end:
            return
        length, kind = struct.unpack_from(">I4s", header)
        header_length = 8
        if length == 1 and len(header) >= 16:
            length, header_length = struct.unpack_from(">Q", header, 8)[0], 16
        elif length == 0:
            length = end - position
        if kind == b"uuid":
            kind, header_length = header[header_length : header_length + 16], header_length + 16
        if length < header_length or len(kind) not in (4, 16):
            return
        yield kind, position + header_length, min(position + length, end)
        position += length


def _read_cr3(file: BinaryIO, size: int) -> RawFacts:
    """CR3: CMT1/CMT2/CMT4 are the TIFF IFD0, Exif and GPS directories, each a TIFF of its own;
    PRVW (about 1620x1080) and THMB (160x120) hold JPEGs after a 16-byte header."""
    tiffs: dict[bytes, bytes] = {}
    spans: list[tuple[int, int]] = []
    for kind, start, end in _boxes(file, size, 0, size):
        if kind == b"moov":
            for inner, inner_start, inner_end in _boxes(file, size, start, end):
                if inner == _CANON_UUID:
                    spans += _read_canon_boxes(file, size, inner_start, inner_end, tiffs)
        elif kind == _CANON_PREVIEW_UUID:  # 8 bytes of its own, then the PRVW box
            for box, box_start, box_end in _boxes(file, size, start + 8, end):
                if box == b"PRVW":
                    spans.append(_cr3_jpeg_span(file, size, box_start, box_end, 12))
    if not tiffs and not spans:
        raise NotARaw("damaged RAW structure (no Canon metadata boxes)")
    ifd0 = tiffs.get(b"CMT1", b"")
    exif = facts_from_tags(
        read_first_ifd(ifd0, "ifd0"),
        read_first_ifd(tiffs.get(b"CMT2", b""), "exif"),
        read_first_ifd(tiffs.get(b"CMT4", b""), "gps"),
    )
    return _facts(file, size, _cr3_image_size(ifd0), exif, spans)


def _read_canon_boxes(
    file: BinaryIO, size: int, start: int, end: int, tiffs: dict[bytes, bytes]
) -> list[tuple[int, int]]:
    """Collect the CMT TIFFs of Canon's moov/uuid box into `tiffs`; the THMB JPEG's span."""
    spans = []
    for box, box_start, box_end in _boxes(file, size, start, end):
        if box in (b"CMT1", b"CMT2", b"CMT4"):
            tiffs[box] = _read_at(file, size, box_start, min(box_end - box_start, _MAX_CMT_BYTES))
        elif box == b"THMB":
            spans.append(_cr3_jpeg_span(file, size, box_start, box_end, 8))
    return spans


def _cr3_jpeg_span(
    file: BinaryIO, size: int, start: int, end: int, length_at: int
) -> tuple[int, int]:
    field = _read_at(file, size, start + length_at, 4)
    length = struct.unpack(">I", field)[0] if len(field) == 4 else 0
    return start + 16, min(length, end - start - 16)


def _cr3_image_size(ifd0: bytes) -> tuple[int, int] | None:
    if ifd0[:4] not in _TIFF_MAGIC or len(ifd0) < 8:
        return None
    tiff = _Tiff(io.BytesIO(ifd0), len(ifd0), "<" if ifd0[:2] == b"II" else ">")
    first = struct.unpack_from(tiff.endian + "I", ifd0, 4)[0]
    return _stored_size(tiff, tiff.directory(first).entries)


def _read_raf(file: BinaryIO, size: int) -> RawFacts:
    """RAF: a big-endian header gives the embedded JPEG (which holds the EXIF) at 0x54 and a
    directory of (tag, length, value) records, sizes among them, at 0x5C."""
    header = _read_at(file, size, 0, 0x60)
    if len(header) < 0x60:
        raise NotARaw("damaged RAW structure (short RAF header)")
    jpeg_offset, jpeg_length, directory = struct.unpack_from(">III", header, 0x54)
    return _facts(file, size, _raf_size(file, size, directory), ExifFacts(),
                  [(jpeg_offset, jpeg_length)])  # fmt: skip


def _raf_size(file: BinaryIO, size: int, offset: int) -> tuple[int, int] | None:
    head = _read_at(file, size, offset, 4)
    count = min(struct.unpack(">I", head)[0], 256) if len(head) == 4 else 0
    position, sizes = offset + 4, {}
    for _ in range(count):
        record = _read_at(file, size, position, 8)
        if len(record) < 4:
            break
        tag, length = struct.unpack_from(">HH", record)
        if tag in (_RAF_CROPPED_SIZE, _RAF_FULL_SIZE) and length == 4 and len(record) == 8:
            height, width = struct.unpack_from(">HH", record, 4)
            sizes[tag] = (width, height)
        position += 4 + length
    return sizes.get(_RAF_CROPPED_SIZE) or sizes.get(_RAF_FULL_SIZE)


# --- The embedded JPEG -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Jpeg:
    width: int
    height: int
    exif_span: tuple[int, int] | None


def _facts(file: BinaryIO, size: int, raw_size: tuple[int, int] | None, exif: ExifFacts,
           spans: list[tuple[int, int]]) -> RawFacts:  # fmt: skip
    """The facts, with the largest JPEG among `spans` that a viewer can show; its EXIF fills
    in when the RAW's own directories give no date (RAF, some RW2)."""
    preview, jpeg = None, None
    for start, length in sorted(set(spans), key=lambda span: -span[1])[:_MAX_CANDIDATES]:
        if start > 0 and length > 0 and start + length <= size:
            jpeg = _jpeg_picture(file, size, start, length)
            if jpeg is not None:
                preview = (start, length)
                break
    if jpeg is not None and jpeg.exif_span is not None and exif.taken_at is None:
        exif = _filled_in(exif, read_exif_facts(_read_at(file, size, *jpeg.exif_span)))
    preview_size = (jpeg.width, jpeg.height) if jpeg else None
    width, height = raw_size or preview_size or (0, 0)
    if not (width and height):
        raise NotARaw("damaged RAW structure (no image size)")
    return RawFacts(width, height, exif, preview, preview_size)


def _filled_in(own: ExifFacts, preview: ExifFacts) -> ExifFacts:
    """`own` with each fact it lacks (still at its default) taken from the preview's EXIF."""
    missing = {field.name: getattr(preview, field.name) for field in fields(ExifFacts)
               if getattr(own, field.name) == field.default}  # fmt: skip
    return replace(own, **missing)


def _jpeg_picture(file: BinaryIO, size: int, start: int, length: int) -> _Jpeg | None:
    """The JPEG at `start` when it is a picture: its frame size and where its EXIF segment is.

    Walks the segments with seeks rather than `jpeg.read_jpeg_header`, so that a large maker
    note segment is skipped unread, and tells lossless frames (raw sensor data) apart."""
    if _read_at(file, size, start, 2) != b"\xff\xd8":
        return None
    position, end, exif_span = start + 2, start + length, None
    for _ in range(_MAX_JPEG_SEGMENTS):
        header = _read_at(file, size, position, 10)
        if len(header) < 4 or header[0] != 0xFF or position >= end:
            return None
        marker = header[1]
        if marker == 0xFF or marker in _JPEG_STANDALONE:
            position += 1 if marker == 0xFF else 2
            continue
        segment_length = struct.unpack_from(">H", header, 2)[0]
        if marker in _JPEG_FRAMES:
            if marker in _LOSSLESS_FRAMES or len(header) < 9:
                return None
            height, width = struct.unpack_from(">HH", header, 5)
            return _Jpeg(width, height, exif_span) if width and height else None
        if segment_length < 2 or marker == 0xDA:  # scan data before any frame header
            return None
        if marker == 0xE1 and exif_span is None and header[4:10] == b"Exif\x00\x00":
            exif_span = (position + 4, segment_length - 2)
        position += 2 + segment_length
    return None
