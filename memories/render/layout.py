"""Collage layouts as data: which arrangement suits a set of photos, and where each photo
goes on the canvas and what part of it shows. Pure: no pixels, so layouts are golden-tested."""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from memories.render.framing import Rect, Subject, crop_window

TITLE_BAND = 0.12
"""Height of the title band under the photos, as a share of the canvas height."""


@dataclass(frozen=True, kw_only=True)
class LayoutTemplate:
    """A collage layout as its TOML file gives it (memories/templates/collage/*.toml)."""

    name: str
    arrangement: str
    """mosaic, hero, grid or prints: the function that places the photos."""
    description: str = ""
    max_photos: int = 12
    aspect: float = 4 / 3
    """Canvas width over height."""
    margin: float = 0.025
    """Around the photos, as a share of the canvas width."""
    gap: float = 0.008
    """Between photos, as a share of the canvas width."""
    background: str = "#ffffff"
    ink: str = "#202020"
    """The colour of the title band's text."""
    hero_share: float = 0.68
    border: float = 0.0
    """The white border of a print, as a share of the canvas width."""
    max_angle: float = 0.0
    """Prints lie at up to this many degrees either way."""

    def __post_init__(self) -> None:
        if self.arrangement not in ARRANGEMENTS:
            raise ValueError(f"arrangement must be one of {', '.join(ARRANGEMENTS)}")
        if self.max_photos < 1 or self.aspect <= 0:
            raise ValueError("max_photos must be at least 1 and aspect above 0")


@dataclass(frozen=True, slots=True)
class Cell:
    """One photo on the canvas: the part of it shown (`crop`, in the photo's displayed
    pixels) drawn into `frame` (canvas pixels), turned by `angle` degrees."""

    photo: int
    """Index into the photos the layout was made for."""
    frame: Rect
    crop: Rect
    angle: float = 0.0
    border: float = 0.0


@dataclass(frozen=True, slots=True)
class CollageLayout:
    template: str
    width: int
    height: int
    cells: tuple[Cell, ...]
    title_band: Rect


def choose_arrangement(subjects: Sequence[Subject]) -> str:
    """The arrangement that suits these photos best, from their count and shapes: one photo
    is a hero; a few of mixed shapes look best as prints; many of one shape sit well in a
    grid; a hero with a strip tells five or six; justified rows suit everything else."""
    count = len(subjects)
    portraits = sum(subject.aspect < 1 for subject in subjects)
    mixed = 0 < portraits < count
    if count == 1:
        return "hero"
    if count <= 4:
        return "prints" if mixed else "mosaic"
    if count <= 6:
        return "hero"
    if count >= 12 and portraits in (0, count):
        return "grid"
    return "mosaic"


def layout_collage(
    subjects: Sequence[Subject],
    template: LayoutTemplate,
    *,
    long_edge: int,
    hero: int = 0,
    seed: str = "",
) -> CollageLayout:
    """Place every subject (at most `template.max_photos`; the caller chooses which) on a
    canvas whose long edge is `long_edge`. `hero` is the photo to show largest; `seed`
    makes the prints' scatter the same on every run for the same memory."""
    if template.aspect >= 1:
        width, height = long_edge, round(long_edge / template.aspect)
    else:
        width, height = round(long_edge * template.aspect), long_edge
    margin, gap = template.margin * width, template.gap * width
    band_height = round(height * TITLE_BAND)
    area = Rect(margin, margin, width - 2 * margin, height - band_height - margin)
    arrange = ARRANGEMENTS[template.arrangement]
    cells = arrange(subjects, area, gap, template, hero, seed)
    band = Rect(0, height - band_height, width, band_height)
    return CollageLayout(template.name, width, height, tuple(cells), band)


def _mosaic(
    subjects: Sequence[Subject], area: Rect, gap: float, template: LayoutTemplate,
    hero: int, seed: str,
) -> list[Cell]:  # fmt: skip
    """Rows in time order, each as tall as fills the width with the photos' own shapes;
    the split into rows is the one whose rows are evenly tall and need the least stretch
    to fill the height (every split is tried: at most 2^11 for 12 photos)."""
    aspects = [subject.aspect for subject in subjects]
    best: tuple[float, list[list[int]]] | None = None
    for cuts in itertools.product((False, True), repeat=len(aspects) - 1):
        rows = _split(len(aspects), cuts)
        heights = [_row_height(area.width, gap, [aspects[i] for i in row]) for row in rows]
        stretch = (area.height - gap * (len(rows) - 1)) / sum(heights)
        mean = sum(heights) / len(heights)
        cost = len(aspects) * abs(math.log(stretch)) + 0.5 * sum(
            abs(math.log(row_height / mean)) for row_height in heights
        )
        if best is None or cost < best[0] - 1e-9:
            best = (cost, rows)
    assert best is not None
    rows = best[1]
    heights = [_row_height(area.width, gap, [aspects[i] for i in row]) for row in rows]
    stretch = (area.height - gap * (len(rows) - 1)) / sum(heights)
    cells: list[Cell] = []
    top = area.top
    for row, natural in zip(rows, heights, strict=True):
        left = area.left
        for index in row:
            frame = Rect(left, top, aspects[index] * natural, natural * stretch)
            cells.append(_filled(index, frame, subjects[index]))
            left += frame.width + gap
        top += natural * stretch + gap
    return cells


