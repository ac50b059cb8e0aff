"""Read one media file's facts from its headers (never decoding pixels) into a Photo.

`read_media` is a pure function of the file: it runs in worker processes and never raises;
a file it cannot use comes back as `Skipped` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from memories.model import DateSource, FileEntry, Photo, PhotoKind, Skipped
from memories.scan.dates import date_from_filename, from_mtime
from memories.scan.exif import ExifFacts, facts_from_tags, read_exif_facts
from memories.scan.jpeg import read_jpeg_header
from memories.scan.kinds import image_kind
from memories.scan.takeout import TakeoutFacts, read_takeout_sidecar
from memories.scan.video import NotAVideo, boxes_fit, read_video_facts

MAX_PIXELS = 400_000_000
"""Larger images are skipped as possible decompression bombs (a 200 MP phone photo still fits)."""
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Pillow logs the oddities of broken files it meets; each such file is reported as skipped
# with a reason, so its log lines would only be noise on the terminal.
logging.getLogger("PIL").setLevel(logging.CRITICAL)

HASH_SAMPLE_BYTES = 64 * 1024
"""The content hash covers the size and the first and last 64 KiB: enough to tell real photos
apart (the head holds EXIF and the first image data), and cheap on a library of many GB."""

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_QUICKTIME_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_heif_ready = False


def read_many(entries: Sequence[FileEntry]) -> list[Photo | Skipped]:
    """Read a batch of files, first asking the kernel for every file's head and tail at once:
    a cold disk then serves them in parallel instead of one seek at a time."""
    for entry in entries:
        _prefetch(entry)
    return [read_media(entry) for entry in entries]


def _prefetch(entry: FileEntry) -> None:
    try:
        descriptor = os.open(entry.path, os.O_RDONLY)
    except OSError:
        return  # read_media reports it
    try:
        os.posix_fadvise(descriptor, 0, HASH_SAMPLE_BYTES, os.POSIX_FADV_WILLNEED)
        tail_start = max(entry.size - HASH_SAMPLE_BYTES, 0)
        os.posix_fadvise(descriptor, tail_start, HASH_SAMPLE_BYTES, os.POSIX_FADV_WILLNEED)
    except (OSError, AttributeError):  # AttributeError: no posix_fadvise on this system
        pass
    finally:
        os.close(descriptor)


def read_media(entry: FileEntry) -> Photo | Skipped:
    """Everything the file says about itself, or why it cannot be used."""
    try:
        # Pillow warns about every oddity it works around; the photo is either usable or
        # skipped with a reason, so the warnings would only be noise on the terminal.
        with open(entry.path, "rb") as file, warnings.catch_warnings(action="ignore"):
            return _read_open_file(entry, file)
    except _Unusable as problem:
        return Skipped(entry.path, str(problem))
    except PermissionError:
        return Skipped(entry.path, "permission denied")
    except FileNotFoundError:
        return Skipped(entry.path, "disappeared while being read")
    except IsADirectoryError:
        return Skipped(entry.path, "is a folder, not a file")
    except OSError as error:
        return Skipped(entry.path, f"cannot be read: {error.strerror or error}")
    except Exception as error:  # a hostile file must never stop a scan
        return Skipped(entry.path, f"unreadable ({type(error).__name__}: {error})")


class _Unusable(Exception):
    """Raised inside this module with the one-line reason a file is skipped."""


def _read_open_file(entry: FileEntry, file: BinaryIO) -> Photo:
    size = os.fstat(file.fileno()).st_size
    if size == 0:
        raise _Unusable("empty file (0 bytes)")
    head = file.read(HASH_SAMPLE_BYTES)
    tail = head
    if size > HASH_SAMPLE_BYTES:
        file.seek(max(size - HASH_SAMPLE_BYTES, HASH_SAMPLE_BYTES))
        tail = file.read(HASH_SAMPLE_BYTES)
    content_hash = _content_hash(size, head, tail)
    container = _sniff(head)
    if container is None:
        raise _Unusable("not a photo or video (unrecognised content)")
    file.seek(0)
    if container == "VIDEO":
        return _read_video(entry, file, size, content_hash)
    return _read_image(entry, file, container, head, tail, content_hash)


def _content_hash(size: int, head: bytes, tail: bytes) -> str:
    # SHA-256 runs in hardware on current CPUs: faster here than BLAKE2 or MD5.
    digest = hashlib.sha256(size.to_bytes(8, "big"))
    digest.update(head)
    digest.update(tail)
    return digest.hexdigest()[:32]


def _sniff(head: bytes) -> str | None:
    """The container by its magic bytes, whatever the extension says."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    box_type = head[4:8]
    if box_type == b"ftyp":
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        return "HEIF" if head[8:12] in _HEIF_BRANDS or brands & {b"heic", b"heix"} else "VIDEO"
    if box_type in _QUICKTIME_FIRST_BOXES:
        return "VIDEO"
    return None


