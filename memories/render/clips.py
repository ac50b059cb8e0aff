"""A video clip as a recap uses it: what it is (`probe_clip`), its frames, upright and SDR
(`ClipFrames`), and its sound (`clip_audio`); its best seconds are render/clip_scores.py's.

Everything goes through the ffmpeg that imageio-ffmpeg ships, one subprocess per job, fed the
clip as a file or as bytes inside a file (a motion photo's MP4 after its JPEG, through
ffmpeg's `subfile` protocol). A clip it cannot read or decode raises `ClipUnusable`.
"""

from __future__ import annotations

import math
import re
import select
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from memories.errors import ClipUnusable
from memories.model import Motion
from memories.scan.containers import FFMPEG_DURATION, FFMPEG_ROTATION, FFMPEG_VIDEO_SIZE

PROBE_TIMEOUT_S = 20.0
FRAME_TIMEOUT_S = 30.0
"""The longest ffmpeg may take to send the next frame (or to start) before the clip is given up."""
RESTART_AHEAD_S = 5.0
"""A frame asked for this far ahead is sought to (ffmpeg started again there), not decoded to."""
HDR_WHITE_NITS = 203
"""HDR's reference white (BT.2408): what SDR's white is mapped from, before the highlights
above it are rolled off."""
_TRANSFERS = {"smpte2084": "pq", "arib-std-b67": "hlg"}
_STREAM = re.compile(r"^\s*Stream #0:(\d+)[^:\n]*: (\w+): (.*)$", re.MULTILINE)
_PIXELS = re.compile(r", (\w+)(?:\(([^)]*)\))?, \d+x\d+")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)\b")
_LOG_PREFIX = re.compile(r"^(?:\[[^\]]*\]\s*)+")
_DEPTH = re.compile(r"p(\d+)(?:le|be)$")


@dataclass(frozen=True, slots=True)
class ClipSource:
    """Where a clip's bytes are: a whole file, or `length` bytes at `offset` inside one."""

    path: Path
    offset: int = 0
    length: int | None = None
    """None: to the end of the file."""

    @classmethod
    def of_file(cls, path: Path) -> ClipSource:
        return cls(path)

    @classmethod
    def of_motion(cls, motion: Motion) -> ClipSource:
        """A Live Photo's clip file, or a motion photo's MP4 inside its JPEG."""
        return cls(Path(motion.path_text), motion.offset, motion.length)

    @property
    def url(self) -> str:
        """The clip as ffmpeg opens it. `subfile` reads its options up to the `,,` before the
        colon, so spaces and commas in the path after it are safe; `file:` keeps a colon in
        a name from being read as a protocol."""
        if not self.offset and self.length is None:
            return f"file:{self.path}"
        end = 0 if self.length is None else self.offset + self.length  # 0: the file's end
        return f"subfile,,start,{self.offset},end,{end},,:file:{self.path}"


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """A clip as `ffmpeg -i` reports it, proven to decode."""

    duration: float
    width: int
    """Displayed, after the rotation."""
    height: int
    rotation: int
    """Degrees clockwise the stored frames are turned to be shown (0, 90, 180, 270)."""
    fps: float
    hdr: str | None
    """`pq` (SMPTE 2084) or `hlg` (ARIB STD-B67); None for SDR."""
    pixel_format: str
    codec: str
    matrix: str | None
    """The YCbCr matrix it is tagged with, as ffmpeg names it (`bt709`); None untagged."""
    primaries: str | None
    full_range: bool
    video_stream: int
    audio_stream: int | None

    @property
    def has_audio(self) -> bool:
        return self.audio_stream is not None

    @property
    def bit_depth(self) -> int:
        depth = _DEPTH.search(self.pixel_format)
        return int(depth[1]) if depth else 8


