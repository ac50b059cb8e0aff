"""The records that flow between stages: plain frozen dataclasses, no behaviour beyond views."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np


class PhotoKind(StrEnum):
    """What a file is, as far as memories are concerned."""

    PHOTO = "photo"
    SCREENSHOT = "screenshot"
    VIDEO = "video"
    OTHER = "other"
    """Animations, stickers, icons: kept in the catalog, never in a memory."""


class DateSource(StrEnum):
    """Where `taken_at` came from, in the order they are tried (README, "Dates and times")."""

    SIDECAR = "sidecar"
    """A Google Takeout sidecar's photoTakenTime: what the user saw (and corrected) there."""
    EXIF = "exif"
    XMP = "xmp"
    IPTC = "iptc"
    QUICKTIME = "quicktime"
    VIDEO = "video"
    """Another video container's own date (AVI, AVCHD, Matroska)."""
    GPS = "gps"
    """The GPS fix's time: an instant."""
    FILENAME = "filename"
    MODIFIED = "modified"
    """EXIF DateTime: when the file was last written, often an edit or an export."""
    MTIME = "mtime"
    """The file's modification time: a guess, flagged as such."""


class ZoneSource(StrEnum):
    """Where the UTC offset of `taken_at` came from."""

    FILE = "file"
    """The file says it (an EXIF offset, an XMP or QuickTime date with its zone)."""
    GPS = "gps"
    """The time zone at the photo's GPS position, looked up offline."""
    NEIGHBOURS = "neighbours"
    """Photos taken just before or after it that know their offset."""
    HOME = "home"
    SYSTEM = "system"
    """This machine's zone: the last resort."""


class FileEntry(NamedTuple):
    """A media file found on disk, before it is read. A nightly scan lists and compares
    every file of the library, so this is a plain tuple (made several times faster than a
    frozen dataclass) and its path is text (a Path would cost several times the `stat`)."""

    path_text: str
    size: int
    mtime_ns: int
    sidecar: Path | None = None
    """A Google Takeout `photo.jpg.json` next to it, if there is one."""

    @property
    def path(self) -> Path:
        return Path(self.path_text)


class Photo(NamedTuple):
    """One photo or video: what its file says about itself. Identified by its content hash.
    A plain tuple, as FileEntry: every run makes one for each photo of the library, and a
    frozen dataclass takes twice as long to make."""

    path_text: str
    """Its path as text: the catalog hands out every photo of the library on each run, and a
    Path for each would cost more than the rest of the record (see `path`)."""
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
    duplicates: tuple[str, ...] = ()
    """Other paths holding exactly the same file, as text."""
    zone_source: ZoneSource | None = None
    """Where the offset of `taken_at` came from; None while it is unknown: then `taken_at` is
    a naive wall clock, or an aware UTC instant whose local time is still to be found."""
    content_id: str | None = None
    """Apple's content identifier, shared by a Live Photo's still and its clip."""
    motion: Motion | None = None
    """A Live Photo's or motion photo's clip."""
    companion_of: str | None = None
    """The content hash of the photo this file belongs to (a Live Photo's clip, a RAW beside
    its JPEG): it is shown through that photo, never on its own."""
    sidecar: str | None = None
    """The Google Takeout sidecar whose facts were used, as text."""

    @property
    def path(self) -> Path:
        return Path(self.path_text)


class CompanionRole(StrEnum):
    """What a file is to the photo it belongs to (`Photo.companion_of`)."""

    MOTION_CLIP = "motion"
    """A Live Photo's clip."""
    RAW = "raw"
    """The RAW of a JPEG or HEIC of the same shot."""


class PairingRecord(NamedTuple):
    """A catalogued file as pairing it with others sees it (`scan.companions`)."""

    path_text: str
    content_hash: str
    kind: str
    format: str
    taken_at: str | None
    content_id: str | None
    duration: float | None


class Motion(NamedTuple):
    """Where a still photo's motion clip is: a file of its own, or bytes inside the photo."""

    path_text: str
    offset: int = 0
    length: int | None = None
    """None: the whole file."""


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


@dataclass(frozen=True, slots=True, eq=False)
class Face:
    """A face found in a photo, in full-size displayed pixels."""

    box: tuple[int, int, int, int]
    """top, right, bottom, left (face_recognition's order)."""
    landmarks: tuple[tuple[int, int], ...]
    """Five points (x, y): the corners of both eyes and the base of the nose."""
    encoding: np.ndarray
    """128 float32 numbers; faces of one person lie within about 0.6 of each other."""
    score: float
    """The detector's confidence: higher is a clearer, more frontal face."""
    sharpness: float | None = None
    """Variance of the Laplacian of the face, seen at 64x64 grey: low for a blurred face,
    whose encoding cannot be trusted (see `analyze.people.TRUSTED_SHARPNESS`)."""

    @property
    def width(self) -> int:
        return self.box[1] - self.box[3]


