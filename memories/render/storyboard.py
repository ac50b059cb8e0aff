"""A recap video as data before it is frames: its shots, when each starts and how long it
lasts, the camera move over each photo, the fade into each shot, and where the words of
its cards go. Pure; with music, render/beats.py decides when the cuts fall."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from memories.render.framing import Rect, Subject, crop_window

if TYPE_CHECKING:
    from memories.render.clip_scores import ClipScores
    from memories.render.music import MusicAnalysis

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
"""Frame shapes: landscape for screens, portrait for phones, square for feeds."""
FIT_BEYOND = 1.4
"""A photo whose shape differs from the frame's by more than this ratio is shown whole,
over a blurred copy of itself, rather than cropped (a portrait photo in a landscape video);
on a phone's frame, one whose faces all fit a frame-shaped window fills the frame instead."""
PAN_SHARE = 0.6
"""How much of the room beside a frame-shaped window a pan across a wide photo travels."""
MAP_ZOOM = 1.12
"""A trip's map is drawn this much larger than the frame, for the camera to close in on."""


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
    map_seconds: float = 3.0
    """How long a trip's route map shows, after the title."""
    card_seconds: float = 2.5
    """How long each of a year's number cards shows, between its photos."""
    crossfade: float = 0.8
    max_photo_seconds: float = 5.5
    """The longest a photo stays; with many photos each gets less, to keep within a minute."""
    clip_seconds: float = 5.0
    """The most of a video clip that is shown: its best seconds."""
    zoom: float = 1.15
    """How much closer the camera ends (or starts) than the whole photo."""
    background: str = "#101010"
    ink: str = "#f6f2ea"
    preset: str = "veryfast"
    """libx264's speed preset."""
    crf: int = 21
    """libx264's constant quality: lower is better and larger; hardware encoders get the
    constant-quality setting that matches it (render/encoders.py)."""

    def __post_init__(self) -> None:
        if not (1 <= self.fps <= 120 and self.zoom >= 1 and self.crossfade >= 0):
            raise ValueError("fps must be 1-120, zoom at least 1 and crossfade at least 0")
        if self.max_photo_seconds < self.shortest_photo:
            raise ValueError(f"max_photo_seconds must be at least {self.shortest_photo:.1f}")
        if not (64 <= self.short_edge <= 4320 and self.short_edge % 2 == 0):
            raise ValueError("short_edge must be an even number of pixels, 64-4320")

    @property
    def shortest_photo(self) -> float:
        """Long enough to fade in, be seen, and fade out."""
        return 2 * self.crossfade + 0.6

    def frame_size(self, aspect: str) -> tuple[int, int]:
        """Width and height of a frame of this shape (even numbers, as H.264 wants)."""
        across, down = ASPECTS[aspect]
        long_edge = self.short_edge * max(across, down) / min(across, down)
        long_edge = int(round(long_edge / 2) * 2)
        return (long_edge, self.short_edge) if across >= down else (self.short_edge, long_edge)


class ShotKind(StrEnum):
    TITLE = "title"
    MAP = "map"
    CARD = "card"
    """One of a year in review's numbers, over the blurred cover."""
    PHOTO = "photo"
    LIVE = "live"
    """A Live Photo or motion photo playing its motion clip."""
    CLIP = "clip"
    END = "end"


@dataclass(frozen=True, slots=True)
class ShotSubject:
    """A photo or video clip to show, as framing and timing see it."""

    subject: Subject
    clip_seconds: float | None = None
    """The clip's length, for a video; None for a photo."""
    scores: ClipScores | None = None
    """What happens when in a video clip, for choosing its best seconds."""
    sound: bool = False
    """Whether a clip plays its own sound (the music is ducked under it)."""
    motion_seconds: float | None = None
    """A Live Photo's motion clip length; its frames are framed like the still (`subject`)."""


@dataclass(frozen=True, slots=True)
class Shot:
    """One shot. Title and end cards show `source` (the cover) blurred behind their words.
    The camera shows the window `move_from` at the start and glides to `move_to` (in the
    source's displayed pixels; a map's in its drawn pixels); a `fit` shot shows that window
    whole over a blurred copy of the photo, a filled one crops it to the frame. The shot
    fades in over the one before it for `fade` seconds from its `start` (0: a hard cut)."""

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
    fade: float = 0.0
    sound: bool = False
    """Whether the clip's own sound plays."""
    card: int | None = None
    """For a number card: which of the memory's insights it shows."""

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Storyboard:
    width: int
    height: int
    fps: int
    shots: tuple[Shot, ...]

    @property
    def duration(self) -> float:
        return self.shots[-1].end if self.shots else 0.0


def target_length(count: int) -> float:
    """Seconds a recap of `count` photos and clips should last: 20 s for a handful, 2 s
    more per shot, 60 s at most (people watch short videos to the end)."""
    return min(60.0, max(20.0, 12.0 + 2.0 * count))


