"""A recap video as data before it is frames: its shots, when each starts and how long it
lasts, the camera move over each photo, and the crossfades between them. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from memories.render.framing import Rect, Subject, crop_window

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
"""Frame shapes: landscape for screens, portrait for phones, square for feeds."""
FIT_BEYOND = 1.4
"""A photo whose shape differs from the frame's by more than this ratio is shown whole,
over a blurred copy of itself, rather than cropped (a portrait photo in a landscape video)."""


@dataclass(frozen=True, kw_only=True)
class Look:
    """How a recap video feels, as its TOML file gives it (memories/templates/video/)."""

    name: str
    description: str = ""
    fps: int = 30
    short_edge: int = 1080
    """Pixels on the frame's short side: 1080 makes 1920x1080 at 16:9."""
    title_seconds: float = 3.5
    end_seconds: float = 3.0
    crossfade: float = 0.8
    max_photo_seconds: float = 5.5
    """The longest a photo stays; with many photos each gets less, to keep within a minute."""
    clip_seconds: float = 5.0
    """The most of a video clip that is shown."""
    zoom: float = 1.15
    """How much closer the camera ends (or starts) than the whole photo."""
    background: str = "#101010"
    ink: str = "#f6f2ea"
    preset: str = "veryfast"
    """libx264's speed preset."""
    crf: int = 21
    """libx264's constant quality: lower is better and larger."""

    def __post_init__(self) -> None:
        if not (1 <= self.fps <= 120 and self.zoom >= 1 and self.crossfade >= 0):
            raise ValueError("fps must be 1-120, zoom at least 1 and crossfade at least 0")
        if self.max_photo_seconds < self.shortest_photo:
            raise ValueError(f"max_photo_seconds must be at least {self.shortest_photo:.1f}")

    @property
    def shortest_photo(self) -> float:
        """Long enough to fade in, be seen, and fade out."""
        return 2 * self.crossfade + 0.6
        if not (64 <= self.short_edge <= 4320 and self.short_edge % 2 == 0):
            raise ValueError("short_edge must be an even number of pixels, 64-4320")

    def frame_size(self, aspect: str) -> tuple[int, int]:
        """Width and height of a frame of this shape (even numbers, as H.264 wants)."""
        across, down = ASPECTS[aspect]
        long_edge = self.short_edge * max(across, down) / min(across, down)
        long_edge = int(round(long_edge / 2) * 2)
        return (long_edge, self.short_edge) if across >= down else (self.short_edge, long_edge)


class ShotKind(StrEnum):
    TITLE = "title"
    PHOTO = "photo"
    CLIP = "clip"
    END = "end"


@dataclass(frozen=True, slots=True)
class ShotSubject:
    """A photo or video clip to show, as framing sees it."""

    subject: Subject
    clip_seconds: float | None = None
    """The clip's length, for a video; None for a photo."""


@dataclass(frozen=True, slots=True)
class Shot:
    """One shot. Title and end cards show `source` (the cover) blurred behind their words.
    The camera shows the window `move_from` at the start and glides to `move_to` (in the
    source's displayed pixels); a `fit` shot shows that window whole over a blurred copy
    of the photo, a filled one crops it to the frame."""

    kind: ShotKind
    start: float
    duration: float
    source: int
    """Index into the subjects the storyboard was made for."""
    fit: bool
    move_from: Rect
    move_to: Rect
    clip_from: float = 0.0
    """For a clip: the second of it that the shot starts at."""

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Storyboard:
    width: int
    height: int
    fps: int
    crossfade: float
    shots: tuple[Shot, ...]

    @property
    def duration(self) -> float:
        return self.shots[-1].end if self.shots else 0.0


def target_length(count: int) -> float:
    """Seconds a recap of `count` photos and clips should last: 20 s for a handful, 2 s
    more per shot, 60 s at most (people watch short videos to the end)."""
    return min(60.0, max(20.0, 12.0 + 2.0 * count))


def plan_storyboard(
    subjects: Sequence[ShotSubject], look: Look, *, size: tuple[int, int], cover: int = 0
) -> Storyboard:
    """Title card, every subject in order, end card; crossfades between all of them."""
    width, height = size
    frame_aspect = width / height
    clips = [min(s.clip_seconds, look.clip_seconds) for s in subjects if s.clip_seconds]
    photos = sum(s.clip_seconds is None for s in subjects)
    overlap = look.crossfade * (len(subjects) + 1)
    left_for_photos = target_length(len(subjects)) - look.title_seconds - look.end_seconds
    left_for_photos += overlap - sum(clips)
    per_photo = min(look.max_photo_seconds,
                    max(look.shortest_photo, left_for_photos / max(1, photos)))  # fmt: skip
    card = _still(subjects[cover].subject, frame_aspect) if subjects else Rect(0, 0, 1, 1)
    shots = [Shot(ShotKind.TITLE, 0.0, look.title_seconds, cover, False, card, card)]
    for index, shot_subject in enumerate(subjects):
        start = shots[-1].end - look.crossfade
        if shot_subject.clip_seconds is not None:
            shots.append(_clip(index, shot_subject, start, look, frame_aspect))
        else:
            fit, move_from, move_to = camera_move(shot_subject.subject, frame_aspect, look,
                                                  closing_in=index % 2 == 0)  # fmt: skip
            shots.append(Shot(ShotKind.PHOTO, start, per_photo, index, fit, move_from, move_to))
    end_start = shots[-1].end - look.crossfade
    shots.append(Shot(ShotKind.END, end_start, look.end_seconds, cover, False, card, card))
    return Storyboard(width, height, look.fps, look.crossfade, tuple(_rounded(s) for s in shots))


