"""Read date, duration and size from AVI, MPEG-TS/AVCHD and Matroska/WebM headers.

`video.py` owns MP4/MOV (and 3GP, the same boxes); this module owns the containers of compact
cameras (AVI), camcorders (AVCHD .mts/.m2ts) and the web (.mkv/.webm). Nothing is decoded; where
a container does not state its pixel size, ffmpeg's reading of the header fills it in.
"""

from __future__ import annotations

import math
import re
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from memories.scan.dates import DATE_ONLY_HOUR
from memories.scan.h264 import avchd_recorded_at, picture_size
from memories.scan.video import NotAVideo, VideoFacts

_HEADER_BYTES = 1024 * 1024  # AVI's hdrl and Matroska's Info and Tracks sit in the first MB
_TS_HEAD_BYTES = 2 * 1024 * 1024  # AVCHD repeats its SPS and MDPM with every GOP (~0.5 s)
_TS_SPS_BYTES = 256 * 1024  # without MDPM, only the SPS is wanted: it opens the stream
_TS_TAIL_BYTES = 512 * 1024  # a PCR comes at least every 100 ms, 350 KB at AVCHD's 28 Mbit/s
_PCR_HZ, _PCR_WRAP = 90_000, 1 << 33
_FFMPEG_TIMEOUT_S = 10
_MATROSKA_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_INFO, _TRACKS = 0x1549A966, 0x1654AE6B
_CLOCKWISE_TO_ORIENTATION = {0: 1, 90: 6, 180: 3, 270: 8}
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_CTIME_DATE = re.compile(r"([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d\d):(\d\d)\s+(\d{4})")
_NUMERIC_DATE = re.compile(
    r"(\d{4})[-/:.]\s*(\d{1,2})[-/:.]\s*(\d{1,2})/?"
    r"(?:[\sT]+(\d{1,2}):\s*(\d\d)(?::(\d\d))?\s*([AaPp])?)?"
)
FFMPEG_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
FFMPEG_VIDEO_SIZE = re.compile(r"Video: .*?[ ,](\d{2,5})x(\d{2,5})[ ,\[]")
FFMPEG_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees|rotate\s*:\s*(-?\d+)")


def sniff_container(head: bytes) -> str | None:
    """`AVI`, `MPEG-TS` (188-byte packets, or AVCHD's 192) or `MATROSKA`, by magic bytes."""
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "MATROSKA"
    return "MPEG-TS" if _ts_layout(head) else None


def read_container_facts(path: Path, file: BinaryIO, size: int, container: str) -> VideoFacts:
    """The facts of a file `sniff_container` named; `path` is only for ffmpeg's fallback."""
    readers = {"AVI": _read_avi, "MPEG-TS": _read_ts, "MATROSKA": _read_matroska}
    if container not in readers:
        raise ValueError(f"no reader for container {container!r}")
    try:
        facts = readers[container](file, size)
    except NotAVideo:
        raise
    except (struct.error, IndexError, ValueError, OverflowError):
        raise NotAVideo(f"unreadable {container} header") from None
    return facts if facts.width and facts.height else _fill_from_ffmpeg(path, facts)


def _facts(
    size: tuple[int, int],
    clockwise: int,
    duration: float | None,
    created_at: datetime | None,
    instant_only: bool = False,
) -> VideoFacts:
    """`size` as stored; the facts hold it as displayed, turned by `clockwise` degrees."""
    width, height = size[::-1] if clockwise in (90, 270) else size
    return VideoFacts(
        width=width,
        height=height,
        orientation=_CLOCKWISE_TO_ORIENTATION.get(clockwise, 1),
        duration=_seconds(duration),
        created_at=created_at,
        gps=None,
        instant_only=instant_only,
    )


def _seconds(duration: float | None) -> float | None:
    """The duration to the millisecond; None when the headers give none, or none that is a
    positive number of milliseconds (a damaged header's 0.0004 s)."""
    if duration is None or not math.isfinite(duration) or round(duration, 3) <= 0:
        return None
    return round(duration, 3)


