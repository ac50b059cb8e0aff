"""Real-world files from ../shared/devdata (camera EXIF, HEIC, broken files).

Marked `devdata`; skipped when the folder is absent; deselect with `-m "not devdata"`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEVDATA, snapshot

from memories import pipeline
from memories.config import Settings
from memories.model import PhotoKind
from memories.scan.discover import discover

pytestmark = [
    pytest.mark.devdata,
    pytest.mark.skipif(not DEVDATA.is_dir(), reason="../shared/devdata is not present"),
]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    settings = Settings(library=tmp_path_factory.mktemp("devdata") / "Memories", workers=2)
    before = snapshot(DEVDATA)
    report = pipeline.scan([DEVDATA], settings)
    assert snapshot(DEVDATA) == before, "scanning changed a file in devdata"
    photos = {photo.path.relative_to(DEVDATA).as_posix(): photo for photo in
              pipeline.catalogued_photos(settings)}  # fmt: skip
    for photo in list(photos.values()):
        for duplicate in photo.duplicates:
            photos[Path(duplicate).relative_to(DEVDATA).as_posix()] = photo
    skipped = {s.path.relative_to(DEVDATA).as_posix(): s.reason for s in report.skipped}
    return photos, skipped


@pytest.fixture(scope="module")
def photos(scanned):
    return scanned[0]


@pytest.fixture(scope="module")
def skipped(scanned):
    return scanned[1]


def test_every_media_file_is_a_photo_or_skipped_with_a_reason(photos, skipped):
    found = {entry.path.relative_to(DEVDATA).as_posix() for entry in discover([DEVDATA]).files}
    assert set(photos) | set(skipped) == found
    assert not set(photos) & set(skipped)
    assert all(reason for reason in skipped.values())


def test_broken_files_are_skipped(skipped):
    for name in ["broken/pillow/truncated_jpeg.jpg", "broken/pillow/truncated_image.png",
                 "broken/heic/truncated.heic", "broken/heic/corrupted.heic",
                 "broken/pillow/decompression_bomb.gif", "broken/zero-byte/cool.mp4"]:  # fmt: skip
        assert name in skipped, name


@pytest.mark.parametrize("orientation", range(9))
def test_every_orientation_gives_the_same_displayed_size(photos, orientation):
    landscape = photos[f"exif/orientation/Landscape_{orientation}.jpg"]
    portrait = photos[f"exif/orientation/Portrait_{orientation}.jpg"]
    assert (landscape.width, landscape.height) == (1800, 1200)
    assert (portrait.width, portrait.height) == (1200, 1800)


def test_gps_outing(photos):
    outing = [photo for name, photo in photos.items() if name.startswith("exif/jpg/gps/")]
    assert len(outing) == 9
    for photo in outing:
        assert photo.gps == pytest.approx((43.467, 11.882), abs=0.01)
        assert photo.taken_at.date().isoformat() == "2008-10-22"


def test_phone_photo_with_offset(photos):
    nokia = photos["exif/jpg/mobile/HMD_Nokia_8.3_5G.jpg"]
    assert nokia.taken_at.isoformat() == "2022-08-14T14:12:31+03:00"
    assert nokia.gps == pytest.approx((60.1467, 24.9068), abs=1e-3)


def test_heic_files_are_read(photos):
    heic = {name: photo for name, photo in photos.items() if name.startswith("heic/")}
    assert len(heic) >= 8
    big = heic["heic/heif_special/200MP.heic"]
    assert big.width * big.height > 150_000_000
    assert big.kind is PhotoKind.PHOTO


def test_faces_folder_is_all_photos(photos, skipped):
    faces = [name for name in photos if name.startswith("faces/")]
    assert len(faces) >= 40
    assert not [name for name in skipped if name.startswith("faces/")]


def test_labelled_faces_group_into_pure_people(tmp_path):
    """devdata/faces/<person>/: no person we make mixes two labels, and every label is one
    person. The 150-pixel TV-cast crops are too small to count as photos (they are kept as
    "other" images, like stickers), so four labels take part; benchmarks/faces_eval.py
    scores all twelve."""
    import json

    from typer.testing import CliRunner

    from memories.cli import app

    faces = DEVDATA / "faces"
    library = tmp_path / "Memories"
    before = snapshot(faces)
    built = CliRunner().invoke(app, ["build", str(faces), "-l", str(library), "-q", "--no-video"])
    assert built.exit_code == 0, built.output
    assert snapshot(faces) == before, "building changed a file in devdata"
    people = json.loads(CliRunner().invoke(app, ["people", "-l", str(library), "--json"]).stdout)
    labels_of = [{face["photo"].split("/")[-2] for face in person["faces"]} for person in people]
    assert all(len(labels) == 1 for labels in labels_of), labels_of
    labels = sorted(label for labels in labels_of for label in labels)
    assert labels == ["Alex_Lacamoire", "Barack_Obama", "Kit_Harington", "Rose_Leslie"]


def test_broken_and_camera_files_go_through_a_whole_build(quick_renders, tmp_path):
    """Every stage (scan, quality, faces, plan, collages, videos, gallery) over the broken
    and camera files: bad ones skipped with a reason, no traceback or warning, nothing
    changed."""
    import os
    import sqlite3
    import subprocess
    import sys

    quick_renders("size = 384\n")
    folders = [DEVDATA / "broken", DEVDATA / "exif"]
    library = tmp_path / "Memories"
    before = snapshot(DEVDATA)
    built = subprocess.run(
        [sys.executable, "-m", "memories", "build", *map(str, folders), "-l", str(library),
         "--today", "2025-06-14"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=900,
    )  # fmt: skip
    assert built.returncode == 1, built.stderr  # done, some files skipped
    assert not built.stderr.strip(), "no traceback, no warning"
    skipped = [line for line in built.stdout.splitlines() if line.startswith("  /")]
    assert len(skipped) >= 15 and all(": " in line for line in skipped)
    assert all("/broken/" in line for line in skipped), "every camera file is used"
    assert len(list(library.glob("*/collage.jpg"))) >= 2 and (library / "index.html").is_file()
    assert list(library.glob("*/recap.mp4"))
    with sqlite3.connect(library / ".memories" / "catalog.sqlite") as catalog:
        assert catalog.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert snapshot(DEVDATA) == before, "building changed a file in devdata"