def camera_move(
    subject: Subject, frame_aspect: float, look: Look, *, closing_in: bool
) -> tuple[bool, Rect, Rect]:
    """Whether the photo is shown whole (`fit`), and the windows the camera glides between.
    With faces the camera always ends close on them; without, it closes in on the centre
    of interest or (every other shot, `closing_in` false) draws back from it."""
    fit = _fits(subject, frame_aspect)
    shape = subject.aspect if fit else frame_aspect
    zoom = 1 + (look.zoom - 1) / 2 if fit else look.zoom  # less, when the whole photo shows
    wide = crop_window(subject, shape)
    close = crop_window(subject, shape, zoom=zoom)
    held = _faces_held(wide, subject)
    while zoom > 1.0 and _faces_held(close, subject) < held:  # never zoom past a face
        zoom = max(1.0, zoom - 0.03)
        close = crop_window(subject, shape, zoom=zoom)
    if subject.faces or closing_in:
        return fit, wide, close
    return fit, close, wide


def _faces_held(window: Rect, subject: Subject) -> int:
    return sum(
        left >= window.left - 0.5 and right <= window.right + 0.5
        and top >= window.top - 0.5 and bottom <= window.bottom + 0.5
        for top, right, bottom, left in subject.faces
    )  # fmt: skip


def window_at(shot: Shot, time: float) -> Rect:
    """The camera's window at `time` (seconds into the video), eased in and out."""
    progress = min(1.0, max(0.0, (time - shot.start) / shot.duration)) if shot.duration else 1.0
    eased = progress * progress * (3 - 2 * progress)
    a, b = shot.move_from, shot.move_to
    return Rect(
        a.left + (b.left - a.left) * eased,
        a.top + (b.top - a.top) * eased,
        a.width + (b.width - a.width) * eased,
        a.height + (b.height - a.height) * eased,
    )


def shots_at(storyboard: Storyboard, time: float) -> tuple[Shot, Shot | None, float]:
    """The shot on screen at `time`, the one it is fading in over (None outside a
    crossfade), and how far the fade has gone (0 to 1)."""
    shots = storyboard.shots
    current = next((i for i in range(len(shots) - 1, -1, -1) if shots[i].start <= time), 0)
    previous = shots[current - 1] if current > 0 else None
    if previous is None or time >= previous.end or storyboard.crossfade == 0:
        return shots[current], None, 1.0
    return shots[current], previous, (time - shots[current].start) / storyboard.crossfade


def _clip(
    index: int, shot_subject: ShotSubject, start: float, look: Look, frame_aspect: float
) -> Shot:
    """A video clip: its first seconds (up to the look's clip length), with no camera move."""
    length = shot_subject.clip_seconds or 0.0
    shown = min(length, look.clip_seconds)
    subject = shot_subject.subject
    fit = _fits(subject, frame_aspect)
    window = Rect(0, 0, subject.width, subject.height) if fit else _still(subject, frame_aspect)
    duration = max(shown, look.crossfade * 2 + 0.5)  # a very short clip holds its last frame
    return Shot(ShotKind.CLIP, start, duration, index, fit, window, window,
                clip_from=min(0.5, max(0.0, length - shown)))  # fmt: skip


def _still(subject: Subject, frame_aspect: float) -> Rect:
    return crop_window(subject, frame_aspect)


def _fits(subject: Subject, frame_aspect: float) -> bool:
    return abs(math.log(subject.aspect / frame_aspect)) > math.log(FIT_BEYOND)


def _rounded(shot: Shot) -> Shot:
    """Times to the millisecond, so that golden files read well and compare exactly."""
    return Shot(
        shot.kind, round(shot.start, 3), round(shot.duration, 3), shot.source, shot.fit,
        _round_rect(shot.move_from), _round_rect(shot.move_to), round(shot.clip_from, 3),
    )  # fmt: skip


def _round_rect(rect: Rect) -> Rect:
    return Rect(round(rect.left, 1), round(rect.top, 1), round(rect.width, 1),
                round(rect.height, 1))  # fmt: skip