def plan_storyboard(
    subjects: Sequence[ShotSubject],
    look: Look,
    *,
    size: tuple[int, int],
    cover: int = 0,
    music: MusicAnalysis | None = None,
    route_map: bool = False,
    cards: int = 0,
) -> Storyboard:
    """Title card, a trip's route map (`route_map`), every subject in order with `cards`
    number cards spread between them, end card. With `music`, the cuts fall on its beats
    (render/beats.py); without, every shot crossfades into the next and photos share the
    time left by the cards and clips."""
    width, height = size
    frame_aspect = width / height
    shown = [_shown_clip(s, look) for s in subjects]
    lives = [_live_length(s, look) for s in subjects]
    photos = sum(s.clip_seconds is None and s.motion_seconds is None for s in subjects)
    middle = len(subjects) + route_map + cards
    overlap = look.crossfade * (middle + 1)
    left_for_photos = target_length(len(subjects) + cards) - look.title_seconds
    left_for_photos += overlap - sum(shown) - sum(lives) - look.map_seconds * route_map
    left_for_photos -= look.end_seconds + look.card_seconds * cards
    card_after = _spread(cards, len(subjects))
    per_photo = min(look.max_photo_seconds,
                    max(look.shortest_photo, left_for_photos / max(1, photos)))  # fmt: skip
    card = _still(subjects[cover].subject, frame_aspect) if subjects else Rect(0, 0, 1, 1)
    shots = [Shot(ShotKind.TITLE, 0.0, look.title_seconds, cover, False, card, card)]
    if route_map:
        whole = Rect(0, 0, width * MAP_ZOOM, height * MAP_ZOOM)
        close = Rect(width * (MAP_ZOOM - 1) / 2, height * (MAP_ZOOM - 1) / 2, width, height)
        shots.append(Shot(ShotKind.MAP, 0.0, look.map_seconds, cover, False, whole, close))
    for index, shot_subject in enumerate(subjects):
        if shot_subject.clip_seconds is not None:
            shots.append(_clip(index, shot_subject, shown[index], look, frame_aspect))
        else:
            fit, move_from, move_to = camera_move(shot_subject.subject, frame_aspect, look,
                                                  closing_in=index % 2 == 0)  # fmt: skip
            kind, seconds = ShotKind.PHOTO, per_photo
            if lives[index]:
                kind, seconds = ShotKind.LIVE, lives[index]
            shots.append(Shot(kind, 0.0, seconds, index, fit, move_from, move_to))
        for number in card_after.get(index, ()):
            shots.append(Shot(ShotKind.CARD, 0.0, look.card_seconds, cover, False, card, card,
                              card=number))  # fmt: skip
    shots.append(Shot(ShotKind.END, 0.0, look.end_seconds, cover, False, card, card))
    if music is not None:
        from memories.render.beats import cut_on_beats

        shots = cut_on_beats(shots, music, look)
    else:
        shots = one_after_another(shots, look.crossfade)
    shots = [_with_best_seconds(shot, subjects) for shot in shots]
    return Storyboard(width, height, look.fps, tuple(_rounded(s) for s in shots))


def _spread(cards: int, subjects: int) -> dict[int, list[int]]:
    """After which subject each card comes: evenly between them, never after the last."""
    after: dict[int, list[int]] = {}
    for number in range(cards):
        index = max(0, min(subjects - 2, round((number + 1) * subjects / (cards + 1)) - 1))
        after.setdefault(index, []).append(number)
    return after


def one_after_another(shots: Sequence[Shot], crossfade: float) -> list[Shot]:
    """Each shot starting `crossfade` before the one before it ends, fading in."""
    placed = [replace(shots[0], start=0.0, fade=0.0)]
    for shot in shots[1:]:
        placed.append(replace(shot, start=placed[-1].end - crossfade, fade=crossfade))
    return placed


def camera_move(
    subject: Subject, frame_aspect: float, look: Look, *, closing_in: bool
) -> tuple[bool, Rect, Rect]:
    """Whether the photo is shown whole (`fit`), and the windows the camera glides between.
    With faces the camera always ends close on them; without, it closes in on the centre
    of interest or (every other shot, `closing_in` false) draws back from it. On a phone's
    frame a wide photo fills the frame where its faces fit, and one without faces is
    panned across."""
    fit = _fits(subject, frame_aspect)
    if fit and frame_aspect <= 1:
        if not subject.faces:
            return (False, *_pan(subject, frame_aspect, forwards=closing_in))
        if _faces_held(crop_window(subject, frame_aspect), subject) == len(subject.faces):
            fit = False
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


