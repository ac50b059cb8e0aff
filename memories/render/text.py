"""Words drawn on outputs: a memory's title lines, in fonts that draw every script a title
can hold (Noto Sans for Latin, Greek and Cyrillic; Noto Sans Arabic; Heebo for Hebrew;
Noto Sans CJK for Chinese, Japanese and Korean: all OFL, from installed packages, each
opened only when a text needs it), laid out right to left where the script says so (raqm)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from PIL import ImageDraw, ImageFont

from memories.language import language
from memories.model import Memory


@dataclass(frozen=True)
class Face:
    """One font file (a face of a collection, by `index`), from an installed package."""

    package: str
    file: str
    index: int = 0

    @property
    def path(self) -> str:
        return str(resources.files(self.package).joinpath(self.file))

    def covers(self, character: str) -> bool:
        return ord(character) in _characters(self)

    def at(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(self, size)


NOTO_SANS = Face("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf")
NOTO_ARABIC = Face("fontpkg_noto_sans_arabic", "files/NotoSansArabic[wdth,wght].ttf")
HEEBO = Face("fontpkg_heebo", "files/Heebo[wght].ttf")
CJK_JAPANESE = Face("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 0)
CJK_KOREAN = Face("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 1)
CJK_CHINESE = Face("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 2)
FACES = (NOTO_SANS, NOTO_ARABIC, HEEBO, CJK_JAPANESE)
"""In the order they are tried: the first that has a character draws it (the CJK face as
`written_in` chooses)."""
_HAN: ContextVar[Face] = ContextVar("han", default=CJK_JAPANESE)
"""The face of Chinese characters (Han), whose forms differ between Japanese and Chinese."""


@contextmanager
def written_in(language: str) -> Iterator[None]:
    """Draw Han characters in the forms the memory's language reads them in (Chinese in
    Noto Sans CJK SC; Japanese, and every other language, in JP) while the block runs."""
    token = _HAN.set(CJK_CHINESE if language == "zh" else CJK_JAPANESE)
    try:
        yield
    finally:
        _HAN.reset(token)


def title_lines(memory: Memory) -> tuple[str, str]:
    """The title, and a line of dates, place and people, in the memory's language."""
    details = [memory.dates]
    if memory.place:
        details.append(memory.place)
    if memory.people:
        details.append(language(memory.language).people(memory.people))
    return memory.title, "  ·  ".join(details)


def runs(text: str) -> list[tuple[str, Face]]:
    """`text` cut where the face that draws it changes: each character goes to the first
    face that has it (Latin always to Noto Sans, whatever else the line holds), and spaces,
    digits and marks stay with the run they are in when its face has them."""
    found: list[tuple[str, Face]] = []
    faces = _faces_for(text)
    for character in text:
        current = found[-1][1] if found else None
        if current is not None and (not _drawn(character) or (
                current.covers(character) and _neutral(character))):  # fmt: skip
            found[-1] = (found[-1][0] + character, current)
            continue
        face = next((face for face in faces if face.covers(character)), NOTO_SANS)
        if current is face:
            found[-1] = (found[-1][0] + character, face)
        else:
            found.append((character, face))
    return _neutrals_apart(found)


def _neutrals_apart(found: list[tuple[str, Face]]) -> list[tuple[str, Face]]:
    """The spaces and marks after a right-to-left run, before the next, in their own run in
    Noto Sans: kept at its end, they would be laid out on its far side."""
    parted: list[tuple[str, Face]] = []
    for number, (run, face) in enumerate(found):
        kept = run.rstrip("".join(c for c in set(run) if _neutral(c)))
        between = run[len(kept):]
        moved = between and all(NOTO_SANS.covers(c) or not _drawn(c) for c in between)
        if number == len(found) - 1 or not kept or not moved or not _right_to_left(kept):
            parted.append((run, face))
        else:
            parted += [(kept, face), (between, NOTO_SANS)]
    return parted


