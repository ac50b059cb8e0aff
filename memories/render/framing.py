"""Where to crop a photo: windows of a given shape that never cut through a face, and
otherwise stay on the photo's centre of interest. Shared by collages and camera moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

FaceBox = tuple[int, int, int, int]
"""top, right, bottom, left, in full-size displayed pixels (face_recognition's order)."""

FACE_MARGIN = 0.35
"""Room kept around a face, as a share of its size: hair above, chin below."""


@dataclass(frozen=True, slots=True)
class Rect:
    """An axis-aligned rectangle: left, top, width and height, in pixels."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def scaled(self, factor: float) -> Rect:
        return Rect(self.left * factor, self.top * factor, self.width * factor,
                    self.height * factor)  # fmt: skip

    def rounded(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in whole pixels, as Pillow's crop wants."""
        return (round(self.left), round(self.top), round(self.right), round(self.bottom))


@dataclass(frozen=True, slots=True)
class Subject:
    """What framing needs to know about a photo: its size, its faces, where the eye goes."""

    width: int
    height: int
    faces: tuple[FaceBox, ...] = ()
    interest: tuple[float, float] = (0.5, 0.5)
    """The centre of interest, as shares of width and height."""

    @property
    def aspect(self) -> float:
        return self.width / self.height


def even(length: float) -> int:
    """A length of pixels rounded to an even number (what yuv420p video needs), at least 2."""
    return max(2, round(length / 2) * 2)


def crop_window(subject: Subject, aspect: float, zoom: float = 1.0) -> Rect:
    """The window of shape `aspect` (width / height) to show of a photo: the largest that
    fits, divided by `zoom`; holding every face when it can, never cutting one in part when
    it cannot, and otherwise centred as near the centre of interest as the edges allow."""
    width = min(subject.width, subject.height * aspect) / zoom
    height = width / aspect
    left = _place(width, subject.width, [(face[3], face[1]) for face in subject.faces],
                  subject.interest[0] * subject.width)  # fmt: skip
    top = _place(height, subject.height, [(face[0], face[2]) for face in subject.faces],
                 subject.interest[1] * subject.height)  # fmt: skip
    return Rect(left, top, width, height)


def cuts_a_face(window: Rect, faces: Sequence[FaceBox]) -> bool:
    """Whether the window holds part of a face but not all of it."""
    for top, right, bottom, left in faces:
        overlaps = (left < window.right and right > window.left and top < window.bottom
                    and bottom > window.top)  # fmt: skip
        inside = (left >= window.left - 0.5 and right <= window.right + 0.5
                  and top >= window.top - 0.5 and bottom <= window.bottom + 0.5)  # fmt: skip
        if overlaps and not inside:
            return True
    return False


def faces_centre(subject: Subject) -> tuple[float, float] | None:
    """The middle of all faces, as shares of width and height; None without faces."""
    if not subject.faces:
        return None
    xs = [(left + right) / 2 for _, right, _, left in subject.faces]
    ys = [(top + bottom) / 2 for top, _, bottom, _ in subject.faces]
    return (sum(xs) / len(xs) / subject.width, sum(ys) / len(ys) / subject.height)


def centre_of_interest(image: Image.Image) -> tuple[float, float]:
    """Where detail gathers, as shares of width and height, pulled a little towards the
    middle: a cheap stand-in for where the eye goes in a photo without faces."""
    grey = image.convert("L")
    grey.thumbnail((96, 96))
    edges = np.asarray(grey.filter(ImageFilter.FIND_EDGES), dtype=np.float64)[1:-1, 1:-1]
    if edges.size == 0 or edges.sum() == 0:
        return (0.5, 0.5)
    weights = np.where(edges >= np.quantile(edges, 0.8), edges, 0.0)
    rows, columns = np.indices(weights.shape)
    x = float((weights * (columns + 0.5)).sum() / weights.sum() / weights.shape[1])
    y = float((weights * (rows + 0.5)).sum() / weights.sum() / weights.shape[0])
    return (0.5 + 0.6 * (x - 0.5), 0.5 + 0.6 * (y - 0.5))


def _place(
    length: float, extent: float, faces: Sequence[tuple[float, float]], centre: float
) -> float:
    """Where a window of `length` starts along an axis of `extent`. Among all positions,
    prefer one that cuts no face, then one that cuts no face's margin, then the one holding
    the most face, then the one nearest `centre` (the faces' own centre, when there are)."""
    last = max(0.0, extent - length)
    if last == 0.0:
        return 0.0
    clamp = lambda position: min(last, max(0.0, position))  # noqa: E731
    padded = [
        (
            max(0.0, start - (end - start) * FACE_MARGIN),
            min(extent, end + (end - start) * FACE_MARGIN),
        )
        for start, end in faces
    ]
    if faces:
        centre = sum(start + end for start, end in faces) / 2 / len(faces)
    wanted = clamp(centre - length / 2)
    candidates = {0.0, last, wanted}
    for start, end in [*faces, *padded]:
        candidates |= {clamp(start), clamp(end - length), clamp(end), clamp(start - length)}

    def preference(position: float) -> tuple[float, float, float, float]:
        face_cut, _ = _cut_and_held(faces, position, length)
        margin_cut, held = _cut_and_held(padded, position, length)
        return (-face_cut, -margin_cut, held, -abs(position - wanted))

    return max(sorted(candidates), key=preference)


def _cut_and_held(
    spans: Sequence[tuple[float, float]], position: float, length: float
) -> tuple[float, float]:
    """How much of the spans the window cuts off (held in part), and how much it holds whole."""
    cut = held = 0.0
    for start, end in spans:
        inside = max(0.0, min(end, position + length) - max(start, position))
        if inside >= end - start - 1e-6:
            held += end - start
        else:
            cut += inside
    return cut, held
