"""Contact sheets: a person's faces side by side, each captioned with its face id, so that a
wrong grouping shows at a glance and can be fixed with `memories people split ID --face N`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from memories.model import Photo
from memories.scan.images import decode_displayed

TILE = 160
CAPTION = 22
COLUMNS = 8
MARGIN = 0.35
"""Room around each face, as a share of its width: enough to see hair and chin."""
BACKGROUND = (245, 245, 242)


def face_tile(photo: Photo, box: tuple[int, int, int, int]) -> Image.Image:
    """The face on `photo` at `box` (full-size displayed pixels), as a square tile, decoded
    only as large as the tile needs."""
    top, right, bottom, left = box
    side = max(right - left, bottom - top) * (1 + 2 * MARGIN)
    scale = min(1.0, 2 * TILE / side)
    long_edge = max(photo.width, photo.height)
    image = decode_displayed(photo, "RGB", max(1, math.ceil(long_edge * scale)))
    factor = max(image.size) / long_edge
    centre_x, centre_y = (left + right) / 2 * factor, (top + bottom) / 2 * factor
    half = side * factor / 2
    crop = image.crop(
        (round(centre_x - half), round(centre_y - half), round(centre_x + half),
         round(centre_y + half))
    )  # fmt: skip
    return crop.resize((TILE, TILE), Image.Resampling.LANCZOS)


def contact_sheet(title: str, tiles: Sequence[tuple[str, Image.Image]]) -> Image.Image:
    """A grid of captioned tiles under a title line."""
    columns = max(1, min(COLUMNS, len(tiles)))
    rows = max(1, math.ceil(len(tiles) / columns))
    header = 40
    sheet = Image.new("RGB", (columns * TILE, header + rows * (TILE + CAPTION)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=20)
    small = ImageFont.load_default(size=15)
    draw.text((8, 8), title, fill=(30, 30, 30), font=font)
    for index, (caption, tile) in enumerate(tiles):
        x = (index % columns) * TILE
        y = header + (index // columns) * (TILE + CAPTION)
        sheet.paste(tile, (x, y))
        draw.text((x + 4, y + TILE + 3), caption, fill=(60, 60, 60), font=small)
    return sheet