def text_length(text: str, size: int) -> float:
    return sum(face.at(size).getlength(run) for run, face in runs(text))


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    *,
    fill: object,
    anchor: str = "la",
    stroke_width: int = 0,
    stroke_fill: object = None,
) -> None:
    """Draw `text` as `draw.text` would with `anchor`, each run in its face, all on the
    first face's baseline."""
    for (x, y), run, face, run_anchor in _placed(xy, text, size, anchor):
        draw.text((x, y), run, fill=fill, font=face.at(size), anchor=run_anchor,  # type: ignore[arg-type]
                  stroke_width=stroke_width, stroke_fill=stroke_fill)  # type: ignore[arg-type]  # fmt: skip


def text_box(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    *,
    anchor: str = "la",
    stroke_width: int = 0,
) -> tuple[float, float, float, float]:
    """The box `draw_text` would cover."""
    boxes = [draw.textbbox((x, y), run, font=face.at(size), anchor=run_anchor,
                           stroke_width=stroke_width)
             for (x, y), run, face, run_anchor in _placed(xy, text, size, anchor)]  # fmt: skip
    if not boxes:
        return (xy[0], xy[1], xy[0], xy[1])
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))  # fmt: skip


def fitted(text: str, size: int, width: float) -> tuple[str, int]:
    """The text, in the largest size up to `size` that fits `width` (down to 60%),
    shortened with an ellipsis when even that is too wide."""
    text = " ".join(text.split())  # a newline in a name must not break the layout
    parts = runs(text)
    for attempt in range(size, int(size * 0.6) - 1, -2):
        if sum(face.at(attempt).getlength(run) for run, face in parts) <= width:
            return text, attempt
    smallest = int(size * 0.6)
    while text and text_length(text + "…", smallest) > width:
        text = text[:-1]
    return text.rstrip() + "…", smallest


def _placed(
    xy: tuple[float, float], text: str, size: int, anchor: str
) -> list[tuple[tuple[float, float], str, Face, str]]:
    """Where each run goes: one run as asked; several side by side (right to left in a line
    that starts in a right-to-left script), placed as a whole by the anchor's left, middle
    or right, on the first run's baseline."""
    parts = runs(text)
    if len(parts) <= 1:
        return [(xy, run, face, anchor) for run, face in parts]
    across, down = anchor[0], anchor[1]
    first_face = parts[0][1]
    if _right_to_left(text):
        parts.reverse()
    lengths = [face.at(size).getlength(run) for run, face in parts]
    x = xy[0] - {"l": 0.0, "m": sum(lengths) / 2, "r": sum(lengths)}.get(across, 0.0)
    ascent, descent = first_face.at(size).getmetrics()
    offset = {"a": ascent, "t": ascent, "m": (ascent - descent) / 2, "s": 0.0,
              "b": -descent, "d": -descent}.get(down, 0.0)  # fmt: skip
    placed = []
    for (run, face), length in zip(parts, lengths, strict=True):
        placed.append(((x, xy[1] + offset), run, face, "ls"))
        x += length
    return placed


def _drawn(text: str) -> str:
    """The characters of `text` that a face must have: not spaces or invisible marks."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C")


def _neutral(character: str) -> bool:
    """Whether a character belongs to no script of its own: digits, punctuation, symbols."""
    return unicodedata.bidirectional(character) not in ("L", "R", "AL")


def _right_to_left(text: str) -> bool:
    """Whether the line's first letter is of a right-to-left script (Arabic, Hebrew)."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in ("L", "R", "AL"):
            return direction != "L"
    return False


def _faces_for(text: str) -> tuple[Face, ...]:
    """The faces to try: the Korean one of the CJK faces for a text in Hangul, else the one
    `written_in` chose."""
    if any("\uac00" <= c <= "\ud7af" or "\u1100" <= c <= "\u11ff" for c in text):
        return (NOTO_SANS, NOTO_ARABIC, HEEBO, CJK_KOREAN)
    return (*FACES[:-1], _HAN.get())


@cache
def _characters(face: Face) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(face.path, fontNumber=face.index, lazy=True) as opened:
        return frozenset(opened.getBestCmap())


@lru_cache(maxsize=128)
def _font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, size, index=face.index)  # raqm where Pillow has it
