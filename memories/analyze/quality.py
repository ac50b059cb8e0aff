"""How good a photo looks, from a small preview: sharpness, exposure, and a near-duplicate hash.

JPEGs are decoded straight at 1/4 or 1/8 scale (Pillow's draft mode), so measuring a 12 MP
photo costs a fraction of a full decode.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from memories.errors import UnreadablePhoto
from memories.model import Photo, PhotoKind, Quality
from memories.scan.metadata import enable_heif

PREVIEW_EDGE = 256
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # fmt: skip


def measure_many(photos: Sequence[Photo]) -> list[Quality | UnreadablePhoto]:
    """Measure a batch (in a worker process); a photo that cannot be decoded gives its error."""
    results: list[Quality | UnreadablePhoto] = []
    for photo in photos:
        try:
            results.append(measure(photo))
        except UnreadablePhoto as error:
            results.append(error)
    return results


def measure(photo: Photo) -> Quality:
    if photo.kind is PhotoKind.VIDEO:
        raise ValueError("videos are not measured")
    if photo.format == "HEIF":
        enable_heif()
    try:
        with Image.open(photo.path) as image:
            image.draft("L", (PREVIEW_EDGE, PREVIEW_EDGE))
            grey = image.convert("L")
    except Exception as error:  # Pillow raises many kinds on damaged pixel data
        raise UnreadablePhoto(photo.path, f"cannot be decoded: {error}") from None
    grey.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE))
    if photo.orientation in _TRANSPOSE:
        grey = grey.transpose(_TRANSPOSE[photo.orientation])
    pixels = np.asarray(grey, dtype=np.float32)
    return Quality(
        sharpness=float(_laplacian(pixels).var()),
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
