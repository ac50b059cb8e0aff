"""Collages: a memory's best photos, placed by a layout (render/layout.py) and drawn on one
canvas with a title band: title, dates, place and people."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from memories.model import Memory, Photo, PhotoKind, TimelinePhoto
from memories.render.framing import Rect, Subject, centre_of_interest, crop_window
from memories.render.layout import (
    CollageLayout,
    LayoutTemplate,
    choose_arrangement,
    layout_collage,
)  # fmt: skip
from memories.render.text import draw_text, fitted, title_lines, written_in
from memories.scan.images import decode_displayed

if TYPE_CHECKING:
    from memories.render.veil import Veil

DEFAULT_LONG_EDGE = 2048
PREVIEW_EDGE = 128
"""Long edge of the preview a photo's centre of interest is found on."""


@dataclass(frozen=True, slots=True)
class CollagePlan:
    """A collage before it is pixels: the layout and the photos it places, in order."""

    layout: CollageLayout
    template: LayoutTemplate
    photos: tuple[Photo, ...]


def collage_candidates(memory: Memory) -> list[TimelinePhoto]:
    """The memory's still photos (videos have their place in the recap video)."""
    return [photo for photo in memory.photos if photo.kind is PhotoKind.PHOTO]


def plan_collage(
    memory: Memory,
    photos: Mapping[str, Photo],
    templates: Mapping[str, LayoutTemplate],
    *,
    layout: str | None = None,
    long_edge: int = DEFAULT_LONG_EDGE,
) -> CollagePlan | None:
    """Choose the layout (the one named, or the one that suits the photos), the photos it
    shows (the best, always with the cover) and where each goes. None without photos."""
    candidates = collage_candidates(memory)
    if not candidates:
        return None
    if layout is None:  # shapes are enough to choose; faces and interest only for those shown
        shapes = [Subject(photos[p.content_hash].width, photos[p.content_hash].height)
                  for p in candidates]  # fmt: skip
        layout = choose_arrangement(shapes)
    template = templates[layout]
    shown = _best(candidates, template.max_photos, memory.cover)
    hero = next((i for i, photo in enumerate(shown) if photo == memory.cover), 0)
    placed = layout_collage(
        [subject_of(photo, photos[photo.content_hash]) for photo in shown],
        template, long_edge=long_edge, hero=hero, seed=memory.id,
    )  # fmt: skip
    return CollagePlan(placed, template, tuple(photos[photo.content_hash] for photo in shown))


@lru_cache(maxsize=1024)
def subject_of(photo: TimelinePhoto, source: Photo) -> Subject:
    """What framing needs of a photo: size and faces from the catalog, and the centre of
    interest from a small preview (JPEGs decode at 1/8 scale for it). Kept for the run: a
    photo is in several memories, and its collage, cover and video all frame it."""
    preview = decode_displayed(source, "L", PREVIEW_EDGE)
    faces = tuple(box for _, box in photo.faces)
    return Subject(source.width, source.height, faces, centre_of_interest(preview))


def draw_collage(
    plan: CollagePlan,
    memory: Memory,
    pictures: Mapping[str, Image.Image] | None = None,
    veil: Veil | None = None,
) -> Image.Image:
    """The collage's pixels, in sRGB. `pictures` replaces photos (by content hash) with
    pictures of the same shape: restyles, for a restyled variant. A `veil` blurs the faces
    it names (a shared copy's strangers)."""
    layout, template = plan.layout, plan.template
    canvas = Image.new("RGB", (layout.width, layout.height), template.background)
    for cell in layout.cells:
        photo = plan.photos[cell.photo]
        scale = max(cell.frame.width / cell.crop.width, cell.frame.height / cell.crop.height)
        if pictures and photo.content_hash in pictures:
            image = pictures[photo.content_hash]
        else:
            edge = math.ceil(max(photo.width, photo.height) * min(1.0, scale))
            image = decode_displayed(photo, "RGB", edge, srgb=True)
            if veil is not None:
                image = veil.still(photo.content_hash, image, photo.width)
        size = (max(1, round(cell.frame.width)), max(1, round(cell.frame.height)))
        piece = cut_out(image, cell.crop.scaled(image.width / photo.width), size)
        if cell.border or cell.angle:
            _lay_print(canvas, piece, cell.frame.left, cell.frame.top, cell.border, cell.angle)
        else:
            canvas.paste(piece, (round(cell.frame.left), round(cell.frame.top)))
    with written_in(memory.language):
        _draw_title_band(canvas, layout, template, memory)
    return canvas


def draw_cover(
    memory: Memory, photos: Mapping[str, Photo], size: tuple[int, int], veil: Veil | None = None
) -> Image.Image:
    """The memory's cover photo cropped to `size` around its faces: the gallery's card."""
    stills = collage_candidates(memory)
    if not stills:
        return Image.new("RGB", size, "#202020")
    cover = memory.cover if memory.cover in stills else stills[0]
    source = photos[cover.content_hash]
    window = crop_window(subject_of(cover, source), size[0] / size[1])
    image = decode_displayed(source, "RGB", max(size) * 2, srgb=True)
    if veil is not None:
        image = veil.still(source.content_hash, image, source.width)
    return cut_out(image, window.scaled(image.width / source.width), size)


def cut_out(image: Image.Image, window: Rect, size: tuple[int, int]) -> Image.Image:
    """The part of `image` under `window` (in its own pixels), resampled to `size`."""
    box = (max(0.0, window.left), max(0.0, window.top), min(image.width, window.right),
           min(image.height, window.bottom))  # fmt: skip
    return image.resize(size, Image.Resampling.LANCZOS, box=box)


def _best(
    candidates: Sequence[TimelinePhoto], limit: int, cover: TimelinePhoto
) -> list[TimelinePhoto]:
    if len(candidates) <= limit:
        return list(candidates)
    ranked = sorted(candidates, key=lambda photo: (photo != cover, -photo.score, photo.instant))
    return sorted(ranked[:limit], key=lambda photo: photo.instant)


def _lay_print(
    canvas: Image.Image, piece: Image.Image, left: float, top: float, border: float, angle: float
) -> None:
    """A paper print: white border, a soft shadow below it, turned by `angle` degrees."""
    framed = ImageOps.expand(piece, border=round(border), fill=(250, 249, 245)).convert("RGBA")
    shadow = Image.new("RGBA", framed.size, (0, 0, 0, 110))
    reach = max(4, round(border * 0.8))
    turned = framed.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    shadow = shadow.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    shadow = ImageOps.expand(shadow, border=reach * 2, fill=(0, 0, 0, 0))
    shadow = shadow.filter(ImageFilter.GaussianBlur(reach))
    x = round(left - border - (turned.width - framed.width) / 2)
    y = round(top - border - (turned.height - framed.height) / 2)
    canvas.paste(shadow, (x - reach * 2 + reach // 2, y - reach * 2 + reach), shadow)
    canvas.paste(turned, (x, y), turned)


def _draw_title_band(
    canvas: Image.Image, layout: CollageLayout, template: LayoutTemplate, memory: Memory
) -> None:
    band = layout.title_band
    draw = ImageDraw.Draw(canvas)
    title, details = title_lines(memory)
    left = template.margin * layout.width
    room = band.width - 2 * left
    title, title_size = fitted(title, round(band.height * 0.36), room)
    details, detail_size = fitted(details, round(band.height * 0.2), room)
    top = band.top + (band.height - title_size - detail_size * 1.6) / 2 - band.height * 0.08
    draw_text(draw, (left, top), title, title_size, fill=template.ink)
    draw_text(draw, (left, top + title_size * 1.25), details, detail_size, fill=template.ink)
