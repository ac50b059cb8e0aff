"""Faces blurred out of a shared memory: the boxes of each still to blur, the faces to blur
in each clip or Live Photo motion over time (found in its frames and told apart from the
named people's faces), and the blur itself, which nothing in a face survives."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from memories.render.clips import ClipInfo, ClipSource
    from memories.render.video import VideoPlan

Box = tuple[int, int, int, int]
"""top, right, bottom, left, in a picture's full-size displayed pixels."""

GROW_ACROSS = 0.35
GROW_UP = 0.6
GROW_DOWN = 0.35
"""A face box (eyebrows to chin, ear to ear) grown by these shares of its size to cover the
hair, ears and chin that also tell who someone is."""
BLUR_CELLS = 6
"""The face is shrunk to this many cells across before it is smoothed back: no feature
smaller than a sixth of the face is left, whatever the output's size."""
TRACK_RATE = 6.0
"""Frames a second of a clip looked at for faces."""
TRACK_EDGE = 960
"""Long edge those frames are read at: with one upsampling, the HOG detector finds faces
down to about 40 pixels there (a face a twenty-fourth of the frame across)."""
TRACK_REACH_S = 2 / TRACK_RATE
"""A face found in one sample is blurred this long before and after it: a face the
detector misses for a frame (turned, moving) stays covered."""
NAMED_DISTANCE = 0.5
"""A face in a clip counts as a named person's within this distance of one of their faces:
stricter than the model's 0.6, since a stranger taken for someone named stays sharp."""


@dataclass(frozen=True, slots=True)
class FaceTrack:
    """Faces to blur in a clip, as found in its frames at `times` (seconds from the clip's
    start), in the full-size pixels the clip is framed in."""

    times: tuple[float, ...]
    boxes: tuple[tuple[Box, ...], ...]

    def at(self, time: float) -> list[Box]:
        """The boxes of every sample within reach of `time`."""
        low = bisect.bisect_left(self.times, time - TRACK_REACH_S - 1e-6)
        high = bisect.bisect_right(self.times, time + TRACK_REACH_S + 1e-6)
        return [box for sample in self.boxes[low:high] for box in sample]

    @property
    def faces(self) -> int:
        """The most faces blurred at once."""
        return max((len(sample) for sample in self.boxes), default=0)


@dataclass(frozen=True, slots=True)
class Veil:
    """What to blur in a memory's pictures: boxes on its stills, and tracks through its clips
    and Live Photo motions, both by content hash."""

    stills: Mapping[str, tuple[Box, ...]] = field(default_factory=dict)
    tracks: Mapping[str, FaceTrack] = field(default_factory=dict)

    def still(self, content_hash: str, image: Image.Image, full_width: int) -> Image.Image:
        """The photo (decoded at any size; `full_width` is its full displayed width) with
        the faces to blur blurred."""
        boxes = self.stills.get(content_hash)
        if not boxes:
            return image
        pixels = np.array(image.convert("RGB"))
        blur_faces(pixels, boxes, image.width / full_width)
        return Image.fromarray(pixels)

    def frame(self, content_hash: str, time: float, pixels: np.ndarray, scale: float) -> np.ndarray:
        """A clip's frame at `time` (seconds from the clip's start) with the faces near that
        time blurred; `scale` is frame pixels per full-size pixel."""
        track = self.tracks.get(content_hash)
        if track is None or not (boxes := track.at(time)):
            return pixels
        blurred = np.array(pixels)
        blur_faces(blurred, boxes, scale)
        return blurred


def blur_faces(pixels: np.ndarray, boxes: Sequence[Box], scale: float) -> None:
    """Blur each face (a box in full-size pixels, times `scale` in these) in place: the face
    and what around it tells who it is, shrunk to a few cells and smoothed back, laid in
    with a soft oval edge."""
    import cv2

    height, width = pixels.shape[:2]
    for top, right, bottom, left in boxes:
        across, down = (right - left) * scale, (bottom - top) * scale
        x0 = max(0, int(left * scale - across * GROW_ACROSS))
        x1 = min(width, int(np.ceil(right * scale + across * GROW_ACROSS)))
        y0 = max(0, int(top * scale - down * GROW_UP))
        y1 = min(height, int(np.ceil(bottom * scale + down * GROW_DOWN)))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = pixels[y0:y1, x0:x1]
        cells = (BLUR_CELLS, max(1, round(BLUR_CELLS * (y1 - y0) / (x1 - x0))))
        coarse = cv2.resize(region, cells, interpolation=cv2.INTER_AREA)
        smooth = cv2.resize(coarse, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
        soften = max(1.0, (x1 - x0) / BLUR_CELLS / 2)
        smooth = cv2.GaussianBlur(smooth, (0, 0), soften)
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        oval = (((x1 - x0) / 2, (y1 - y0) / 2), ((x1 - x0) * 0.96, (y1 - y0) * 0.96), 0.0)
        cv2.ellipse(mask, oval, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, (x1 - x0) / 40))[..., None]
        region[:] = (smooth * mask + region * (1 - mask)).astype(np.uint8)