def probe_clip(source: ClipSource) -> ClipInfo:
    """What the clip is, from one `ffmpeg -i` report; then its first frame is decoded (tiny,
    through the same colour conversion `ClipFrames` uses) to prove it can be shown."""
    run = run_ffmpeg(source, ["-v", "info", "-i", source.url], timeout=PROBE_TIMEOUT_S)
    report = _input_report(run.stderr)
    if "Input #0" not in report:
        why = ffmpeg_complaint(run.stderr, first=False)
        raise ClipUnusable(source.path, f"not a video ffmpeg can read ({why})")
    info = _parse_report(source, report)
    width = 32
    height = max(2, round(width * info.height / info.width))
    command = ["-v", "error", "-i", source.url, "-map", f"0:{info.video_stream}",
               "-an", "-sn", "-dn", "-frames:v", "1", "-vf", _picture_chain(info, (width, height)),
               "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]  # fmt: skip
    decoded = run_ffmpeg(source, command, timeout=PROBE_TIMEOUT_S)
    if len(decoded.stdout) != width * height * 3:
        why = ffmpeg_complaint(decoded.stderr)
        raise ClipUnusable(source.path, f"the bundled ffmpeg cannot decode {info.codec} ({why})")
    return info


def _parse_report(source: ClipSource, report: str) -> ClipInfo:
    streams = list(_STREAM.finditer(report))
    videos = [s for s in streams if s[2] == "Video" and "(attached pic)" not in s[3]]
    if not videos:
        raise ClipUnusable(source.path, "no video stream")
    video = videos[0]
    line = video[3]
    after = streams[streams.index(video) + 1].start() if video != streams[-1] else len(report)
    block = report[video.start() : after]  # its side data: the display matrix
    size, pixels = FFMPEG_VIDEO_SIZE.search(f"Video: {line}"), _PIXELS.search(line)
    duration = FFMPEG_DURATION.search(report)
    if size is None or duration is None:
        raise ClipUnusable(source.path, "ffmpeg reports no picture size or duration")
    clockwise = 0
    if rotation := FFMPEG_ROTATION.search(block):  # a display matrix turns counter-clockwise
        turn = -float(rotation[1]) if rotation[1] else float(rotation[2])
        clockwise = round(turn / 90) * 90 % 360
    width, height = int(size[1]), int(size[2])
    if clockwise in (90, 270):
        width, height = height, width
    pixel_format = pixels[1] if pixels else "unknown"
    colour_range, matrix, primaries, transfer = _colour(pixels[2] if pixels and pixels[2] else "")
    fps = _FPS.search(line)
    audio = next((int(s[1]) for s in streams if s[2] == "Audio"), None)
    return ClipInfo(
        duration=int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]),
        width=width, height=height, rotation=clockwise,
        fps=float(fps[1]) * (1000 if fps[2] else 1) if fps else 30.0,
        hdr=_TRANSFERS.get(transfer or ""), pixel_format=pixel_format,
        codec=line.split(None, 1)[0].rstrip(","), matrix=matrix, primaries=primaries,
        full_range=colour_range == "pc" or pixel_format.startswith("yuvj"),
        video_stream=int(video[1]), audio_stream=audio,
    )  # fmt: skip


def _colour(details: str) -> tuple[str | None, str | None, str | None, str | None]:
    """Range, matrix, primaries and transfer from a pixel format's details, `tv,
    bt2020nc/bt2020/arib-std-b67, progressive` (one name when all three are the same)."""
    colour_range = matrix = primaries = transfer = None
    for item in details.split(", "):
        if item in ("tv", "pc"):
            colour_range = item
        elif "/" in item:
            matrix, primaries, transfer = item.split("/")[:3]
        elif item and " " not in item and item != "progressive":
            matrix = primaries = transfer = item
    known = [None if name in (None, "unknown", "reserved") else name
             for name in (matrix, primaries, transfer)]  # fmt: skip
    return colour_range, known[0], known[1], known[2]