def _read_avi(file: BinaryIO, size: int) -> VideoFacts:
    file.seek(0)
    header = file.read(12)
    if header[:4] != b"RIFF" or header[8:12] != b"AVI ":
        raise NotAVideo("not an AVI file (no RIFF AVI header)")
    riff_size = struct.unpack("<I", header[4:8])[0]
    riff_end = min(size, 8 + riff_size) if riff_size >= 4 else size  # 0 from a crashed recording
    chunks: list[tuple[bytes, bytes]] = []
    for chunk_id, list_type, offset, chunk_size in islice(_riff_chunks(file, 12, riff_end), 64):
        if list_type in (b"hdrl", b"INFO") or chunk_id == b"IDIT":
            file.seek(offset)
            chunks.extend(_riff_tree(file.read(min(8 + chunk_size, _HEADER_BYTES)), depth=0))
    return _avi_facts(chunks)


def _riff_chunks(file: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, bytes, int, int]]:
    """(id, list type, offset, size) of each chunk, reading only headers: `movi` is seeked past."""
    offset = start
    while offset + 8 <= end:
        file.seek(offset)
        header = file.read(12)
        if len(header) < 8:
            return
        chunk_id, chunk_size = struct.unpack("<4sI", header[:8])
        yield chunk_id, header[8:12] if chunk_id == b"LIST" else b"", offset, chunk_size
        offset += 8 + chunk_size + (chunk_size & 1)


def _riff_tree(data: bytes, depth: int) -> Iterator[tuple[bytes, bytes]]:
    """(id, payload) of each chunk in `data` (a LIST's payload starts with its type), LISTs
    opened; stops quietly at the end of the data, or past a depth no camera writes."""
    offset = 0
    while offset + 8 <= len(data) and depth < 4:
        chunk_id, chunk_size = struct.unpack_from("<4sI", data, offset)
        payload = data[offset + 8 : offset + 8 + chunk_size]
        if chunk_id == b"LIST":
            yield from _riff_tree(payload[4:], depth + 1)
        else:
            yield chunk_id, payload
        offset += 8 + chunk_size + (chunk_size & 1)


def _avi_facts(chunks: list[tuple[bytes, bytes]]) -> VideoFacts:
    usec_per_frame = frames = odml_frames = width = height = 0
    stream_type, stream_duration, stream_size = b"", None, (0, 0)
    original = created = None
    for chunk_id, payload in chunks:
        if chunk_id == b"avih" and len(payload) >= 40:
            usec_per_frame, _, _, _, frames = struct.unpack_from("<5I", payload)
            width, height = struct.unpack_from("<II", payload, 32)
        elif chunk_id == b"dmlh" and len(payload) >= 4:  # OpenDML: frames in every RIFF part
            odml_frames = struct.unpack_from("<I", payload)[0]
        elif chunk_id == b"strh" and len(payload) >= 36:
            stream_type = payload[:4]
            if stream_type == b"vids" and stream_duration is None:
                scale, rate, _, length = struct.unpack_from("<4I", payload, 20)
                stream_duration = length * scale / rate if rate else None
        elif chunk_id == b"strf" and stream_type == b"vids" and len(payload) >= 12:
            if not any(stream_size):  # a BITMAPINFOHEADER; a negative height means top-down
                bitmap_width, bitmap_height = struct.unpack_from("<ii", payload, 4)
                stream_size = (abs(bitmap_width), abs(bitmap_height))
        elif chunk_id == b"IDIT":
            original = original or _parse_riff_date(payload)
        elif chunk_id == b"ICRD":
            created = created or _parse_riff_date(payload)
    if not (usec_per_frame or width or stream_type):
        raise NotAVideo("AVI without a main or stream header (avih, strh)")
    # The stream's rate is a fraction; avih's frame period is whole microseconds (41666 at 24 fps).
    frames = max(frames, odml_frames)
    duration = stream_duration or (frames * usec_per_frame / 1e6 if usec_per_frame else None)
    size = (width, height) if width and height else stream_size
    return _facts(size, 0, duration, original or created)


