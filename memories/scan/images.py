"""Decode a photo's pixels as displayed (orientation applied), as small as the caller allows.

JPEGs are decoded straight at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, Pillow's draft
mode), so a preview of a 12 MP photo costs a fraction of a full decode.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageCms

from memories.errors import UnreadablePhoto
from memories.model import Photo
from memories.scan.metadata import enable_plugin

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # fmt: skip


def decode_displayed(
    photo: Photo,
    mode: str,
    max_edge: int | None = None,
    *,
    srgb: bool = False,
    draft_edge: int | None = None,
) -> Image.Image:
    """The photo upright, in `mode` ("RGB", "L"), its long edge at most `max_edge` pixels.
    With `srgb`, colours in another embedded profile (Display P3, Adobe RGB) are converted
    to sRGB, so that outputs look as the camera meant on every screen. A RAW is decoded from
    the JPEG preview inside it, so at full size it is smaller than `photo.width` says.
    With `draft_edge`, a JPEG is decoded at the smallest of its cheap reduced sizes whose long
    edge is at least that, and not resized further unless it exceeds `max_edge`."""
    try:
        enable_plugin(photo.format)
        source = _raw_preview(photo) if photo.format == "RAW" else photo.path
        # Pillow warns of quirks it reads past (a malformed MPO): nothing a user can act on
        with warnings.catch_warnings(action="ignore"), Image.open(source) as image:
            if max_edge is not None:
                scale = (draft_edge or max_edge) / max(image.size)
                image.draft(mode, (round(image.width * scale), round(image.height * scale)))
            decoded = _to_srgb(image) if srgb else None
            decoded = decoded.convert(mode) if decoded else image.convert(mode)
    except Exception as error:  # Pillow raises many kinds on damaged pixel data
        raise UnreadablePhoto(photo.path, f"cannot be decoded: {error}") from None
    if max_edge is not None:
        decoded.thumbnail((max_edge, max_edge))
    if photo.orientation in _TRANSPOSE:
        decoded = decoded.transpose(_TRANSPOSE[photo.orientation])
    return decoded


def _raw_preview(photo: Photo) -> io.BytesIO:
    """A raw file is shown through the JPEG preview its camera embedded in it."""
    from memories.scan.raw import raw_preview

    return io.BytesIO(raw_preview(photo.path))


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def srgb_profile() -> bytes:
    """An sRGB ICC profile to embed in outputs, with a fixed creation date (bytes 24-35 of
    the header), so that the same inputs always give the same output bytes."""
    profile = bytearray(_SRGB.tobytes())
    profile[24:36] = bytes([0x07, 0xE8, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])  # 2024-01-01 00:00
    return bytes(profile)


def _to_srgb(image: Image.Image) -> Image.Image | None:
    """The image converted from its embedded profile to sRGB; None when it has none."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "CMYK"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError):
        return None  # a broken profile: the pixels as they are beat no pixels
