"""Real faces for tests, from public-domain portraits that ship in installed packages:
matplotlib's Grace Hopper and scikit-image's astronaut (Eileen Collins)."""

from __future__ import annotations

import functools

from PIL import Image, ImageOps

GRACE, EILEEN = "grace", "eileen"


@functools.cache
def portrait(person: str) -> Image.Image:
    if person == GRACE:
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
            return Image.open(file).convert("RGB")
    import skimage.data

    return Image.fromarray(skimage.data.astronaut()).crop((60, 0, 360, 300))


def scene(
    person: str,
    *,
    size: tuple[int, int] = (640, 480),
    width: int = 260,
    at: tuple[int, int] = (180, 80),
    background: tuple[int, int, int] = (90, 130, 80),
) -> Image.Image:
    """The portrait, `width` pixels wide, pasted at `at` on a plain background."""
    face = portrait(person)
    face = face.resize((width, round(face.height * width / face.width)), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, background)
    canvas.paste(face, at)
    return canvas


def variants(person: str) -> dict[str, Image.Image]:
    """The same person flipped, cropped, recoloured, scaled and composited."""
    base = portrait(person)
    width, height = base.size
    return {
        "original": base,
        "flipped": ImageOps.mirror(base),
        "cropped": base.crop((width // 8, height // 10, width - width // 8, height - height // 10)),
        "recoloured": ImageOps.colorize(ImageOps.grayscale(base), "#2a1a0a", "#f5e6c8"),
        "scaled": base.resize((width * 2 // 3, height * 2 // 3), Image.Resampling.BICUBIC),
        "composited": scene(person, size=(800, 600), width=300, at=(420, 150)),
    }