def _picture_chain(info: ClipInfo, size: tuple[int, int]) -> str:
    """ffmpeg filters from the decoded (and auto-rotated) picture to RGB24 at `size`, through
    zimg (as exact as swscale's accurate mode, at swscale's fast speed). SDR goes through its
    own matrix (BT.709 for HD, BT.601 for SD when untagged) and range. HDR is converted in one
    step to linear light (its reference white at 1) in BT.709 primaries, its highlights rolled
    off by the Möbius curve (mid-tones stay where they were, where Hable's darkens them: an
    HLG grey at half signal comes out 143, not 95), saturated colours kept so (`desat=0`),
    and encoded as BT.709."""
    width, height = size
    colour_range = "pc" if info.full_range else "tv"
    if info.hdr is None:
        matrix = info.matrix
        if matrix is None:
            wide = max(info.width, info.height) >= 1280 or min(info.width, info.height) > 576
            matrix = "bt709" if wide else "bt470bg"
        resize = f"zscale=w={width}:h={height}:min={matrix}:rin={colour_range}:r=pc"
        return f"{resize},format=gbrp,format=rgb24"
    transfer = "smpte2084" if info.hdr == "pq" else "arib-std-b67"
    primaries = info.primaries or "bt2020"
    return (
        f"zscale=w={width}:h={height}:tin={transfer}:pin={primaries}"
        f":min={info.matrix or 'bt2020nc'}:rin={colour_range}:t=linear:p=bt709"
        f":npl={HDR_WHITE_NITS},format=gbrpf32le,tonemap=tonemap=mobius:desat=0,"
        "zscale=t=bt709:m=bt709:r=pc,format=gbrp,format=rgb24"
    )


class ClipFrames:
    """The frames of a segment of a clip, `start` to `start + length` seconds, as RGB24 arrays
    of `size` (the displayed frame scaled to it) at `fps`, streamed from one ffmpeg.

    Ask with `frame_at(t)` (seconds from the segment's start) in non-decreasing order; past
    the end the last frame holds. Going back, or far ahead, starts ffmpeg again there."""

    def __init__(
        self,
        source: ClipSource,
        info: ClipInfo,
        *,
        start: float = 0.0,
        length: float | None = None,
        size: tuple[int, int] | None = None,
        fps: float = 30.0,
    ) -> None:
        self.source, self.info, self.start, self.fps = source, info, start, fps
        self.length = max(0.0, info.duration - start) if length is None else length
        self.size = size or (info.width, info.height)
        self._frame_bytes = self.size[0] * self.size[1] * 3
        self._last = max(0, math.ceil(self.length * fps - 1e-6) - 1)
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: IO[bytes] | None = None
        self._frame: np.ndarray | None = None
        self._index = -1
        self._ended = False

    def frame_at(self, t: float) -> np.ndarray:
        wanted = min(max(0, math.floor(t * self.fps + 1e-6)), self._last)
        far = wanted - self._index > RESTART_AHEAD_S * self.fps
        stopped = self._frame is None or (self._process is None and not self._ended)
        if stopped or wanted < self._index or (far and not self._ended):
            self._open(wanted)
        while self._index < wanted and not self._ended:
            self._next()
        assert self._frame is not None
        return self._frame

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process.kill()
            self._process.wait()
            self._process = None
        if self._errors is not None:
            self._errors.close()
            self._errors = None

    def __enter__(self) -> ClipFrames:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _open(self, first: int) -> None:
        """ffmpeg from frame `first` on."""
        self.close()
        offset = first / self.fps
        left = max(0.0, self.length - offset)
        command = ["-v", "error", "-autorotate", *_seek(self.start + offset),
                   "-t", f"{left:.6f}", "-i", self.source.url,
                   "-map", f"0:{self.info.video_stream}", "-an", "-sn", "-dn",
                   "-vf", f"fps={self.fps},{_picture_chain(self.info, self.size)}",
                   "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]  # fmt: skip
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as ffmpeg)
        self._process = _start(self.source, command, self._errors)
        self._index, self._ended = first - 1, False
        self._next()
        if self._ended:  # nothing from there: a seek past the end
            if first == 0:
                raise self._failed("no frame came out")
            self._open(0)

    def _next(self) -> None:
        """Reads the next frame, or marks the end and holds the last one."""
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        buffer = bytearray(self._frame_bytes)
        view, got = memoryview(buffer), 0
        while got < len(buffer):
            if not select.select([stdout], [], [], FRAME_TIMEOUT_S)[0]:
                raise self._failed(f"ffmpeg sent no frame for {FRAME_TIMEOUT_S:.0f} s")
            count = stdout.readinto(view[got:])  # type: ignore[attr-defined]
            if not count:
                break
            got += count
        if got < len(buffer):
            self._ended = True
            if self._process.wait(timeout=FRAME_TIMEOUT_S) != 0:
                raise self._failed("ffmpeg failed")
            return
        self._frame = np.frombuffer(buffer, np.uint8).reshape(self.size[1], self.size[0], 3)
        self._index += 1

    def _failed(self, what: str) -> ClipUnusable:
        errors = b""
        if self._errors is not None:
            self._errors.seek(0)
            errors = self._errors.read()
        self.close()
        detail = f" ({ffmpeg_complaint(errors)})" if errors.strip() else ""
        return ClipUnusable(self.source.path, f"cannot decode its frames: {what}{detail}")


