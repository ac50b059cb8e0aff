"""How good a photo looks, from a 256-pixel preview: sharpness, exposure, a near-duplicate hash."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from memories.errors import UnreadablePhoto
from memories.model import Photo, PhotoKind, Quality
from memories.parallel import each_or_unreadable
from memories.scan.images import decode_displayed

PREVIEW_EDGE = 256


def measure_many(photos: Sequence[Photo]) -> list[Quality | UnreadablePhoto]:
    """Measure a batch (in a worker process); a photo that cannot be decoded gives its error."""
    return each_or_unreadable(measure, photos)


def measure(photo: Photo) -> Quality:
    if photo.kind is PhotoKind.VIDEO:
        raise ValueError("videos are not measured")
    return measure_preview(decode_displayed(photo, "L", PREVIEW_EDGE))


def measure_preview(grey: Image.Image) -> Quality:
    """The measurements of a photo's grey preview (`PREVIEW_EDGE` pixels long)."""
    pixels = np.asarray(grey, dtype=np.float32)
    edges = _laplacian(pixels)  # empty for a photo under 3 pixels across: no detail at all
    return Quality(
        sharpness=float(edges.var()) if edges.size else 0.0,
        brightness=float(pixels.mean() / 255),
        clipped=float(np.mean((pixels <= 3) | (pixels >= 252))),
        dhash=difference_hash(grey),
    )


def difference_hash(grey: Image.Image) -> int:
    """Whether each pixel of a 9x8 thumbnail is brighter than its right neighbour: 64 bits."""
    small = np.asarray(grey.resize((9, 8), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if bit else "0" for bit in bits), 2)


def _laplacian(pixels: np.ndarray) -> np.ndarray:
    return (
        4 * pixels[1:-1, 1:-1]
        - pixels[:-2, 1:-1] - pixels[2:, 1:-1] - pixels[1:-1, :-2] - pixels[1:-1, 2:]
    )  # fmt: skip