def _parse_riff_date(raw: bytes) -> datetime | None:
    """IDIT/ICRD text as the camera's zone-less wall clock: `Tue Oct 27 12:14:00 2009`,
    `2009/10/27 12:14:34`, Casio's `2001/ 1/27  1:42PM`, or a bare `2009-10-27`."""
    text = raw.split(b"\0")[0].decode("latin-1")
    try:
        if match := _CTIME_DATE.search(text):
            month_name, day, hour, minute, second, year = match.groups()
            month = _MONTHS.index(month_name.lower()) + 1
            taken_at = datetime(int(year), month, int(day), int(hour), int(minute), int(second))
        elif match := _NUMERIC_DATE.search(text):
            year, month_text, day, hour, minute, second, meridiem = match.groups()
            clock_hour = DATE_ONLY_HOUR if hour is None else int(hour)
            if meridiem:
                clock_hour = clock_hour % 12 + (12 if meridiem in "Pp" else 0)
            taken_at = datetime(
                int(year), int(month_text), int(day), clock_hour, int(minute or 0), int(second or 0)
            )
        else:
            return None
    except ValueError:
        return None
    return taken_at if taken_at.year >= 1971 else None  # clockless cameras start at 1970 or 0


def _ts_layout(head: bytes) -> tuple[int, int] | None:
    """(offset of the first sync byte, packet size): AVCHD's packets carry a 4-byte timestamp."""
    for first, stride in ((0, 188), (4, 192)):
        syncs = range(first, min(len(head), first + 4 * stride), stride)
        if len(syncs) >= 2 and all(head[at] == 0x47 for at in syncs):
            return first, stride
    return None


def _ts_packets(data: bytes, first: int, stride: int) -> Iterator[tuple[int, bool, bytes, int]]:
    """(PID, starts a PES packet, payload, PCR or -1) of each 188-byte packet in `data`."""
    for start in range(first, len(data) - 187, stride):
        if data[start] != 0x47:
            continue
        pid = (data[start + 1] & 0x1F) << 8 | data[start + 2]
        control, payload_at, pcr = data[start + 3] >> 4 & 3, start + 4, -1
        if control & 2:  # an adaptation field, which may carry the programme clock
            length = data[start + 4]
            if length >= 7 and data[start + 5] & 0x10:
                pcr = int.from_bytes(data[start + 6 : start + 11], "big") >> 7
            payload_at += 1 + length
        payload = data[payload_at : start + 188] if control & 1 else b""
        yield pid, bool(data[start + 1] & 0x40), payload, pcr


def _read_ts(file: BinaryIO, size: int) -> VideoFacts:
    file.seek(0)
    head = file.read(_TS_HEAD_BYTES)
    layout = _ts_layout(head)
    if layout is None:
        raise NotAVideo("not an MPEG transport stream (no sync bytes)")
    # MDPM rides on the first frame, after the SPS: demux no further than that.
    mdpm_at = head.find(b"MDPM")
    head = head[: mdpm_at + 4096 if mdpm_at >= 0 else _TS_SPS_BYTES]
    video, video_pid, pcr_pid, first_pcr = bytearray(), -1, -1, -1
    for pid, unit_start, payload, pcr in _ts_packets(head, *layout):
        if pcr >= 0 and pcr_pid < 0:
            pcr_pid, first_pcr = pid, pcr
        if video_pid < 0 and unit_start and payload[:3] == b"\0\0\1" and len(payload) > 3:
            video_pid = pid if payload[3] >> 4 == 0xE else -1  # PES stream ids E0-EF are video
        if pid == video_pid:
            video += payload
    if video_pid < 0:
        raise NotAVideo("no video stream at the start of the transport stream")
    stream = bytes(video)
    width, height = picture_size(stream) or (0, 0)
    last_pcr = _last_pcr(file, size, *layout, pcr_pid) if pcr_pid >= 0 else -1
    elapsed = (last_pcr - first_pcr) % _PCR_WRAP / _PCR_HZ if last_pcr >= 0 else None
    return _facts((width, height), 0, elapsed, avchd_recorded_at(stream))


