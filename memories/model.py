"""The records that flow between stages: plain frozen dataclasses, no behaviour beyond views."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path


class PhotoKind(StrEnum):
    """What a file is, as far as memories are concerned."""

    PHOTO = "photo"
    SCREENSHOT = "screenshot"
    VIDEO = "video"
    OTHER = "other"
    """Animations, stickers, icons: kept in the catalog, never in a memory."""


class DateSource(StrEnum):
    """Where `taken_at` came from, most trustworthy first."""

    EXIF = "exif"
    QUICKTIME = "quicktime"
    FILENAME = "filename"
    SIDECAR = "sidecar"
    MTIME = "mtime"
    """The file's modification time: a guess, flagged as such."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A media file found on disk, before it is read."""

    path: Path
    size: int
    mtime_ns: int
    sidecar: Path | None = None
    """A Google Takeout `photo.jpg.json` next to it, if there is one."""


@dataclass(frozen=True, slots=True)
class Photo:
    """One photo or video: what its file says about itself. Identified by its content hash."""

    path: Path
    content_hash: str
    format: str
    kind: PhotoKind
    width: int
    """Displayed width, after the orientation is applied."""
    height: int
    orientation: int
    """EXIF orientation 1-8 (1 = stored upright)."""
    taken_at: datetime | None
    """Wall-clock time where it was taken; timezone-aware only when the file gives the offset."""
    taken_at_source: DateSource | None
    gps: tuple[float, float] | None
    camera: str | None
    duration: float | None = None
    """Seconds, for videos."""
    duplicates: tuple[Path, ...] = ()
    """Other paths holding exactly the same file."""


@dataclass(frozen=True, slots=True)
class Quality:
    """How good a photo looks, measured on a 256-pixel grey preview of it."""

    sharpness: float
    """Variance of the Laplacian: low for blurred or shaken shots."""
    brightness: float
    """Mean luminance, 0 (black) to 1 (white)."""
    clipped: float
    """Share of pixels crushed to black or blown to white."""
    dhash: int
    """64-bit difference hash: near-duplicates differ in a few bits."""

    @property
    def score(self) -> float:
        """0 (unusable) to 1 (sharp and well exposed)."""
        sharp = min(1.0, math.log1p(self.sharpness) / math.log1p(400))
        exposure = 1.0 - min(1.0, abs(self.brightness - 0.45) * 1.6) * 0.6 - self.clipped
        return max(0.0, sharp * max(0.0, exposure))


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that could not be used, and why, in one line."""

    path: Path
    reason: str


ProgressCallback = Callable[[str, int, int | None], None]
"""Called as `progress(stage, done, total)` during long work; `total` is None while unknown."""
