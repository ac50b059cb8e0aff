"""Incremental scanning into the catalog: re-scans, moves, deletions, duplicates, safety."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import snapshot

from memories import pipeline
from memories.config import Settings
from memories.errors import ExitStatus
from memories.model import Photo
from memories.scan import index


def photos_by_name(settings: Settings) -> dict[str, Photo]:
    return {photo.path.name: photo for photo in pipeline.catalogued_photos(settings)}


def test_first_scan_reads_everything(make_photo, photos_dir, settings):
    make_photo("a.jpg", taken_at="2024:06:14 15:30:12")
    make_photo("b.jpg", taken_at="2024:06:15 10:00:00", gps=(45.764, 4.8357))
    report = pipeline.scan([photos_dir], settings)
    assert (report.found, report.new, report.unchanged, report.skipped) == (2, 2, 0, [])
    assert report.exit_status is ExitStatus.OK
    assert photos_by_name(settings)["b.jpg"].gps == (45.764, 4.8357)


def test_unchanged_files_are_not_read_again(make_photo, photos_dir, settings, monkeypatch):
    make_photo("a.jpg")
    make_photo("b.jpg", color=(1, 2, 3))
    pipeline.scan([photos_dir], settings)

    def must_not_read(entries):
        raise AssertionError(f"{[entry.path for entry in entries]} were read again")

    monkeypatch.setattr(index, "read_many", must_not_read)
    report = pipeline.scan([photos_dir], settings)
    assert (report.found, report.unchanged, report.new, report.changed) == (2, 2, 0, 0)


def test_changed_file_is_read_again(make_photo, photos_dir, settings):
    path = make_photo("a.jpg", taken_at="2024:06:14 15:30:12")
    pipeline.scan([photos_dir], settings)
    make_photo("a.jpg", taken_at="2020:01:01 00:00:00")
    report = pipeline.scan([photos_dir], settings)
    assert report.changed == 1
    assert photos_by_name(settings)["a.jpg"].taken_at.year == 2020
    assert path.exists()


def test_moved_photo_keeps_its_identity(make_photo, photos_dir, settings):
    path = make_photo("a.jpg", taken_at="2024:06:14 15:30:12")
    pipeline.scan([photos_dir], settings)
    before = photos_by_name(settings)["a.jpg"]
    (photos_dir / "2024").mkdir()
    moved = path.rename(photos_dir / "2024" / "renamed.jpg")
    report = pipeline.scan([photos_dir], settings)
    assert (report.moved, report.new, report.removed) == (1, 0, 1)
    after = photos_by_name(settings)
    assert list(after) == ["renamed.jpg"]
    assert after["renamed.jpg"].content_hash == before.content_hash
    assert after["renamed.jpg"].path == moved


def test_deleted_photos_leave_the_catalog(make_photo, photos_dir, settings):
    make_photo("a.jpg")
    gone = make_photo("b.jpg", color=(9, 9, 9))
    pipeline.scan([photos_dir], settings)
    gone.unlink()
    report = pipeline.scan([photos_dir], settings)
    assert report.removed == 1
    assert list(photos_by_name(settings)) == ["a.jpg"]


def test_exact_duplicates_are_one_photo(make_photo, photos_dir, settings):
    original = make_photo("a.jpg")
    shutil.copy2(original, photos_dir / "copy of a.jpg")
    pipeline.scan([photos_dir], settings)
    photos = pipeline.catalogued_photos(settings)
    assert len(photos) == 1
    assert photos[0].path == original
    assert photos[0].duplicates == (str(photos_dir / "copy of a.jpg"),)


def test_library_inside_the_photos_folder_is_not_scanned(make_photo, photos_dir):
    make_photo("a.jpg")
    settings = Settings(library=photos_dir / "Memories", workers=1)
    pipeline.scan([photos_dir], settings)
    make_photo("collage.jpg", folder=photos_dir / "Memories" / "2024-06-14-lyon")
    report = pipeline.scan([photos_dir], settings)
    assert report.found == 1


def test_skipped_files_are_reported_and_retried(make_photo, photos_dir, settings):
    make_photo("good.jpg")
    broken = photos_dir / "broken.jpg"
    broken.write_bytes(b"")
    report = pipeline.scan([photos_dir], settings)
    assert [(s.path.name, s.reason) for s in report.skipped] == [
        ("broken.jpg", "empty file (0 bytes)")
    ]
    assert report.exit_status is ExitStatus.SKIPPED
    again = pipeline.scan([photos_dir], settings)
    assert len(again.skipped) == 1
    broken.write_bytes(
        make_photo("fixed.jpg", folder=photos_dir.parent / "x", color=(7, 7, 7)).read_bytes()
    )
    fixed = pipeline.scan([photos_dir], settings)
    assert fixed.skipped == [] and fixed.new == 1


def test_nothing_found(photos_dir, settings):
    (photos_dir / "readme.txt").write_text("no photos here")
    report = pipeline.scan([photos_dir], settings)
    assert report.exit_status is ExitStatus.NOTHING_FOUND


def test_a_root_that_went_empty_keeps_its_photos(make_photo, tmp_path, settings):
    disk = tmp_path / "usb-disk"
    make_photo("a.jpg", folder=disk)
    pipeline.scan([disk], settings)
    (disk / "a.jpg").rename(tmp_path / "a.jpg")  # as if the disk were not mounted
    report = pipeline.scan([disk], settings)
    assert report.removed == 0
    assert "not mounted" in report.warnings[0]
    assert len(pipeline.catalogued_photos(settings)) == 1


def test_scanning_another_folder_keeps_the_first(make_photo, tmp_path, settings):
    make_photo("a.jpg", folder=tmp_path / "one")
    make_photo("b.jpg", folder=tmp_path / "two", color=(1, 1, 1))
    pipeline.scan([tmp_path / "one"], settings)
    pipeline.scan([tmp_path / "two"], settings)
    assert sorted(photos_by_name(settings)) == ["a.jpg", "b.jpg"]


def test_parallel_scan_matches_serial(make_photo, photos_dir, tmp_path):
    for number in range(80):
        make_photo(
            f"IMG_{number:04d}.jpg",
            color=(number, 0, 0),
            taken_at=f"2024:06:14 15:{number // 60:02d}:{number % 60:02d}",
        )
    serial = Settings(library=tmp_path / "serial", workers=1)
    parallel = Settings(library=tmp_path / "parallel", workers=2)
    pipeline.scan([photos_dir], serial)
    report = pipeline.scan([photos_dir], parallel)
    assert report.new == 80
    assert pipeline.catalogued_photos(serial) == pipeline.catalogued_photos(parallel)


def test_scan_never_touches_originals(make_photo, photos_dir, settings):
    for number in range(5):
        make_photo(f"{number}.jpg", color=(number, 1, 1), gps=(1.0, 2.0), orientation=6)
    os.chmod(photos_dir / "0.jpg", 0o444)
    before = snapshot(photos_dir)
    pipeline.scan([photos_dir], settings)
    pipeline.scan([photos_dir], settings)
    assert snapshot(photos_dir) == before


def test_progress_is_reported(make_photo, photos_dir, settings):
    for number in range(3):
        make_photo(f"{number}.jpg", color=(number, 1, 1))
    calls = []
    pipeline.scan([photos_dir], settings, progress=lambda *args: calls.append(args))
    assert ("Reading photos", 3, 3) in calls
    assert any(stage == "Finding photos" for stage, _, _ in calls)


def test_non_utf8_file_name_round_trips(make_photo, photos_dir, settings):
    raw = os.fsencode(photos_dir) + b"/caf\xe9.jpg"
    with open(raw, "wb") as file:
        file.write(make_photo("x.jpg", folder=photos_dir.parent / "src").read_bytes())
    pipeline.scan([photos_dir], settings)
    [photo] = pipeline.catalogued_photos(settings)
    assert os.fsencode(photo.path) == raw
    assert isinstance(photo.path, Path)