def clip_audio(
    source: ClipSource, start: float, length: float, rate: int = 44100
) -> np.ndarray | None:
    """The segment's sound as float32 stereo, (frames, 2), exactly `length` seconds (silence
    where the clip ends sooner); None when the clip has no sound."""
    command = ["-v", "info", *_seek(start), "-t", f"{length:.6f}", "-i", source.url,
               "-map", "0:a:0?", "-vn", "-sn", "-dn", "-ac", "2", "-ar", str(rate),
               "-f", "f32le", "pipe:1"]  # fmt: skip
    run = run_ffmpeg(source, command, timeout=PROBE_TIMEOUT_S + length)
    report = _input_report(run.stderr)
    if "Input #0" in report and not any(s[2] == "Audio" for s in _STREAM.finditer(report)):
        return None
    if run.returncode != 0:
        raise ClipUnusable(source.path, f"cannot decode its sound ({ffmpeg_complaint(run.stderr)})")
    samples = np.frombuffer(run.stdout[: len(run.stdout) // 8 * 8], np.float32).reshape(-1, 2)
    frames = round(length * rate)
    sound = np.zeros((frames, 2), np.float32)
    sound[: min(frames, len(samples))] = samples[:frames]
    return sound


def _seek(start: float) -> list[str]:
    """`-ss` before the input: ffmpeg seeks to the keyframe before and decodes from there, so
    it is fast and exact. None at the start (seeking to 0 loses an AVI's palette)."""
    return ["-ss", f"{start:.6f}"] if start > 0 else []


def run_ffmpeg(
    source: ClipSource, arguments: list[str], *, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(_command(arguments), capture_output=True, timeout=timeout,
                              check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ClipUnusable(source.path, f"ffmpeg took more than {timeout:.0f} s") from None
    except (ImportError, OSError, RuntimeError) as error:
        raise ClipUnusable(source.path, f"cannot run the bundled ffmpeg ({error})") from None


def _start(source: ClipSource, arguments: list[str], errors: IO[bytes]) -> subprocess.Popen[bytes]:
    """ffmpeg streaming to a pipe (unbuffered: each read is one system call, so a wait for
    data can be bounded), its messages to `errors`."""
    try:
        return subprocess.Popen(_command(arguments), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=errors, bufsize=0)  # fmt: skip
    except (ImportError, OSError, RuntimeError) as error:
        raise ClipUnusable(source.path, f"cannot run the bundled ffmpeg ({error})") from None


def _command(arguments: list[str]) -> list[str]:
    from imageio_ffmpeg import get_ffmpeg_exe

    return [get_ffmpeg_exe(), "-hide_banner", "-nostdin", *arguments]


def _input_report(stderr: bytes) -> str:
    """What ffmpeg says about its input, without what it says about its outputs."""
    report = stderr.decode("utf-8", "replace")
    return report.split("\nStream mapping:", 1)[0].split("\nOutput #0", 1)[0]


def ffmpeg_complaint(stderr: bytes, *, first: bool = True) -> str:
    """What ffmpeg said went wrong, without its `[module @ 0x...]` prefixes: its first error
    (a decoder's complaint comes first; what follows is the fallout), or its last word
    (why an input would not open: the warnings before are guesses)."""
    lines = [_LOG_PREFIX.sub("", line).strip()
             for line in stderr.decode("utf-8", "replace").splitlines()]  # fmt: skip
    lines = [line for line in lines if line and not line.startswith("At least one output")]
    if not lines:
        return "ffmpeg gave no reason"
    said = (lines[0] if first else lines[-1]).rstrip(".")
    return said.rsplit(": ", 1)[-1] if said.startswith("Error opening") else said[:160]
