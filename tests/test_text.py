"""Words on outputs in every script a title can hold: each character drawn by a face that
has it (no boxes), right-to-left scripts laid out right to left."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from memories.render.text import (
    CJK_JAPANESE,
    CJK_KOREAN,
    HEEBO,
    NOTO_ARABIC,
    NOTO_SANS,
    draw_text,
    fitted,
    runs,
    text_box,
    text_length,
)

TITLES = [
    "Trip to 京都市",
    "Ein Abend in München · Köln",
    "With Ana, Léo and محمد",
    "Χανιά, Санкт-Петербург",
    "שבת בתל אביב",
    "서울 여행",
    "リヨンの夜 · Lyon",
    "Genève → Chamonix",
]


@pytest.mark.parametrize("title", TITLES)
def test_every_character_of_a_title_has_a_glyph_in_the_face_that_draws_it(title):
    drawn = runs(title)
    assert "".join(run for run, _ in drawn) == title
    for run, face in drawn:
        for character in run:
            assert character.isspace() or face.covers(character), (character, face.file)


def test_each_script_goes_to_its_own_face():
    assert runs("Ein Abend in München · 3.–9. Juni") == [("Ein Abend in München · 3.–9. Juni",
                                                          NOTO_SANS)]  # fmt: skip
    assert runs("محمد علي") == [("محمد علي", NOTO_ARABIC)]
    assert runs("With Ana and محمد") == [("With Ana and ", NOTO_SANS), ("محمد", NOTO_ARABIC)]
    assert runs("Trip to 京都市") == [("Trip to ", NOTO_SANS), ("京都市", CJK_JAPANESE)]
    assert runs("שבת שלום") == [("שבת שלום", HEEBO)]
    assert runs("京都市")[0][1] is CJK_JAPANESE and runs("서울")[0][1] is CJK_KOREAN
    assert [face for _, face in runs("محمد 京都")] == [NOTO_ARABIC, NOTO_SANS, CJK_JAPANESE]


def test_a_line_that_starts_right_to_left_puts_its_runs_right_to_left():
    """"מסע Lyon" starts in Hebrew, so Lyon (its second run) is drawn at the left: the
    line's first stretch of ink is as wide as Lyon drawn alone."""
    line, lyon = inked_columns("מסע Lyon"), inked_columns("Lyon")
    first_gap = np.nonzero(np.diff(line) > 8)[0][0]
    assert line[first_gap] - line[0] == pytest.approx(lyon[-1] - lyon[0], abs=3)


def inked_columns(text: str) -> np.ndarray:
    canvas = Image.new("L", (600, 120), 0)
    draw_text(ImageDraw.Draw(canvas), (20, 10), text, 48, fill=255)
    return np.nonzero(np.asarray(canvas).sum(axis=0))[0]


def test_arabic_is_laid_out_right_to_left_and_joined():
    """Alef then beh: the alef (first, a tall stroke) is drawn at the right, the beh (its
    dot below the line) at the left; and the letters of a word join."""
    canvas = Image.new("L", (300, 120), 0)
    draw_text(ImageDraw.Draw(canvas), (20, 10), "اب", 60, fill=255)
    ink = np.asarray(canvas)
    rows = np.nonzero(ink.sum(axis=1))[0]
    tallest = np.nonzero(ink[rows.min() : rows.min() + 10].sum(axis=0))[0].mean()
    dot = np.nonzero(ink[rows.max() - 8 : rows.max() + 1].sum(axis=0))[0].mean()
    assert tallest > dot + 20, "the first letter at the right"
    assert pieces("محمد") == 1 and pieces("م ح م د") == 4, "its letters joined into one word"


def pieces(text: str) -> int:
    """How many separate shapes of ink `text` is drawn as."""
    import cv2

    canvas = Image.new("L", (400, 120), 0)
    draw_text(ImageDraw.Draw(canvas), (20, 10), text, 60, fill=255)
    count, _ = cv2.connectedComponents((np.asarray(canvas) > 96).astype(np.uint8))
    return count - 1


def test_a_line_of_several_scripts_is_placed_as_one_by_its_anchor():
    canvas = Image.new("L", (600, 120), 0)
    draw = ImageDraw.Draw(canvas)
    line = "محمد 京都"
    box = text_box(draw, (300, 10), line, 40, anchor="ma")
    assert abs((box[0] + box[2]) / 2 - 300) < 4 and box[1] >= 10
    draw_text(draw, (300, 10), line, 40, fill=255, anchor="ma")
    columns = np.nonzero(np.asarray(canvas).sum(axis=0))[0]
    assert box[0] - 1 <= columns.min() and columns.max() <= box[2] + 1


def test_fitting_measures_the_faces_that_draw_the_text():
    text, size = fitted("京都市の秋、嵐山と金閣寺", 60, 400)
    assert text_length(text, size) <= 400


def test_the_marks_between_a_right_to_left_run_and_the_next_stay_between_them():
    assert [run for run, _ in runs("3-9 Apr 2024 · תל אביב · محمد")] == [
        "3-9 Apr 2024 · ", "תל אביב", " · ", "محمد"]  # fmt: skip


def test_chinese_memories_draw_han_in_its_chinese_forms():
    from memories.render.text import CJK_CHINESE, written_in

    assert runs("京都市")[0][1] is CJK_JAPANESE
    with written_in("zh"):
        assert runs("北京之旅")[0][1] is CJK_CHINESE
        assert runs("서울")[0][1] is CJK_KOREAN
    assert runs("京都市")[0][1] is CJK_JAPANESE, "only inside the block"
