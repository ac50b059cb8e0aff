"""Recap videos: a memory's storyboard (render/storyboard.py) painted frame by frame and
encoded with moviepy and the ffmpeg that imageio-ffmpeg ships: H.264, yuv420p, faststart,
so that it plays in every browser and phone; optional music, trimmed and faded out."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import struct
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from memories.errors import ConfigError, MemoriesError
from memories.model import Memory, Photo, PhotoKind, TimelinePhoto
from memories.render.framing import Rect, Subject
from memories.render.location import MP4_LOCATION_KEY, Point, iso6709
from memories.render.storyboard import (
    Look,
    Shot,
    ShotKind,
    ShotSubject,
    Storyboard,
    plan_storyboard,
    shots_at,
    window_at,
)  # fmt: skip
from memories.render.text import fitted, font, people_words
from memories.scan.images import decode_displayed

if TYPE_CHECKING:
    from moviepy import VideoFileClip

MUSIC_SUFFIXES = (".mp3", ".m4a", ".aac", ".wav", ".ogg", ".oga", ".opus", ".flac")
MUSIC_FADE_S = 3.0
FULL_DISK_BYTES = 4 * 1024 * 1024
"""Less space than this left beside a video ffmpeg did not finish means the disk is full."""


@dataclass(frozen=True, slots=True)
class VideoPlan:
    """A recap before it is frames: its storyboard and what each shot shows."""

    storyboard: Storyboard
    sources: tuple[Photo, ...]
    look: Look
    music: Path | None


def plan_video(
    memory: Memory,
    photos: Mapping[str, Photo],
    subjects: Mapping[str, Subject],
    look: Look,
    *,
    size: tuple[int, int],
    music: Path | None = None,
) -> VideoPlan:
    """The storyboard for a memory's photos and clips, in time order, opening on its cover.
    `subjects` gives the framing of each still photo by content hash."""
    shown = [p for p in memory.photos if p.kind in (PhotoKind.PHOTO, PhotoKind.VIDEO)]
    sources = tuple(photos[photo.content_hash] for photo in shown)
    shot_subjects = [_shot_subject(photo, source, subjects)
                     for photo, source in zip(shown, sources, strict=True)]  # fmt: skip
    cover = next((i for i, photo in enumerate(shown) if photo == memory.cover), 0)
    if shown[cover].kind is PhotoKind.VIDEO:
        cover = next((i for i, p in enumerate(shown) if p.kind is PhotoKind.PHOTO), cover)
    storyboard = plan_storyboard(shot_subjects, look, size=size, cover=cover)
    return VideoPlan(storyboard, sources, look, music)


def pick_music(source: Path | None, memory_id: str) -> Path | None:
    """The music for a memory: the file given, or one from the folder given (the same one
    for the same memory on every run); None without either."""
    if source is None:
        return None
    if source.is_file():
        return source
    if source.is_dir():
        tracks = sorted(p for p in source.iterdir() if p.suffix.lower() in MUSIC_SUFFIXES)
        if not tracks:
            raise ConfigError(f"no music files ({', '.join(MUSIC_SUFFIXES)}) in {source}")
        digest = int.from_bytes(hashlib.sha256(memory_id.encode()).digest()[:8], "big")
        return tracks[digest % len(tracks)]
    raise ConfigError(f"music: {source} is not a file or folder")


def encode_video(
    plan: VideoPlan,
    memory: Memory,
    path: Path,
    *,
    threads: int = 2,
    location: Point | None = None,
) -> None:
    """Paint every frame and encode the video to `path` (an .mp4 name: ffmpeg picks the
    format from it). It carries no metadata but its encoder's name, and a `location` when
    one is given (`--keep-location`)."""
    from moviepy import AudioFileClip, VideoClip, afx

    painter = _Painter(plan, memory)
    board = plan.storyboard
    video = VideoClip(frame_function=painter.frame, duration=board.duration)
    audio = None
    try:
        if plan.music is not None:
            audio = AudioFileClip(str(plan.music))
            length = min(audio.duration, board.duration)
            video = video.with_audio(
                audio.subclipped(0, length).with_effects(
                    [afx.AudioFadeIn(0.5), afx.AudioFadeOut(min(MUSIC_FADE_S, length / 2))]
                )
            )
        video.write_videofile(
            str(path), fps=board.fps, codec="libx264", preset=plan.look.preset,
            audio=audio is not None, audio_codec="aac", pixel_format="yuv420p",
            threads=threads, logger=None,
            ffmpeg_params=["-crf", str(plan.look.crf), *_location_params(location)],
        )  # fmt: skip
    finally:
        painter.close()
        if audio is not None:
            audio.close()
    if not is_whole_mp4(path):  # moviepy does not check how ffmpeg ended
        if shutil.disk_usage(path.parent).free < FULL_DISK_BYTES:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise MemoriesError(f"ffmpeg did not finish the video of {memory.id}")


def is_whole_mp4(path: Path) -> bool:
    """Whether the file is MP4 boxes that end exactly where it ends, one of them the `moov`
    index a player needs: ffmpeg leaves that only when it finished."""
    size = path.stat().st_size
    offset, kinds = 0, set()
    with open(path, "rb") as file:
        while offset < size:
            file.seek(offset)
            header = file.read(16)
            if len(header) < 8:
                return False
            length, kind = struct.unpack(">I4s", header[:8])
            if length == 1 and len(header) == 16:  # a 64-bit size follows
                length = struct.unpack(">Q", header[8:])[0]
            elif length == 0:  # the box runs to the end of the file
                length = size - offset
            if length < 8:
                return False
            kinds.add(kind)
            offset += length
    return offset == size and b"moov" in kinds


def _location_params(location: Point | None) -> list[str]:
    if location is None:
        return ["-movflags", "+faststart"]
    tag = f"{MP4_LOCATION_KEY}={iso6709(location)}"
    return ["-movflags", "+faststart+use_metadata_tags", "-metadata", tag]


class _Painter:
    """Paints the frame at any time of a storyboard, keeping the few decoded photos that
    the shots on screen need (a crossfade needs two)."""

    def __init__(self, plan: VideoPlan, memory: Memory) -> None:
        self.plan = plan
        self.memory = memory
        self.size = (plan.storyboard.width, plan.storyboard.height)
        self._prepared: OrderedDict[Shot, _Prepared] = OrderedDict()
        self._clips: dict[int, VideoFileClip] = {}

    def frame(self, time: float) -> np.ndarray:
        import cv2

        shot, previous, progress = shots_at(self.plan.storyboard, time)
        frame = self._paint(shot, time)
        if previous is not None:
            frame = cv2.addWeighted(self._paint(previous, time), 1 - progress, frame, progress, 0)
        return frame

    def close(self) -> None:
        for clip in self._clips.values():
            clip.close()

    def _paint(self, shot: Shot, time: float) -> np.ndarray:
        """The shot's frame: the camera's window of the photo scaled onto the frame (one
        affine warp, in OpenCV: several times faster than Pillow's resampling)."""
        import cv2

        prepared = self._prepare(shot)
        if prepared.card is not None:
            return prepared.card
        if shot.kind is ShotKind.CLIP:
            source, factor = self._clip_frame(shot, time), 1.0
        else:
            assert prepared.photo is not None
            source, factor = prepared.photo, prepared.factor
        window = window_at(shot, time).scaled(factor)
        width, height = self.size
        if shot.fit:
            scale = min(width / window.width, height / window.height)
            left = (width - window.width * scale) / 2
            top = (height - window.height * scale) / 2
        else:
            scale, left, top = width / window.width, 0.0, 0.0
        warp = np.array([[scale, 0, left - window.left * scale],
                         [0, scale, top - window.top * scale]])  # fmt: skip
        if not shot.fit:
            return cv2.warpAffine(source, warp, self.size, flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        assert prepared.backdrop is not None
        inner = (int(left), int(top), width - int(left), height - int(top))
        frame = prepared.backdrop.copy()
        # only the photo's own rectangle is warped onto the backdrop
        region = frame[inner[1] : inner[3], inner[0] : inner[2]]
        warp[0, 2] -= inner[0]
        warp[1, 2] -= inner[1]
        cv2.warpAffine(source, warp, (region.shape[1], region.shape[0]), dst=region,
                       flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)  # fmt: skip
        return frame

    def _prepare(self, shot: Shot) -> _Prepared:
        if shot in self._prepared:
            self._prepared.move_to_end(shot)
            return self._prepared[shot]
        prepared = self._decode(shot)
        self._prepared[shot] = prepared
        while len(self._prepared) > 3:
            self._prepared.popitem(last=False)
        return prepared

    def _decode(self, shot: Shot) -> _Prepared:
        photo = self.plan.sources[shot.source]
        if shot.kind in (ShotKind.TITLE, ShotKind.END):
            return _Prepared(card=np.asarray(self._card(shot, photo)))
        if shot.kind is ShotKind.CLIP:
            clip = self._clip(shot)
            first = Image.fromarray(clip.get_frame(shot.clip_from))
            return _Prepared(backdrop=np.asarray(self._backdrop(first)) if shot.fit else None)
        # decoded just large enough for the closest window to fill the frame
        closest = min(shot.move_from.width, shot.move_to.width)
        needed = max(self.size[0] / closest, self.size[1] / (closest * photo.height / photo.width))
        edge = round(max(photo.width, photo.height) * min(1.0, needed * 1.05))
        image = decode_displayed(photo, "RGB", edge, srgb=True)
        backdrop = np.asarray(self._backdrop(image)) if shot.fit else None
        return _Prepared(photo=np.asarray(image), factor=image.width / photo.width,
                         backdrop=backdrop)  # fmt: skip

    def _backdrop(self, image: Image.Image) -> Image.Image:
        """The photo filling the frame, blurred and dimmed: what shows beside a photo of
        another shape, instead of black bars."""
        small = _cover(image, (self.size[0] // 8, self.size[1] // 8))
        blurred = small.filter(ImageFilter.GaussianBlur(6))
        dimmed = ImageEnhance.Brightness(blurred).enhance(0.55)
        return dimmed.resize(self.size, Image.Resampling.BICUBIC)

    def _card(self, shot: Shot, photo: Photo) -> Image.Image:
        """A title or end card: words over the cover, blurred."""
        memory, width, height = self.memory, *self.size
        if photo.kind is PhotoKind.PHOTO:
            card = self._backdrop(decode_displayed(photo, "RGB", 640, srgb=True))
        else:
            card = Image.new("RGB", self.size, self.plan.look.background)
        draw = ImageDraw.Draw(card)
        room = width * 0.84
        unit = min(width, height)
        if shot.kind is ShotKind.TITLE:
            lines = [(memory.title, 0.085), (memory.dates, 0.04), (memory.place or "", 0.04)]
        else:
            with_people = f"With {people_words(memory.people)}" if memory.people else ""
            lines = [(memory.title, 0.06), (with_people, 0.04), (memory.dates, 0.035)]
        sized = [fitted(draw, text, round(unit * share), room) for text, share in lines if text]
        total = sum(size * 1.5 for _, size in sized)
        top = (height - total) / 2
        for text, size in sized:
            draw.text((width / 2, top), text, fill=self.plan.look.ink, font=font(size),
                      anchor="ma")  # fmt: skip
            top += size * 1.5
        return card

    def _clip(self, shot: Shot) -> VideoFileClip:
        from moviepy import VideoFileClip

        if shot.source not in self._clips:
            self._clips[shot.source] = VideoFileClip(
                str(self.plan.sources[shot.source].path), audio=False
            )
        return self._clips[shot.source]

    def _clip_frame(self, shot: Shot, time: float) -> np.ndarray:
        import cv2

        clip = self._clip(shot)
        at = min(shot.clip_from + max(0.0, time - shot.start), clip.duration - 1 / clip.fps)
        frame = clip.get_frame(max(0.0, at))
        photo = self.plan.sources[shot.source]
        if frame.shape[:2] != (photo.height, photo.width):  # the storyboard's windows are in these
            frame = cv2.resize(frame, (photo.width, photo.height), interpolation=cv2.INTER_LINEAR)
        return frame


@dataclass
class _Prepared:
    """What a shot paints from, as RGB arrays."""

    photo: np.ndarray | None = None
    factor: float = 1.0
    """Decoded pixels per displayed pixel of the photo."""
    backdrop: np.ndarray | None = None
    card: np.ndarray | None = None


def _shot_subject(
    photo: TimelinePhoto, source: Photo, subjects: Mapping[str, Subject]
) -> ShotSubject:
    if photo.kind is PhotoKind.VIDEO:
        return ShotSubject(
            Subject(source.width, source.height), clip_seconds=source.duration or 0.0
        )
    return ShotSubject(subjects[photo.content_hash])


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    scale = max(size[0] / image.width, size[1] / image.height)
    width, height = image.width * scale, image.height * scale
    box = Rect((width - size[0]) / 2 / scale, (height - size[1]) / 2 / scale,
               size[0] / scale, size[1] / scale)  # fmt: skip
    return image.resize(size, Image.Resampling.BILINEAR,
                        box=(box.left, box.top, box.right, box.bottom))  # fmt: skip
