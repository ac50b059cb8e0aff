"""Decode a photo's pixels as displayed (orientation applied), as small as the caller allows.

JPEGs are decoded straight at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, Pillow's draft
mode), so a preview of a 12 MP photo costs a fraction of a full decode.
"""

from __future__ import annotations

from PIL import Image

from memories.errors import UnreadablePhoto
from memories.model import Photo
from memories.scan.metadata import enable_heif

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # fmt: skip


def decode_displayed(photo: Photo, mode: str, max_edge: int | None = None) -> Image.Image:
    """The photo upright, in `mode` ("RGB", "L"), its long edge at most `max_edge` pixels."""
    if photo.format == "HEIF":
        enable_heif()
    try:
        with Image.open(photo.path) as image:
            if max_edge is not None:
                scale = max_edge / max(image.size)
                image.draft(mode, (round(image.width * scale), round(image.height * scale)))
            decoded = image.convert(mode)
    except Exception as error:  # Pillow raises many kinds on damaged pixel data
        raise UnreadablePhoto(photo.path, f"cannot be decoded: {error}") from None
    if max_edge is not None:
        decoded.thumbnail((max_edge, max_edge))
    if photo.orientation in _TRANSPOSE:
        decoded = decoded.transpose(_TRANSPOSE[photo.orientation])
    return decoded