def _read_image(
    entry: FileEntry, file: BinaryIO, container: str, head: bytes, tail: bytes, content_hash: str
) -> Photo:
    header = read_jpeg_header(head) if container == "JPEG" else None
    if header is not None:
        image_format, width, height, animated = "JPEG", header.width, header.height, False
        facts = _exif_facts(header.exif)
    else:
        image_format, width, height, animated, facts = _read_with_pillow(file, container)
    if width * height > MAX_PIXELS:
        raise _Unusable(f"too large: {width}x{height} pixels (limit {MAX_PIXELS // 10**6} MP)")
    if _looks_truncated(image_format, head, tail) or (
        image_format == "HEIF" and not boxes_fit(file, entry.size)
    ):
        raise _Unusable(f"truncated {image_format} file (its end is missing)")
    if facts.orientation in (5, 6, 7, 8):
        width, height = height, width
    sidecar = read_takeout_sidecar(entry.sidecar)
    taken_at, source = _when_taken(entry, sidecar, facts.taken_at, DateSource.EXIF)
    return Photo(
        path_text=entry.path_text,
        content_hash=content_hash,
        format=image_format,
        kind=image_kind(entry.path.name, image_format, width, height, facts.camera, animated),
        width=width,
        height=height,
        orientation=facts.orientation,
        taken_at=taken_at,
        taken_at_source=source,
        gps=facts.gps or sidecar.gps,
        camera=facts.camera,
    )


def _read_with_pillow(file: BinaryIO, container: str) -> tuple[str, int, int, bool, ExifFacts]:
    """Format, stored size, animation and EXIF of any image Pillow (or pillow-heif) opens."""
    if container == "HEIF":
        enable_heif()
    try:
        image = Image.open(file)
    except Image.DecompressionBombError:
        raise _Unusable(f"too large (more than {MAX_PIXELS // 10**6} megapixels)") from None
    except UnidentifiedImageError:
        raise _Unusable(f"not a readable image ({container} header is damaged)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise _Unusable(f"damaged {container} file ({error})") from None
    with image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _Unusable(f"impossible image size {width}x{height}")
        image_format = "JPEG" if image.format == "MPO" else image.format or "?"
        if image_format == "TIFF":  # a TIFF's tags are its own first directory
            facts = _tiff_facts(image)
        else:
            facts = _exif_facts(image.info.get("exif"))
        return image_format, width, height, bool(getattr(image, "is_animated", False)), facts


def _read_video(entry: FileEntry, file: BinaryIO, size: int, content_hash: str) -> Photo:
    try:
        facts = read_video_facts(file, size)
    except NotAVideo as problem:
        raise _Unusable(f"damaged video: {problem}") from None
    if not boxes_fit(file, size):
        raise _Unusable("truncated video (its end is missing)")
    sidecar = read_takeout_sidecar(entry.sidecar)
    taken_at, source = _when_taken(entry, sidecar, facts.created_at, DateSource.QUICKTIME)
    return Photo(
        path_text=entry.path_text,
        content_hash=content_hash,
        format="MP4" if entry.path.suffix.lower() in (".mp4", ".m4v") else "MOV",
        kind=PhotoKind.VIDEO,
        width=facts.width,
        height=facts.height,
        orientation=facts.orientation,
        taken_at=taken_at,
        taken_at_source=source,
        gps=facts.gps or sidecar.gps,
        camera=None,
        duration=facts.duration,
    )


def enable_heif() -> None:
    """Let Pillow open HEIC/HEIF (pillow-heif), once per process."""
    global _heif_ready
    if not _heif_ready:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_ready = True


def _exif_facts(raw: bytes | None) -> ExifFacts:
    return read_exif_facts(raw) if raw else ExifFacts()


def _tiff_facts(image: Image.Image) -> ExifFacts:
    try:
        exif = image.getexif()
        return facts_from_tags(exif, exif.get_ifd(0x8769), exif.get_ifd(0x8825))
    except Exception:  # Pillow raises many kinds on broken tags: they lose their facts only
        return ExifFacts()


def _looks_truncated(image_format: str | None, head: bytes, tail: bytes) -> bool:
    """A JPEG or PNG whose end marker is missing was cut off while being copied or written.

    Inside JPEG image data an 0xFF byte is always followed by 0x00 or a restart marker, so a
    missing end-of-image marker in the last 64 KiB means the file stops mid-image; phones that
    append a motion-photo video after the JPEG say so in their XMP, and are let through.
    """
    if image_format == "JPEG":
        has_end = tail.rfind(b"\xff\xd9") >= 0
        return not has_end and b"MotionPhoto" not in head and b"MicroVideo" not in head
    if image_format == "PNG":
        return tail.rfind(b"IEND") < 0
    return False


def _when_taken(
    entry: FileEntry, sidecar: TakeoutFacts, own_date: datetime | None, own_source: DateSource
) -> tuple[datetime, DateSource]:
    """The file's own date, else the name's, else a Takeout sidecar's, else the mtime (a guess)."""
    if own_date:
        return own_date, own_source
    if named := date_from_filename(entry.path.name):
        return named, DateSource.FILENAME
    if sidecar.taken_at:
        return sidecar.taken_at, DateSource.SIDECAR
    return from_mtime(entry.mtime_ns), DateSource.MTIME
