"""The privacy promises, each as a test that fails if it breaks: no network, originals
untouched, outputs without location (unless asked) or camera data, and no face data when
faces are off."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import imageio_ffmpeg
import pytest
from conftest import snapshot
from faces import GRACE, scene
from PIL import Image
from test_build import scene as photo_like
from typer.testing import CliRunner

from memories.cli import app
from memories.render.location import middle_of
from memories.scan.metadata import read_exif_facts

TODAY = ("--today", "2025-06-14")


@pytest.fixture
def config(quick_renders):
    return quick_renders("size = 384\nworkers = 1\n")


@pytest.fixture
def album(make_photo, photos_dir):
    """A day in Lyon with GPS and a camera serial on every photo, a face on some."""
    for n in range(4):
        image = scene(GRACE, at=(40 * n, 40)) if n % 2 else photo_like(n)
        make_photo(f"IMG_{n}.jpg", image=image, gps=(45.7640, 4.8357),
                   taken_at=f"2024:06:14 1{n}:00:00", model="Pixel 8 SN-12345")  # fmt: skip
    return photos_dir


def run(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def video_tags(video):
    """A video's metadata as ffmpeg reads it, lower-cased."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    return subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(video), "-f", "ffmetadata", "-"],
        capture_output=True, text=True, check=True,
    ).stdout.lower()  # fmt: skip


def test_a_full_build_uses_no_network_and_changes_no_original(album, config, no_network, tmp_path):
    before = snapshot(album)
    library = tmp_path / "Memories"
    result = run("build", album, "-l", library, *TODAY)
    assert result.exit_code == 0, result.output
    assert "Looked for faces in 4 new photos" in result.stdout, "faces ran, offline"
    assert list(library.glob("*/recap.mp4")) and (library / "index.html").is_file()
    assert snapshot(album) == before, "bytes, mtimes and permissions of originals unchanged"
    assert run("people", "sheet", "-l", library).exit_code == 0
    assert list((library / "people").glob("person-*.jpg")), "face thumbnails, in the library"
    written = {path for path in tmp_path.rglob("*") if path.is_file()}
    outside = {path for path in written - set(before) if library not in path.parents}
    assert outside <= set(config.rglob("*")), f"written outside the library: {outside}"


def test_outputs_carry_no_location_and_no_camera(album, config, tmp_path):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY).exit_code == 0
    images = [*library.glob("*/collage.jpg"), *library.glob("*/cover.jpg")]
    assert images
    for path in images:
        with Image.open(path) as image:
            assert not image.getexif(), f"{path.name} has EXIF"
            assert set(image.info) <= {"icc_profile", "jfif", "jfif_version", "jfif_unit",
                                       "jfif_density", "dpi", "progressive", "progression",
                                       "adobe", "adobe_transform"}, image.info.keys()  # fmt: skip
        assert b"SN-12345" not in path.read_bytes() and b"Pixel" not in path.read_bytes()
    for video in library.glob("*/recap.mp4"):
        tags = video_tags(video)
        assert "location" not in tags and "45.76" not in tags, tags
        assert b"SN-12345" not in video.read_bytes()
    for record in library.glob("*/memory.json"):
        assert "45.76" not in record.read_text(), record


def test_keep_location_puts_gps_in_outputs_and_a_plain_rebuild_takes_it_out(
    album, config, tmp_path
):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY, "--keep-location").exit_code == 0
    stills = [*library.glob("*/collage.jpg"), *library.glob("*/cover.jpg")]
    videos = list(library.glob("*/recap.mp4"))
    assert stills and videos
    for path in stills:
        with Image.open(path) as image:
            assert read_exif_facts(image.info["exif"]).gps == pytest.approx((45.7640, 4.8357))
        assert b"SN-12345" not in path.read_bytes()
    assert all("+45.7640+004.8357/" in video_tags(video) for video in videos)
    for record in library.glob("*/memory.json"):
        assert json.loads(record.read_text())["location"] == [45.764, 4.8357]

    assert run("build", album, "-l", library, *TODAY).exit_code == 0
    for path in stills:
        with Image.open(path) as image:
            assert not image.getexif(), f"{path} kept its GPS"
    assert not any("location" in video_tags(video) for video in videos)
    assert not any("location" in json.loads(record.read_text())
                   for record in library.glob("*/memory.json"))  # fmt: skip


def test_no_faces_computes_and_stores_no_face_data(album, config, tmp_path):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY, "--no-faces").exit_code == 0
    with sqlite3.connect(library / ".memories" / "catalog.sqlite") as catalog:
        for table in ("faces", "face_scans", "people"):
            assert catalog.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table
    assert not (library / "people").exists()


def test_a_memory_over_two_cities_is_located_where_most_of_it_was_taken():
    lyon, kyoto = (45.764, 4.8357), (35.0116, 135.7681)
    assert middle_of([lyon, kyoto, lyon, None, kyoto, lyon]) == lyon, "not half-way between"
    assert middle_of([None, None]) is None
