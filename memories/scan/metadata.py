"""Read one media file's facts from its headers (never decoding pixels) into a Photo.

`read_media` is a pure function of the file: it runs in worker processes and never raises;
a file it cannot use comes back as `Skipped` with a one-line reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import logging
import os
import warnings
from collections.abc import Sequence
from typing import Any, BinaryIO

from PIL import Image, UnidentifiedImageError

from memories.model import DateSource, FileEntry, Motion, Photo, PhotoKind, Skipped
from memories.scan.capture import Candidate, Capture, choose_capture
from memories.scan.dates import date_from_filename, from_mtime
from memories.scan.discover import RAW_EXTENSIONS
from memories.scan.exif import ExifFacts, facts_from_tags, read_exif_facts
from memories.scan.iptc import read_iptc_date
from memories.scan.jpeg import read_jpeg_end, read_jpeg_header
from memories.scan.kinds import image_kind
from memories.scan.takeout import TakeoutFacts, read_takeout_sidecar
from memories.scan.timezones import zone_at
from memories.scan.video import NotAVideo, boxes_fit, read_video_facts
from memories.scan.xmp import XmpFacts, read_xmp_facts

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
_AVIF_BRANDS = {b"avif", b"avis"}
_QUICKTIME_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_JPEG_XL = (b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")
_VIDEO_CONTAINERS = {"VIDEO", "AVI", "MPEG-TS", "MATROSKA"}
_VIDEO_FORMATS = {
    ".mp4": "MP4", ".m4v": "MP4", ".3gp": "3GP", ".3g2": "3GP", ".mts": "MTS", ".m2ts": "MTS",
    ".ts": "MTS", ".mkv": "MKV", ".webm": "WEBM", ".avi": "AVI",
}  # fmt: skip
_PLUGINS = {"HEIF": "pillow_heif", "AVIF": "pillow_avif", "JXL": "pillow_jxl"}
"""Pillow plugins for the formats Pillow does not read itself, by the package they need."""
_PACKAGES = {"HEIF": "pillow-heif", "AVIF": "pillow-avif-plugin", "JXL": "pillow-jxl-plugin"}
_plugins_ready: set[str] = set()


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
    container = _sniff(head, entry.path_text)
    if container is None:
        raise _Unusable("not a photo or video (unrecognised content)")
    file.seek(0)
    if container in _VIDEO_CONTAINERS:
        return _read_video(entry, file, container, size, content_hash)
    if container == "RAW":
        return _read_raw(entry, file, size, content_hash)
    return _read_image(entry, file, container, head, tail, content_hash)


def _content_hash(size: int, head: bytes, tail: bytes) -> str:
    # SHA-256 runs in hardware on current CPUs: faster here than BLAKE2 or MD5.
    digest = hashlib.sha256(size.to_bytes(8, "big"))
    digest.update(head)
    digest.update(tail)
    return digest.hexdigest()[:32]


def _sniff(head: bytes, path_text: str) -> str | None:
    """The container by its magic bytes, whatever the extension says (but a TIFF named as a
    camera's raw file is one)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    # The readers of rarer formats load when a file first needs them, not at every start-up.
    from memories.scan.containers import sniff_container
    from memories.scan.raw import looks_like_raw

    if looks_like_raw(head):
        return "RAW"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "RAW" if os.path.splitext(path_text)[1].lower() in RAW_EXTENSIONS else "TIFF"
    if head[:2] == b"BM" and int.from_bytes(head[2:6], "little") > 26:
        return "BMP"
    if head.startswith(_JPEG_XL):
        return "JXL"
    box_type = head[4:8]
    if box_type == b"ftyp":
        major = head[8:12]
        brands = {major} | {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if brands & {b"heic", b"heix"}:
            return "HEIF"
        if major in _AVIF_BRANDS or brands & _AVIF_BRANDS:
            return "AVIF"
        return "HEIF" if major in _HEIF_BRANDS else "VIDEO"
    if box_type in _QUICKTIME_FIRST_BOXES:
        return "VIDEO"
    return sniff_container(head)


def _read_image(
    entry: FileEntry, file: BinaryIO, container: str, head: bytes, tail: bytes, content_hash: str
) -> Photo:
    header = read_jpeg_header(head) if container == "JPEG" else None
    if header is not None:
        image_format, width, height, animated = "JPEG", header.width, header.height, False
        facts = _exif_facts(header.exif)
        xmp = read_xmp_facts(header.xmp)
        iptc_date = read_iptc_date(header.photoshop)
    else:
        image_format, width, height, animated, facts, xmp = _read_with_pillow(file, container)
        iptc_date = None
    if width * height > MAX_PIXELS:
        raise _Unusable(f"too large: {width}x{height} pixels (limit {MAX_PIXELS // 10**6} MP)")
    motion = None
    if image_format == "JPEG":
        end = read_jpeg_end(file, entry.size, tail, xmp.motion_clip)
        if not end.whole:
            raise _Unusable("truncated JPEG file (its image data stops before its end)")
        if end.clip:
            motion = Motion(entry.path_text, *end.clip)
    elif (image_format == "PNG" and tail.rfind(b"IEND") < 0) or (
        image_format in ("HEIF", "AVIF") and not boxes_fit(file, entry.size)
    ):
        raise _Unusable(f"truncated {image_format} file (its end is missing)")
    if facts.orientation in (5, 6, 7, 8):
        width, height = height, width
    sidecar = read_takeout_sidecar(entry.sidecar)
    gps = sidecar.gps or facts.gps
    embedded = [
        Candidate(facts.taken_at, DateSource.EXIF),
        Candidate(xmp.taken_at, DateSource.XMP),
        Candidate(iptc_date, DateSource.IPTC),
    ]
    return _photo(
        entry, content_hash, sidecar, _capture(entry, sidecar, embedded, facts, gps), gps,
        format=image_format,
        kind=image_kind(entry.path.name, image_format, width, height, facts.camera, animated),
        width=width,
        height=height,
        orientation=facts.orientation,
        camera=facts.camera,
        content_id=facts.content_id,
        motion=motion,
    )  # fmt: skip


def _read_with_pillow(
    file: BinaryIO, container: str
) -> tuple[str, int, int, bool, ExifFacts, XmpFacts]:
    """Format, stored size, animation, EXIF and XMP of any image Pillow (or a plugin) opens."""
    enable_plugin(container)
    try:
        image = Image.open(file)
    except Image.DecompressionBombError:
        raise _Unusable(f"too large (more than {MAX_PIXELS // 10**6} megapixels)") from None
    except UnidentifiedImageError:
        raise _Unusable(f"not a readable image ({container} header is damaged)") from None
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as error:
        # RuntimeError: the JPEG XL plugin's word for a damaged file
        first_line = next(iter(str(error).splitlines()), type(error).__name__)
        raise _Unusable(f"damaged {container} file ({first_line})") from None
    with image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _Unusable(f"impossible image size {width}x{height}")
        image_format = "JPEG" if image.format == "MPO" else image.format or "?"
        if image_format == "TIFF":  # a TIFF's tags are its own first directory
            # Pillow turns a TIFF upright itself as it opens it (its size too), so it is
            # shown as decoded: turning it again would lay it on its side
            facts = dataclasses.replace(_tiff_facts(image), orientation=1)
        else:
            facts = _exif_facts(_exif_block(image, file))
        xmp = read_xmp_facts(_xmp_packet(image))
        return image_format, width, height, bool(getattr(image, "is_animated", False)), facts, xmp


def _exif_block(image: Image.Image, file: BinaryIO) -> bytes | None:
    """The EXIF block; a PNG may keep it in an eXIf chunk after the pixels, which Pillow
    reads only once it has decoded them, so the chunks are walked for it instead."""
    raw = image.info.get("exif")
    if raw or image.format != "PNG":
        return raw if isinstance(raw, bytes) else None
    return _png_exif_chunk(file)


def _png_exif_chunk(file: BinaryIO) -> bytes | None:
    file.seek(8)
    while header := file.read(8):
        if len(header) < 8:
            return None
        length, chunk_type = int.from_bytes(header[:4], "big"), header[4:]
        if chunk_type == b"eXIf":
            return file.read(min(length, 1024 * 1024))
        if chunk_type == b"IEND":
            return None
        file.seek(length + 4, os.SEEK_CUR)
    return None


def _xmp_packet(image: Image.Image) -> bytes | None:
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(packet, str):
        return packet.encode("utf-8", "replace")
    return packet if isinstance(packet, bytes) else None


def _read_raw(entry: FileEntry, file: BinaryIO, size: int, content_hash: str) -> Photo:
    """A camera's raw file: its own metadata, shown through the preview it embeds."""
    from memories.scan.raw import NotARaw, read_raw

    try:
        raw = read_raw(file, size)
    except NotARaw as problem:
        raise _Unusable(f"unreadable raw file: {problem}") from None
    if raw.preview is None:
        raise _Unusable("raw file without an embedded preview to show it by")
    facts = raw.exif
    width, height = (raw.height, raw.width) if facts.orientation in (5, 6, 7, 8) else (
        raw.width, raw.height)  # fmt: skip
    sidecar = read_takeout_sidecar(entry.sidecar)
    gps = sidecar.gps or facts.gps
    embedded = [
        Candidate(facts.taken_at, DateSource.EXIF),
        Candidate(read_xmp_facts(raw.xmp).taken_at, DateSource.XMP),
    ]
    capture = _capture(entry, sidecar, embedded, facts, gps)
    return _photo(
        entry, content_hash, sidecar, capture, gps,
        format="RAW", kind=PhotoKind.PHOTO, width=width, height=height,
        orientation=facts.orientation, camera=facts.camera,
    )  # fmt: skip


def _read_video(
    entry: FileEntry, file: BinaryIO, container: str, size: int, content_hash: str
) -> Photo:
    from memories.scan.containers import read_container_facts

    try:
        if container == "VIDEO":
            facts = read_video_facts(file, size)
        else:
            facts = read_container_facts(entry.path, file, size, container)
    except NotAVideo as problem:
        raise _Unusable(f"damaged video: {problem}") from None
    if container == "VIDEO" and not boxes_fit(file, size):
        raise _Unusable("truncated video (its end is missing)")
    sidecar = read_takeout_sidecar(entry.sidecar)
    gps = sidecar.gps or facts.gps
    source = DateSource.QUICKTIME if container == "VIDEO" else DateSource.VIDEO
    capture = _capture(
        entry, sidecar, [Candidate(facts.created_at, source, facts.instant_only)], None, gps
    )
    return _photo(
        entry, content_hash, sidecar, capture, gps,
        format=_video_format(entry.path_text, container), kind=PhotoKind.VIDEO,
        width=facts.width, height=facts.height, orientation=facts.orientation, camera=None,
        duration=facts.duration, content_id=facts.content_id,
    )  # fmt: skip


def _video_format(path_text: str, container: str) -> str:
    """The container's name: by its content, then its extension (MP4 or MOV, MKV or WebM)."""
    by_content = {"AVI": "AVI", "MPEG-TS": "MTS"}.get(container)
    by_name = _VIDEO_FORMATS.get(os.path.splitext(path_text)[1].lower())
    if container == "MATROSKA":
        return by_name if by_name == "WEBM" else "MKV"
    return by_content or (by_name if by_name in ("MP4", "3GP") else "MOV")


def enable_plugin(image_format: str) -> None:
    """Let Pillow open a format it needs a plugin for (HEIC, AVIF, JPEG XL), once per process;
    a plugin that is not installed is a reason naming the package to install."""
    if image_format not in _PLUGINS or image_format in _plugins_ready:
        return
    try:
        if image_format == "HEIF":
            from pillow_heif import register_heif_opener

            register_heif_opener()
        else:
            importlib.import_module(_PLUGINS[image_format])
    except ImportError:
        raise _Unusable(
            f"{image_format} file, and {_PACKAGES[image_format]} (which reads it) is not "
            "installed: pip install " + _PACKAGES[image_format]
        ) from None
    _plugins_ready.add(image_format)


def _exif_facts(raw: bytes | None) -> ExifFacts:
    return read_exif_facts(raw) if raw else ExifFacts()


def _tiff_facts(image: Image.Image) -> ExifFacts:
    try:
        exif = image.getexif()
        return facts_from_tags(exif, exif.get_ifd(0x8769), exif.get_ifd(0x8825))
    except Exception:  # Pillow raises many kinds on broken tags: they lose their facts only
        return ExifFacts()


def _capture(
    entry: FileEntry,
    sidecar: TakeoutFacts,
    embedded: list[Candidate],
    facts: ExifFacts | None,
    gps: tuple[float, float] | None,
) -> Capture:
    """When it was taken, by the order `scan.capture` documents. The file name is read only
    when the file says nothing of its own (most do)."""
    said = sidecar.taken_at or any(candidate.taken_at for candidate in embedded)
    named = None if said else date_from_filename(os.path.basename(entry.path_text))
    late = [
        Candidate(facts.gps_time if facts else None, DateSource.GPS, instant=True),
        Candidate(named, DateSource.FILENAME),
        Candidate(facts.modified_at if facts else None, DateSource.MODIFIED),
    ]
    return choose_capture(
        sidecar.taken_at,
        embedded,
        late,
        from_mtime(entry.mtime_ns),
        lambda: zone_at(*gps) if gps else None,
    )


def _photo(
    entry: FileEntry,
    content_hash: str,
    sidecar: TakeoutFacts,
    capture: Capture,
    gps: tuple[float, float] | None,
    **facts: Any,
) -> Photo:
    """The Photo of a file, from what every reader finds alike and the facts of its format."""
    return Photo(
        path_text=entry.path_text,
        content_hash=content_hash,
        taken_at=capture.taken_at,
        taken_at_source=capture.source,
        zone_source=capture.zone,
        gps=gps,
        sidecar=_used(entry, sidecar),
        **facts,
    )


def _used(entry: FileEntry, sidecar: TakeoutFacts) -> str | None:
    """The sidecar's path when its facts were used (a foreign or broken one is not)."""
    if entry.sidecar is None or sidecar.problem is not None:
        return None
    return str(entry.sidecar)