@dataclass(frozen=True, slots=True, eq=False)
class KnownFace:
    """A face as the catalog holds it: which photo, where, whose."""

    id: int
    content_hash: str
    box: tuple[int, int, int, int]
    encoding: np.ndarray
    person: int | None
    """The person it belongs to, or None while it matches nobody well."""
    pinned: bool
    """Placed by a decision of the user (name, merge, split, hide): regrouping never moves it."""
    sharpness: float | None = None
    """As in Face; None for faces found before it was measured (trusted as they were)."""
    landmarks: tuple[tuple[int, int], ...] = ()
    """As in Face (how far the face is turned is read from them: `analyze.people.face_turn`);
    empty when not known."""
    day: int | None = None
    """The day its photo was taken (a proleptic ordinal, `date.toordinal()`), when known:
    a child's faces are compared with their faces of about the same time first."""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who appears in the photos, as grouped from faces and corrected by the user."""

    id: int
    name: str | None
    hidden: bool
    """Never shown in any memory or output."""
    birthday: date | None = None
    """As the user gave it (`memories people name --birthday`); never guessed from photos."""


ProgressCallback = Callable[[str, int, int | None], None]
"""Called as `progress(stage, done, total)` during long work; `total` is None while unknown."""


# Planning --------------------------------------------------------------------------------------


class TimelinePhoto(NamedTuple):
    """A photo as the planner sees it: when, where, how good, who. A plain tuple, as Photo."""

    path_text: str
    """Its path as text, as in Photo."""
    content_hash: str
    kind: PhotoKind
    local_time: datetime
    """Wall-clock time where it was taken, without offset: what a person calls the time."""
    instant: float
    """Seconds since the epoch (UTC), for ordering and gaps across time zones."""
    gps: tuple[float, float] | None
    place: Place | None
    score: float
    """0 to 1: sharpness and exposure, plus a little for people; 0.5 when not measured."""
    dhash: int | None
    landscape: bool
    people: frozenset[str] = frozenset()
    """Ids of the known, non-hidden people in it."""
    faces: tuple[tuple[str, tuple[int, int, int, int]], ...] = ()
    """(person id, [top, right, bottom, left]) of each of those people's faces, in full-size
    displayed pixels: for face-aware crops and camera moves."""

    @property
    def path(self) -> Path:
        return Path(self.path_text)


@dataclass(frozen=True, slots=True)
class Place:
    """A named place: the city, its region (state, prefecture...) and country."""

    city: str
    region: str | None
    country: str
    country_code: str
    latitude: float
    longitude: float


class Cut(NamedTuple):
    """Why an event starts where it does, with the figures that decided it."""

    rule: str
    """`first`, `gap`, `night`, `place` or `pause` (see `plan.events`)."""
    gap_minutes: int | None
    """The time without photos before it."""
    km: float | None
    """How far the photos moved, for `place`."""


@dataclass(frozen=True, slots=True)
class Event:
    """A run of photos taken close together in time and place. Covers its photos exactly."""

    id: str
    photos: tuple[TimelinePhoto, ...]
    place: str | None
    why: Cut | None = None
    """Why it starts where it does."""

    @property
    def start(self) -> datetime:
        return self.photos[0].local_time

    @property
    def end(self) -> datetime:
        return self.photos[-1].local_time


class MemoryKind(StrEnum):
    EVENT = "event"
    TRIP = "trip"
    ON_THIS_DAY = "on_this_day"
    PERSON = "person"
    YEAR = "year"
    PLACE = "place"
    SEASON = "season"
    MONTH = "month"
    TOGETHER = "together"
    """Two named people in the same photos, across the years."""
    PERSON_YEAR = "person_year"
    BIRTHDAY = "birthday"
    THEN_AND_NOW = "then_and_now"
    """The same person photographed years apart."""


@dataclass(frozen=True, slots=True)
class Insight:
    """One card of a year in review: a number, and exactly the photos it was counted from."""

    kind: str
    """One of plan.insights.KINDS: days, streak, new_places, furthest, people, together,
    busiest_day, first_and_last."""
    headline: str
    """The card's big words: "143 days with photos"."""
    detail: str
    """A smaller line: "3-14 August", "Kyoto, Osaka, Nara and 4 more"."""
    value: int
    """The number on the card."""
    photos: tuple[str, ...]
    """Content hashes of the photos behind `value`, in time order."""


class Phrase(NamedTuple):
    """What a memory's title says, for saying it in another language (memories.language):
    a phrase of the language files' `[titles]`, and the values it is filled in with."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, key: str, **values: Any) -> Phrase:
        return cls(key, tuple(sorted(values.items())))


@dataclass(frozen=True, slots=True)
class Memory:
    """Something worth looking back at, with the photos chosen to tell it."""

    id: str
    """Stable across runs for the same inputs, and a safe file name."""
    kind: MemoryKind
    title: str
    dates: str
    """The span in words: "3-9 Apr 2024"."""
    start: datetime
    end: datetime
    place: str | None
    people: tuple[str, ...]
    photos: tuple[TimelinePhoto, ...]
    """The chosen photos, in time order."""
    cover: TimelinePhoto
    chapters: tuple[str, ...] = ()
    """For a trip: the ids of its events, in order."""
    insights: tuple[Insight, ...] = ()
    """For a year in review: its numbers, each with the photos it was counted from."""
    phrase: Phrase | None = None
    """What its title says (None: the title is a name, the same in every language)."""
    language: str = "en"
    """The language its words are in (memories.language)."""
