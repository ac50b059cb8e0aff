"""Collages: framing that never cuts a face, layouts as golden data, and the drawn JPEG.

Set MEMORIES_UPDATE_GOLDEN=1 to rewrite tests/golden/collage_layouts.json after a deliberate
change to a layout, then read the diff.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageCms

from memories.model import FileEntry, Memory, MemoryKind, Photo, PhotoKind, TimelinePhoto
from memories.render.collage import draw_collage, plan_collage
from memories.render.files import save_jpeg
from memories.render.framing import Subject, crop_window, cuts_a_face
from memories.render.layout import LayoutTemplate, choose_arrangement, layout_collage
from memories.render.templates import load_templates
from memories.scan.metadata import read_media

GOLDEN = Path(__file__).parent / "golden" / "collage_layouts.json"
TEMPLATES = load_templates("collage", LayoutTemplate)

LANDSCAPE, PORTRAIT, SQUARE = (4000, 3000), (3000, 4000), (2000, 2000)


def subject(size, faces=(), interest=(0.5, 0.5)) -> Subject:
    return Subject(size[0], size[1], tuple(faces), interest)


# Framing ------------------------------------------------------------------------------------


@given(
    width=st.integers(200, 4000),
    height=st.integers(200, 4000),
    aspect=st.floats(0.4, 2.5),
    zoom=st.floats(1.0, 1.5),
    face=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0.02, 0.3)),
)
def test_a_window_holds_a_face_that_fits(width, height, aspect, zoom, face):
    x, y, share = face
    side = max(4, int(min(width, height) * share))
    left, top = int(x * (width - side)), int(y * (height - side))
    box = (top, left + side, top + side, left)
    window = crop_window(subject((width, height), [box]), aspect, zoom)
    assert window.left >= -1e-6 and window.top >= -1e-6
    assert window.right <= width + 1e-6 and window.bottom <= height + 1e-6
    assert window.width / window.height == pytest.approx(aspect, rel=1e-6)
    if side <= min(window.width, window.height):
        assert not cuts_a_face(window, [box])


def test_a_window_never_cuts_one_of_two_far_apart_faces():
    """A square window of a wide photo can hold only one of two faces: it holds one whole."""
    faces = [(1000, 700, 1400, 300), (1000, 3700, 1400, 3300)]
    window = crop_window(subject(LANDSCAPE, faces), 1.0)
    assert not cuts_a_face(window, faces)


def test_without_faces_the_window_follows_the_centre_of_interest():
    left = crop_window(subject(LANDSCAPE, interest=(0.1, 0.5)), 1.0)
    right = crop_window(subject(LANDSCAPE, interest=(0.9, 0.5)), 1.0)
    assert left.left == 0 and right.right == pytest.approx(4000)


# Layouts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shapes", "arrangement"),
    [
        ([LANDSCAPE], "hero"),
        ([LANDSCAPE, PORTRAIT, LANDSCAPE], "prints"),
        ([LANDSCAPE] * 3, "mosaic"),
        ([LANDSCAPE] * 5, "hero"),
        ([LANDSCAPE, PORTRAIT] * 4, "mosaic"),
        ([LANDSCAPE] * 16, "grid"),
        ([LANDSCAPE] * 11 + [PORTRAIT] * 3, "mosaic"),
    ],
)
def test_the_arrangement_follows_count_and_shapes(shapes, arrangement):
    assert choose_arrangement([subject(shape) for shape in shapes]) == arrangement


GOLDEN_CASES = {
    "mosaic-mixed": ("mosaic", [LANDSCAPE, PORTRAIT, LANDSCAPE, SQUARE, PORTRAIT, LANDSCAPE]),
    "hero-landscape": ("hero", [LANDSCAPE, PORTRAIT, LANDSCAPE, LANDSCAPE, SQUARE]),
    "hero-portrait": ("hero", [PORTRAIT, LANDSCAPE, LANDSCAPE, PORTRAIT]),
    "grid-twelve": ("grid", [LANDSCAPE] * 12),
    "prints-three": ("prints", [LANDSCAPE, PORTRAIT, LANDSCAPE]),
}
FACE = (1200, 3800, 1800, 3200)
"""A face near the right edge of a landscape photo: crops must move to hold it."""


def golden_layouts() -> dict:
    layouts = {}
    for case, (name, shapes) in GOLDEN_CASES.items():
        subjects = [subject(shape, [FACE] if shape == LANDSCAPE else []) for shape in shapes]
        layout = layout_collage(subjects, TEMPLATES[name], long_edge=1024, seed=case)
        layouts[case] = json.loads(json.dumps(asdict(layout), default=lambda v: round(v, 1)))
    return json.loads(json.dumps(layouts), parse_float=lambda text: round(float(text), 1))


def test_golden_layouts():
    actual = golden_layouts()
    if os.environ.get("MEMORIES_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(actual, indent=1) + "\n")
    assert actual == json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_layout_keeps_photos_on_the_canvas_and_faces_whole(name):
    shapes = [LANDSCAPE, PORTRAIT, LANDSCAPE, SQUARE, LANDSCAPE, PORTRAIT, LANDSCAPE][
        : TEMPLATES[name].max_photos
    ]
    subjects = [subject(shape, [FACE] if shape == LANDSCAPE else []) for shape in shapes]
    layout = layout_collage(subjects, TEMPLATES[name], long_edge=2048, seed="x")
    for cell in layout.cells:
        assert cell.frame.left >= 0 and cell.frame.right <= layout.width + 0.5
        assert cell.frame.top >= 0 and cell.frame.bottom <= layout.title_band.top + 0.5
        assert not cuts_a_face(cell.crop, subjects[cell.photo].faces)
        shown = cell.crop.width / cell.crop.height
        assert shown == pytest.approx(cell.frame.width / cell.frame.height, rel=0.01)
    assert layout == layout_collage(subjects, TEMPLATES[name], long_edge=2048, seed="x")


def test_a_layout_file_with_an_unknown_key_is_a_clear_error(tmp_path):
    from memories.errors import ConfigError

    (tmp_path / "mine.toml").write_text('arrangement = "grid"\ncolumns = 3\n')
    with pytest.raises(ConfigError, match="unknown keys: columns"):
        load_templates("collage", LayoutTemplate, tmp_path)


def test_a_users_layout_is_loaded_by_name(tmp_path):
    (tmp_path / "wall.toml").write_text('arrangement = "grid"\nmax_photos = 9\n')
    assert load_templates("collage", LayoutTemplate, tmp_path)["wall"].max_photos == 9


# Drawing ------------------------------------------------------------------------------------


def memory_of(paths: list[Path]) -> tuple[Memory, dict[str, Photo]]:
    photos = {}
    timeline = []
    for number, path in enumerate(paths):
        stat = path.stat()
        photo = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
        assert isinstance(photo, Photo)
        photos[photo.content_hash] = photo
        timeline.append(
            TimelinePhoto(
                path_text=str(path), content_hash=photo.content_hash, kind=PhotoKind.PHOTO,
                local_time=datetime(2024, 6, 14, 12, number), instant=1718366400.0 + number * 60,
                gps=None, place=None, score=0.8, dhash=None, landscape=photo.width > photo.height,
            )
        )  # fmt: skip
    memory = Memory(
        id="2024-06-14-lyon", kind=MemoryKind.EVENT, title="An afternoon in <Lyon>",
        dates="14 Jun 2024", start=timeline[0].local_time, end=timeline[-1].local_time,
        place="Lyon", people=("Ana",), photos=tuple(timeline), cover=timeline[0],
    )  # fmt: skip
    return memory, photos


def test_a_collage_is_an_srgb_jpeg_without_location_and_the_same_each_time(make_photo, tmp_path):
    colours = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (220, 200, 40)]
    paths = [
        make_photo(f"IMG_{n}.jpg", size=(320, 240) if n % 2 else (240, 320), color=colour,
                   gps=(45.76, 4.84), taken_at=f"2024:06:14 12:0{n}:00")
        for n, colour in enumerate(colours)
    ]  # fmt: skip
    memory, photos = memory_of(paths)
    plan = plan_collage(memory, photos, TEMPLATES, long_edge=512)
    assert plan is not None and plan.template.name == "prints"
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    save_jpeg(draw_collage(plan, memory), first)
    save_jpeg(draw_collage(plan, memory), second)
    assert first.read_bytes() == second.read_bytes()
    with Image.open(first) as image:
        assert image.format == "JPEG" and max(image.size) == 512
        assert not image.getexif(), "no EXIF at all: no GPS, no camera serial"
        profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        assert "sRGB" in ImageCms.getProfileDescription(profile)
        colours_seen = {image.getpixel((x, y)) for x in range(0, 512, 16)
                        for y in range(0, 300, 16)}  # fmt: skip
    assert len(colours_seen) > 20, "photos and background drawn"


def test_every_layout_draws(make_photo):
    paths = [make_photo(f"IMG_{n}.jpg", size=(300, 200), color=(n * 40, 90, 160),
                        taken_at=f"2024:06:14 12:0{n}:00") for n in range(5)]  # fmt: skip
    memory, photos = memory_of(paths)
    for name in TEMPLATES:
        plan = plan_collage(memory, photos, TEMPLATES, layout=name, long_edge=400)
        assert plan is not None
        image = draw_collage(plan, memory)
        assert image.size == (400, 300) and image.mode == "RGB"