def _last_pcr(file: BinaryIO, size: int, first: int, stride: int, pcr_pid: int) -> int:
    start = max(first, first + (size - _TS_TAIL_BYTES - first) // stride * stride)
    file.seek(start)
    last = -1
    for pid, _, _, pcr in _ts_packets(file.read(_TS_TAIL_BYTES), 0, stride):
        last = pcr if pid == pcr_pid and pcr >= 0 else last
    return last


def _read_matroska(file: BinaryIO, size: int) -> VideoFacts:
    file.seek(0)
    data = file.read(_HEADER_BYTES)
    top = _ebml_elements(data, 0, len(data))
    header, segment = next(top, None), next(top, None)
    if header is None or header[0] != 0x1A45DFA3:
        raise NotAVideo("no EBML header")
    doc_type = _ebml_fields(data, *header[1:]).get(0x4282, b"")
    if doc_type not in (b"matroska", b"webm"):
        raise NotAVideo(f"EBML document of type {doc_type[:20]!r}, not Matroska")
    if segment is None or segment[0] != 0x18538067:
        raise NotAVideo("no Matroska segment")
    found: dict[int, tuple[bytes, int, int]] = {}
    positions: dict[int, int] = {}
    for element_id, start, stop in _ebml_elements(data, *segment[1:]):
        if element_id in (_INFO, _TRACKS):
            found.setdefault(element_id, (data, start, stop))
        elif element_id == 0x114D9B74:  # SeekHead: where Info and Tracks are, if further on
            positions.update(_seek_positions(data, start, stop))
        elif element_id == 0x1F43B675:  # the first Cluster: media from here on
            break
    for wanted in (_INFO, _TRACKS):
        if wanted not in found and segment[1] + positions.get(wanted, size) < size:
            file.seek(segment[1] + positions[wanted])
            chunk = file.read(_HEADER_BYTES)
            element = next(_ebml_elements(chunk, 0, len(chunk)), None)
            if element and element[0] == wanted:
                found[wanted] = (chunk, element[1], element[2])
    if not found:
        raise NotAVideo("Matroska without segment info or tracks")
    duration, created_at = _segment_info(*found.get(_INFO, (b"", 0, 0)))
    track = _video_track(*found[_TRACKS]) if _TRACKS in found else (0, 0, 0)
    if track is None:
        raise NotAVideo("Matroska without a video track (audio only)")
    width, height, clockwise = track
    # DateUTC is an instant; the other containers' dates are the camera's wall clock.
    return _facts((width, height), clockwise, duration, created_at, created_at is not None)


def _ebml_elements(data: bytes, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
    """(ID, payload start, payload end) of each element in data[start:stop]; an unknown size
    runs to `stop`; stops quietly where the data ends inside a header."""
    at = start
    while at < stop:
        try:
            element_id, at = _ebml_number(data, at, keep_marker=True)
            size, at = _ebml_number(data, at, keep_marker=False)
        except (IndexError, ValueError):
            return
        end = stop if size < 0 else min(at + size, stop)
        if at > end:
            return
        yield element_id, at, end
        at = end


def _ebml_number(data: bytes, at: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer and where it ends; -1 for a size of all ones (unknown)."""
    length = 9 - data[at].bit_length()
    if length > 8 or at + length > len(data):
        raise ValueError("bad EBML variable-length number")
    value = int.from_bytes(data[at : at + length], "big")
    if keep_marker:
        return value, at + length
    value &= (1 << 7 * length) - 1
    return (-1 if value == (1 << 7 * length) - 1 else value), at + length


def _ebml_fields(data: bytes, start: int = 0, stop: int | None = None) -> dict[int, bytes]:
    """The payload of each child element by ID (the last one wins)."""
    end = len(data) if stop is None else stop
    return {element_id: data[a:b] for element_id, a, b in _ebml_elements(data, start, end)}


def _seek_positions(data: bytes, start: int, stop: int) -> dict[int, int]:
    positions = {}
    for seek_id, seek_start, seek_stop in _ebml_elements(data, start, stop):
        fields = _ebml_fields(data, seek_start, seek_stop)
        if seek_id == 0x4DBB and 0x53AB in fields and 0x53AC in fields:
            positions[_uint(fields[0x53AB])] = _uint(fields[0x53AC])
    return positions


def _segment_info(data: bytes, start: int, stop: int) -> tuple[float | None, datetime | None]:
    """Duration in seconds and DateUTC (nanoseconds from 2001 in UTC: when it was muxed)."""
    fields = _ebml_fields(data, start, stop)
    ticks, tick_ns = _float(fields.get(0x4489, b"")), _uint(fields.get(0x2AD7B1, b""))
    duration = ticks * (tick_ns or 1_000_000) / 1e9 if ticks else None
    date = fields.get(0x4461, b"")
    nanoseconds = int.from_bytes(date, "big", signed=True) if len(date) == 8 else 0
    try:
        created_at = _MATROSKA_EPOCH + timedelta(microseconds=nanoseconds // 1000)
    except OverflowError:
        return duration, None
    return duration, created_at if nanoseconds and created_at.year >= 1971 else None


def _video_track(data: bytes, start: int, stop: int) -> tuple[int, int, int] | None:
    """(width, height, clockwise rotation) of the first track with Video settings, if any."""
    for entry_id, entry_start, entry_stop in _ebml_elements(data, start, stop):
        video = _ebml_fields(data, entry_start, entry_stop).get(0xE0)
        if entry_id == 0xAE and video is not None:
            fields = _ebml_fields(video)
            roll = _float(_ebml_fields(fields.get(0x7670, b"")).get(0x7675, b"")) or 0.0
            width, height = _uint(fields.get(0xB0, b"")), _uint(fields.get(0xBA, b""))
            shown = _uint(fields.get(0x54B0, b"")), _uint(fields.get(0x54BA, b""))
            if all(shown) and not _uint(fields.get(0x54B2, b"")):  # DisplayUnit 0: pixels
                width, height = shown
            # ProjectionPoseRoll turns counter-clockwise, like ffmpeg's display matrix.
            return width, height, round(-roll) % 360
    return None


def _uint(raw: bytes) -> int:
    return int.from_bytes(raw, "big") if len(raw) <= 8 else 0


def _float(raw: bytes) -> float | None:
    if len(raw) not in (4, 8):
        return None
    value = struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0]
    return value if math.isfinite(value) else None


def _fill_from_ffmpeg(path: Path, facts: VideoFacts) -> VideoFacts:
    """The size (and the duration, where the headers had none) from `ffmpeg -i`'s report."""
    report = _ffmpeg_report(path)
    size = FFMPEG_VIDEO_SIZE.search(report)
    if size is None:
        return facts
    clockwise = 0
    if rotation := FFMPEG_ROTATION.search(report):  # a display matrix turns counter-clockwise
        clockwise = round(-float(rotation[1])) % 360 if rotation[1] else int(rotation[2]) % 360
    duration = facts.duration
    if duration is None and (match := FFMPEG_DURATION.search(report)):
        duration = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])
    size_shown = (int(size[1]), int(size[2]))
    return _facts(size_shown, clockwise, duration, facts.created_at, facts.instant_only)


def _ffmpeg_report(path: Path) -> str:
    try:
        from imageio_ffmpeg import get_ffmpeg_exe

        command = [get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", f"file:{path}"]
        run = subprocess.run(command, capture_output=True, timeout=_FFMPEG_TIMEOUT_S, check=False)
    except (ImportError, OSError, RuntimeError, subprocess.SubprocessError):
        return ""
    return run.stderr.decode("utf-8", "replace")
