"""Decide what an image is for memories: a photo, a screenshot, or something else."""

from __future__ import annotations

import re

from memories.model import PhotoKind

_SCREENSHOT_NAME = re.compile(
    r"screen ?shot|screen_?capture|bildschirmfoto|capture d.(?:e|é)cran|captura de pantalla|"
    r"schermafbeelding|スクリーンショット",
    re.IGNORECASE,
)

# (short side, long side) of common phone, tablet and monitor screens.
# fmt: off
_SCREEN_SIZES = frozenset({
    (640, 1136), (720, 1280), (720, 1600), (750, 1334), (828, 1792), (1080, 1920), (1080, 2220),
    (1080, 2280), (1080, 2340), (1080, 2400), (1125, 2436), (1170, 2532), (1179, 2556),
    (1206, 2622), (1242, 2208), (1242, 2688), (1284, 2778), (1290, 2796), (1320, 2868),
    (1344, 2992), (1440, 2560), (1440, 3040), (1440, 3120), (1440, 3200), (1536, 2048),
    (1620, 2160), (1640, 2360), (1668, 2224), (1668, 2388), (2048, 2732), (1200, 1920),
    (1600, 2560), (768, 1024), (768, 1366), (800, 1280), (900, 1440), (900, 1600), (1050, 1680),
    (1117, 1728), (1440, 3440), (1664, 2560), (1800, 2880), (1964, 3024), (2160, 3840),
    (2234, 3456), (2880, 5120),
})
# fmt: on

SMALLEST_PHOTO_EDGE = 320
"""Images smaller than this on their long edge are icons, stickers or thumbnails."""


def image_kind(
    name: str, image_format: str, width: int, height: int, camera: str | None, animated: bool
) -> PhotoKind:
    """A camera's picture is a photo; without camera EXIF, a screen-sized PNG or a file named
    like one is a screenshot; animations and tiny images are other."""
    if animated:
        return PhotoKind.OTHER
    if camera:
        return PhotoKind.PHOTO
    screen_sized = (min(width, height), max(width, height)) in _SCREEN_SIZES
    if _SCREENSHOT_NAME.search(name) or (image_format == "PNG" and screen_sized):
        return PhotoKind.SCREENSHOT
    if max(width, height) < SMALLEST_PHOTO_EDGE:
        return PhotoKind.OTHER
    return PhotoKind.PHOTO
