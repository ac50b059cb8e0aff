"""Words drawn on outputs: a memory's title lines, in a font that fits the room."""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageDraw, ImageFont

from memories.model import Memory


def title_lines(memory: Memory) -> tuple[str, str]:
    """The title, and a line of dates, place and people."""
    details = [memory.dates]
    if memory.place:
        details.append(memory.place)
    if memory.people:
        details.append(people_words(memory.people))
    return memory.title, "  ·  ".join(details)


def people_words(names: tuple[str, ...], most: int = 4) -> str:
    """`Ana`, `Ana and Ben`, `Ana, Ben and Chloé`, `Ana, Ben, Chloé, Dev and others`."""
    if len(names) > most:
        return ", ".join(names[:most]) + " and others"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font: the same on every machine, and no font file to ship."""
    return ImageFont.load_default(size=size)


def fitted(draw: ImageDraw.ImageDraw, text: str, size: int, width: float) -> tuple[str, int]:
    """The text, in the largest size up to `size` that fits `width` (down to 60%),
    shortened with an ellipsis when even that is too wide."""
    text = " ".join(text.split())  # a newline in a name must not break the layout
    for attempt in range(size, int(size * 0.6) - 1, -2):
        if draw.textlength(text, font=font(attempt)) <= width:
            return text, attempt
    smallest = int(size * 0.6)
    while text and draw.textlength(text + "…", font=font(smallest)) > width:
        text = text[:-1]
    return text.rstrip() + "…", smallest