def track_faces(
    frames: Sequence[np.ndarray],
    times: Sequence[float],
    scale: float,
    named: np.ndarray,
) -> FaceTrack:
    """The faces in these frames (RGB arrays at `scale` frame pixels per full-size pixel,
    read at `times`) that are nobody named: none of `named` (encodings, one per row) lies
    within `NAMED_DISTANCE` of them."""
    from memories.analyze.faces import MIN_SCORE, encodings_at, hog_detector

    detector = hog_detector()
    found = []
    for pixels in frames:
        pixels = np.ascontiguousarray(pixels)
        rectangles, _, _ = detector.run(pixels, 1, MIN_SCORE)
        boxes = [(r.top(), r.right(), r.bottom(), r.left()) for r in rectangles]
        strangers = boxes
        if boxes and len(named):
            encodings = encodings_at(pixels, boxes)
            strangers = [box for box, encoding in zip(boxes, encodings, strict=True)
                         if not is_named(encoding, named)]  # fmt: skip
        found.append(tuple(tuple(round(value / scale) for value in box) for box in strangers))
    return FaceTrack(tuple(times), tuple(found))  # type: ignore[arg-type]


def is_named(encoding: np.ndarray, named: np.ndarray) -> bool:
    """Whether a face lies within `NAMED_DISTANCE` of one of the named people's faces."""
    if not len(named):
        return False
    return bool(np.min(np.linalg.norm(named - encoding, axis=1)) < NAMED_DISTANCE)


def track_clip(
    source: ClipSource,
    info: ClipInfo,
    framed: tuple[int, int],
    named: np.ndarray,
    *,
    start: float = 0.0,
    length: float | None = None,
) -> FaceTrack:
    """The faces of nobody named in a clip's seconds `start` to `start + length`, found in
    `TRACK_RATE` frames a second; `framed` is the full size the clip is framed in (its own,
    or its still's for a Live Photo's motion)."""
    from memories.render.clips import ClipFrames
    from memories.render.framing import even

    length = max(0.0, info.duration - start) if length is None else length
    shrink = min(1.0, TRACK_EDGE / max(framed))
    size = (even(framed[0] * shrink), even(framed[1] * shrink))
    reader = ClipFrames(source, info, start=start, length=length, size=size, fps=TRACK_RATE)
    offsets = [step / TRACK_RATE for step in range(int(length * TRACK_RATE) + 1)]
    try:
        frames = [np.array(reader.frame_at(offset)) for offset in offsets]
    finally:
        reader.close()
    return track_faces(frames, [start + offset for offset in offsets], size[0] / framed[0], named)


@dataclass(frozen=True)
class Strangers:
    """Whose faces a shared copy blurs: on its stills, the boxes given (people not named or
    hidden, faces never grouped); in its clips and Live Photo motions, every face that is
    none of the `named` people's (their faces' encodings, one per row)."""

    stills: Mapping[str, tuple[Box, ...]]
    named: np.ndarray
    clips_blurred: list[str] = field(default_factory=list)
    """Content hashes of the clips and Live Photos whose faces `video_veil` blurred."""

    def veil(self) -> Veil:
        return Veil(self.stills)

    def video_veil(self, plan: VideoPlan) -> Veil:
        """The veil of a recap: the stills', and a track through the seconds of each clip
        and Live Photo motion it shows."""
        from memories.render.storyboard import ShotKind

        tracks = {}
        for shot in plan.storyboard.shots:
            if shot.kind not in (ShotKind.CLIP, ShotKind.LIVE):
                continue
            moving, photo = plan.moving[shot.source], plan.sources[shot.source]
            if shot.kind is ShotKind.CLIP:
                framed = (moving.info.width, moving.info.height)
            else:  # a Live Photo's motion is framed like its still
                framed = (photo.width, photo.height)
            track = track_clip(moving.source, moving.info, framed, self.named,
                               start=shot.clip_from, length=shot.duration)  # fmt: skip
            tracks[photo.content_hash] = track
            if track.faces:
                self.clips_blurred.append(photo.content_hash)
        return Veil(self.stills, tracks)