def _hero(
    subjects: Sequence[Subject], area: Rect, gap: float, template: LayoutTemplate,
    hero: int, seed: str,
) -> list[Cell]:  # fmt: skip
    """The hero large, the others in a strip: below a landscape hero, beside a portrait."""
    others = [index for index in range(len(subjects)) if index != hero]
    if not others:
        return [_filled(hero, area, subjects[hero])]
    if subjects[hero].aspect >= 1:
        hero_height = area.height * template.hero_share
        big = Rect(area.left, area.top, area.width, hero_height)
        strip = Rect(area.left, area.top + hero_height + gap, area.width,
                     area.height - hero_height - gap)  # fmt: skip
        slots = _equal_slots(strip, gap, columns=len(others), rows=1)
    else:
        hero_width = area.width * 0.5
        big = Rect(area.left, area.top, hero_width, area.height)
        side = Rect(area.left + hero_width + gap, area.top, area.width - hero_width - gap,
                    area.height)  # fmt: skip
        columns = 2 if len(others) == 4 else 1
        slots = _equal_slots(side, gap, columns=columns, rows=math.ceil(len(others) / columns))
    cells = [_filled(hero, big, subjects[hero])]
    cells += [
        _filled(index, slot, subjects[index]) for index, slot in zip(others, slots, strict=True)
    ]
    return cells


def _grid(
    subjects: Sequence[Subject], area: Rect, gap: float, template: LayoutTemplate,
    hero: int, seed: str,
) -> list[Cell]:  # fmt: skip
    """Equal cells: the rows and columns that show the most photos in cells nearest their
    usual shape (photos beyond a full grid are left out)."""
    count = len(subjects)
    usual = sorted(subject.aspect for subject in subjects)[count // 2]

    def fit(shape: tuple[int, int]) -> tuple[int, float]:
        columns, rows = shape
        cell_aspect = (area.width - gap * (columns - 1)) / columns / (
            (area.height - gap * (rows - 1)) / rows
        )
        return (columns * rows, -abs(math.log(cell_aspect / usual)))

    shapes = [(c, r) for c in range(1, count + 1) for r in range(1, count + 1) if c * r <= count]
    columns, rows = max(shapes, key=fit)
    slots = _equal_slots(area, gap, columns=columns, rows=rows)
    return [_filled(index, slot, subjects[index]) for index, slot in enumerate(slots)]


def _prints(
    subjects: Sequence[Subject], area: Rect, gap: float, template: LayoutTemplate,
    hero: int, seed: str,
) -> list[Cell]:  # fmt: skip
    """Whole photos as bordered prints in one or two loose rows, each turned and nudged a
    little, the same way every time for the same seed."""
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    count = len(subjects)
    rows = 1 if count <= 3 else 2
    per_row = math.ceil(count / rows)
    border = template.border * (area.width + 2 * area.left)
    cells: list[Cell] = []
    for index, subject in enumerate(subjects):
        row, column = divmod(index, per_row)
        in_row = per_row if row < rows - 1 else count - per_row * (rows - 1)
        slot_width, slot_height = area.width / in_row, area.height / rows
        scale = min((slot_width * 0.92 - 2 * border) / subject.width,
                    (slot_height * 0.92 - 2 * border) / subject.height) * 1.04  # fmt: skip
        width, height = subject.width * scale, subject.height * scale
        centre_x = area.left + slot_width * (column + 0.5) + rng.uniform(-0.05, 0.05) * slot_width
        centre_y = area.top + slot_height * (row + 0.5) + rng.uniform(-0.05, 0.05) * slot_height
        frame = Rect(centre_x - width / 2, centre_y - height / 2, width, height)
        angle = rng.uniform(-template.max_angle, template.max_angle)
        whole = Rect(0, 0, subject.width, subject.height)
        cells.append(Cell(index, frame, whole, angle=round(angle, 2), border=border))
    return cells


ARRANGEMENTS = {"mosaic": _mosaic, "hero": _hero, "grid": _grid, "prints": _prints}


def _filled(index: int, frame: Rect, subject: Subject) -> Cell:
    """A cell the photo fills, cropped to the cell's shape around its faces or interest."""
    return Cell(index, frame, crop_window(subject, frame.width / frame.height))


def _split(count: int, cuts: Sequence[bool]) -> list[list[int]]:
    rows: list[list[int]] = [[0]]
    for index, cut in enumerate(cuts, start=1):
        if cut:
            rows.append([])
        rows[-1].append(index)
    return rows


def _row_height(width: float, gap: float, aspects: Sequence[float]) -> float:
    return (width - gap * (len(aspects) - 1)) / sum(aspects)


def _equal_slots(area: Rect, gap: float, *, columns: int, rows: int) -> list[Rect]:
    width = (area.width - gap * (columns - 1)) / columns
    height = (area.height - gap * (rows - 1)) / rows
    return [
        Rect(area.left + column * (width + gap), area.top + row * (height + gap), width, height)
        for row in range(rows)
        for column in range(columns)
    ]