def _pan(subject: Subject, frame_aspect: float, *, forwards: bool) -> tuple[Rect, Rect]:
    """A frame-shaped window sliding across a photo much wider (or taller) than the frame,
    through its centre of interest."""
    window = crop_window(subject, frame_aspect)
    room_x, room_y = subject.width - window.width, subject.height - window.height
    travel_x, travel_y = room_x * PAN_SHARE / 2, room_y * PAN_SHARE / 2
    middle_x = min(room_x - travel_x, max(travel_x, window.left))
    middle_y = min(room_y - travel_y, max(travel_y, window.top))
    first = Rect(middle_x - travel_x, middle_y - travel_y, window.width, window.height)
    last = Rect(middle_x + travel_x, middle_y + travel_y, window.width, window.height)
    return (first, last) if forwards else (last, first)


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
    """The shot on screen at `time`, the one it is fading in over (None outside a fade),
    and how far the fade has gone (0 to 1)."""
    shots = storyboard.shots
    current = next((i for i in range(len(shots) - 1, -1, -1) if shots[i].start <= time), 0)
    shot = shots[current]
    previous = shots[current - 1] if current > 0 else None
    if previous is None or shot.fade == 0 or time >= shot.start + shot.fade:
        return shot, None, 1.0
    return shot, previous, (time - shot.start) / shot.fade


def text_area(width: int, height: int) -> Rect:
    """Where a card's words go: inside what a phone's interface leaves uncovered on a
    portrait frame (the app's header above, captions and buttons below, the like and
    share buttons on the right), a feed's caption strip on a square one, and the title
    safe area of a screen on a landscape one."""
    if height > width * 1.2:
        left, right, top, bottom = 0.08, 0.16, 0.14, 0.26
    elif height >= width * 0.9:
        left, right, top, bottom = 0.08, 0.08, 0.08, 0.14
    else:
        left, right, top, bottom = 0.08, 0.08, 0.1, 0.1
    return Rect(width * left, height * top, width * (1 - left - right),
                height * (1 - top - bottom))  # fmt: skip


def _shown_clip(shot_subject: ShotSubject, look: Look) -> float:
    """Seconds of a video clip shown: all of it, up to the look's clip length."""
    if shot_subject.clip_seconds is None:
        return 0.0
    return min(shot_subject.clip_seconds, look.clip_seconds)


def _live_length(shot_subject: ShotSubject, look: Look) -> float:
    """Seconds a Live Photo's shot lasts: its motion, within a photo's shortest and longest."""
    if shot_subject.motion_seconds is None or shot_subject.clip_seconds is not None:
        return 0.0
    return min(look.max_photo_seconds, max(look.shortest_photo, shot_subject.motion_seconds))


def _clip(index: int, shot_subject: ShotSubject, shown: float, look: Look,
          frame_aspect: float) -> Shot:  # fmt: skip
    """A video clip, without a camera move; which of its seconds comes once it is timed."""
    subject = shot_subject.subject
    fit = _fits(subject, frame_aspect)
    window = Rect(0, 0, subject.width, subject.height) if fit else _still(subject, frame_aspect)
    duration = max(shown, look.crossfade * 2 + 0.5)  # a very short clip holds its last frame
    return Shot(ShotKind.CLIP, 0.0, duration, index, fit, window, window,
                sound=shot_subject.sound)  # fmt: skip


def _with_best_seconds(shot: Shot, subjects: Sequence[ShotSubject]) -> Shot:
    """A clip starting at its best seconds for the time it was given: where most happens,
    when its scores are known; else just after its first half second (phones' clips often
    start with a shake)."""
    if shot.kind is not ShotKind.CLIP:
        return shot
    shot_subject = subjects[shot.source]
    length = shot_subject.clip_seconds or 0.0
    if shot_subject.scores is None:
        return replace(shot, clip_from=min(0.5, max(0.0, length - shot.duration)))
    from memories.render.clip_scores import best_segment

    return replace(shot, clip_from=best_segment(shot_subject.scores, min(length, shot.duration)))


def _still(subject: Subject, frame_aspect: float) -> Rect:
    return crop_window(subject, frame_aspect)


def _fits(subject: Subject, frame_aspect: float) -> bool:
    return abs(math.log(subject.aspect / frame_aspect)) > math.log(FIT_BEYOND)


def _rounded(shot: Shot) -> Shot:
    """Times to the millisecond, so that golden files read well and compare exactly."""
    return replace(
        shot, start=round(shot.start, 3), duration=round(shot.duration, 3),
        move_from=_round_rect(shot.move_from), move_to=_round_rect(shot.move_to),
        clip_from=round(shot.clip_from, 3), fade=round(shot.fade, 3),
    )  # fmt: skip


def _round_rect(rect: Rect) -> Rect:
    return Rect(round(rect.left, 1), round(rect.top, 1), round(rect.width, 1),
                round(rect.height, 1))  # fmt: skip
