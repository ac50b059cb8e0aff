"""A recap's frames: the picture at any time of its storyboard, painted from the photos,
clips, Live Photo motions and the trip's map that the shots on screen show."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from memories.language import language
from memories.model import Memory, Photo, PhotoKind
from memories.render.framing import Rect, even
from memories.render.storyboard import MAP_ZOOM, Shot, ShotKind, shots_at, text_area, window_at
from memories.render.text import draw_text, fitted, written_in
from memories.scan.images import decode_displayed

if TYPE_CHECKING:
    from memories.render.clips import ClipFrames
    from memories.render.video import VideoPlan

KEPT_SHOTS = 3
"""Decoded shots kept at once: a crossfade needs two, and the next is often the same photo."""
DRAFT_SLACK = 1.2
"""A JPEG is decoded at its cheap reduced size (a half, a quarter) when that has at least
1/1.2 of the pixels the closest window needs: the camera's last tenth of a zoom is then a
little soft, and the photo decodes three times as fast, without a resize."""


class Painter:
    """Paints the frame at any time of a plan's storyboard, keeping what the few shots on
    screen need (a crossfade needs two): decoded photos, open clip readers, drawn cards."""

    def __init__(self, plan: VideoPlan, memory: Memory) -> None:
        self.plan = plan
        self.memory = memory
        self.size = (plan.storyboard.width, plan.storyboard.height)
        self._prepared: OrderedDict[Shot, _Prepared] = OrderedDict()
        self._card_backdrops: dict[int, Image.Image] = {}
        """The cover behind the title, number and end cards, blurred once for all of them."""

    def frame(self, time: float) -> np.ndarray:
        import cv2

        shot, previous, progress = shots_at(self.plan.storyboard, time)
        frame = self._paint(shot, time)
        if previous is not None:
            frame = cv2.addWeighted(self._paint(previous, time), 1 - progress, frame, progress, 0)
        return frame

    def close(self) -> None:
        for prepared in self._prepared.values():
            prepared.close()
        self._prepared.clear()

    def _paint(self, shot: Shot, time: float) -> np.ndarray:
        """The shot's frame: the camera's window of the picture scaled onto the frame (one
        affine warp, in OpenCV: several times faster than Pillow's resampling)."""
        import cv2

        prepared = self._prepare(shot)
        if prepared.card is not None:
            return prepared.card
        if prepared.frames is not None:
            into = max(0.0, time - shot.start)
            source = prepared.frames.frame_at(into)
            if self.plan.veil is not None:
                moving = self.plan.sources[shot.source].content_hash
                source = self.plan.veil.frame(moving, shot.clip_from + into, source,
                                              prepared.factor)  # fmt: skip
        else:
            assert prepared.picture is not None
            source = prepared.picture
        window = window_at(shot, time).scaled(prepared.factor)
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
        # only the picture's own rectangle is warped onto the backdrop
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
        while len(self._prepared) > KEPT_SHOTS:
            self._prepared.popitem(last=False)[1].close()
        return prepared

    def _decode(self, shot: Shot) -> _Prepared:
        photo = self.plan.sources[shot.source]
        if shot.kind in (ShotKind.TITLE, ShotKind.END, ShotKind.CARD):
            return _Prepared(card=np.asarray(self._card(shot)))
        if shot.kind is ShotKind.MAP:
            return self._map()
        if shot.kind in (ShotKind.CLIP, ShotKind.LIVE):
            return self._moving(shot)
        factor = self._factor(shot)
        edge = round(max(photo.width, photo.height) * factor)
        image = decode_displayed(photo, "RGB", edge, srgb=True,
                                 draft_edge=round(edge / DRAFT_SLACK))  # fmt: skip
        image = self._veiled(photo, image)
        backdrop = np.asarray(self._backdrop(image)) if shot.fit else None
        return _Prepared(picture=np.asarray(image), factor=image.width / photo.width,
                         backdrop=backdrop)  # fmt: skip

    def _factor(self, shot: Shot) -> float:
        """Decoded pixels per displayed pixel: just enough for the closest window to fill
        the frame (a little more, for the warp's filter), never more than the source has."""
        closest = min(shot.move_from, shot.move_to, key=lambda window: window.width)
        across, down = self.size[0] / closest.width, self.size[1] / closest.height
        needed = min(across, down) if shot.fit else max(across, down)  # a fit shot is letterboxed
        return min(1.0, needed * 1.05)

    def _moving(self, shot: Shot) -> _Prepared:
        """A clip's frames, or a Live Photo's motion framed like its still, read at the size
        the shot needs; the backdrop from the first frame."""
        from memories.render.clips import ClipFrames

        moving = self.plan.moving[shot.source]
        photo = self.plan.sources[shot.source]
        framed_width = moving.info.width if shot.kind is ShotKind.CLIP else photo.width
        framed_height = moving.info.height if shot.kind is ShotKind.CLIP else photo.height
        factor = min(self._factor(shot), moving.info.width / framed_width)  # not past its own
        size = (even(framed_width * factor), even(framed_height * factor))
        frames: ClipFrames = ClipFrames(moving.source, moving.info, start=shot.clip_from,
                                        length=shot.duration, size=size,
                                        fps=self.plan.storyboard.fps)  # fmt: skip
        factor = size[0] / framed_width
        backdrop = None
        if shot.fit:
            first = frames.frame_at(0.0)
            if self.plan.veil is not None:
                first = self.plan.veil.frame(photo.content_hash, shot.clip_from, first, factor)
            backdrop = np.asarray(self._backdrop(Image.fromarray(first)))
        return _Prepared(frames=frames, factor=factor, backdrop=backdrop)

    def _map(self) -> _Prepared:
        from memories.render.trip_map import draw_route_map, plan_route_map

        assert self.plan.route is not None
        width, height = self.size
        size = (round(width * MAP_ZOOM), round(height * MAP_ZOOM))
        look = self.plan.look
        drawn = draw_route_map(plan_route_map(self.plan.route, size),
                               background=look.background, ink=look.ink)  # fmt: skip
        return _Prepared(picture=np.asarray(drawn.convert("RGB")), factor=1.0)

    def _veiled(self, photo: Photo, image: Image.Image) -> Image.Image:
        """The photo with the faces the plan's veil names blurred (a shared copy's)."""
        if self.plan.veil is None:
            return image
        return self.plan.veil.still(photo.content_hash, image, photo.width)

    def _backdrop(self, image: Image.Image) -> Image.Image:
        """The picture filling the frame, blurred and dimmed: what shows beside a photo of
        another shape, instead of black bars."""
        small = _cover(image, (self.size[0] // 8, self.size[1] // 8))
        blurred = small.filter(ImageFilter.GaussianBlur(6))
        dimmed = ImageEnhance.Brightness(blurred).enhance(0.55)
        return dimmed.resize(self.size, Image.Resampling.BICUBIC)

    def _card(self, shot: Shot) -> Image.Image:
        """A title, number or end card: words over the cover, blurred, inside the part of
        the frame that a phone's interface leaves uncovered."""
        photo = self.plan.sources[shot.source]
        if shot.source not in self._card_backdrops:
            if photo.kind is PhotoKind.PHOTO:
                cover = decode_displayed(photo, "RGB", 640, srgb=True)
                backdrop = self._backdrop(self._veiled(photo, cover))
            else:
                backdrop = Image.new("RGB", self.size, self.plan.look.background)
            self._card_backdrops[shot.source] = backdrop
        card = self._card_backdrops[shot.source].copy()
        draw = ImageDraw.Draw(card)
        with written_in(self.memory.language):
            for text, size, (left, top) in card_words(self.memory, shot, *self.size):
                draw_text(draw, (left, top), text, size, fill=self.plan.look.ink, anchor="ma")
        return card


def card_words(
    memory: Memory, shot: Shot, width: int, height: int
) -> list[tuple[str, int, tuple[float, float]]]:
    """The lines of a title, number or end card: text, size, and where each line's top
    middle goes, centred in the frame's text area (storyboard.text_area)."""
    area = text_area(width, height)
    unit = min(width, height)
    if shot.kind is ShotKind.TITLE:
        lines = [(memory.title, 0.085), (memory.dates, 0.04), (memory.place or "", 0.04)]
    elif shot.kind is ShotKind.CARD and shot.card is not None:
        insight = memory.insights[shot.card]
        lines = [(insight.headline, 0.07), (insight.detail, 0.04)]
    else:
        words = language(memory.language)
        with_people = (words.say("cards", "with_people", people=words.people(memory.people))
                       if memory.people else "")  # fmt: skip
        lines = [(memory.title, 0.06), (with_people, 0.04), (memory.dates, 0.035)]
    sized = [fitted(text, round(unit * share), area.width) for text, share in lines if text]
    top = area.top + (area.height - sum(size * 1.5 for _, size in sized)) / 2
    placed = []
    for text, size in sized:
        placed.append((text, size, (area.left + area.width / 2, top)))
        top += size * 1.5
    return placed


@dataclass
class _Prepared:
    """What a shot paints from, as RGB arrays, or the reader of its moving frames."""

    picture: np.ndarray | None = None
    frames: ClipFrames | None = None
    factor: float = 1.0
    """Decoded pixels per displayed pixel of the picture (or of the still a Live Photo's
    motion is framed like)."""
    backdrop: np.ndarray | None = None
    card: np.ndarray | None = None

    def close(self) -> None:
        if self.frames is not None:
            self.frames.close()


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    scale = max(size[0] / image.width, size[1] / image.height)
    width, height = image.width * scale, image.height * scale
    box = Rect((width - size[0]) / 2 / scale, (height - size[1]) / 2 / scale,
               size[0] / scale, size[1] / scale)  # fmt: skip
    # inside the picture: rounding can put an edge a hair outside it, which Pillow refuses
    inside = (max(0.0, box.left), max(0.0, box.top), min(float(image.width), box.right),
              min(float(image.height), box.bottom))  # fmt: skip
    return image.resize(size, Image.Resampling.BILINEAR, box=inside)
