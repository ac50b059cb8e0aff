"""Walking photo folders: what is listed, what is passed over, what is reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memories.errors import PhotosFolderMissing
from memories.scan import discover as discover_module
from memories.scan.discover import discover


def names(found) -> list[str]:
    return [entry.path.name for entry in found.files]


MEDIA_NAMES = "a.jpg b.JPEG c.Png d.HEIC e.webp f.tif g.gif h.MP4 i.mov j.m4v k.mpo".split()


def test_media_by_extension_any_case_recursively(photos_dir):
    (photos_dir / "2024" / "june").mkdir(parents=True)
    for name in MEDIA_NAMES:
        (photos_dir / "2024" / "june" / name).write_bytes(b"x")
    (photos_dir / "notes.txt").write_text("not media")
    (photos_dir / "IMG_1.jpg.xmp").write_text("sidecar")
    found = discover([photos_dir])
    assert sorted(names(found)) == MEDIA_NAMES
    assert found.skipped == []


def test_hidden_and_nas_folders_are_skipped(make_photo, photos_dir):
    make_photo("kept.jpg")
    make_photo("secret.jpg", folder=photos_dir / ".hidden")
    make_photo(".dotfile.jpg")
    make_photo("thumb.jpg", folder=photos_dir / "@eaDir")
    assert names(discover([photos_dir])) == ["kept.jpg"]


def test_library_folder_inside_photos_is_never_scanned(make_photo, photos_dir):
    make_photo("kept.jpg")
    library = photos_dir / "Memories"
    make_photo("collage.jpg", folder=library / "2024-06-14-lyon")
    assert names(discover([photos_dir], exclude=library)) == ["kept.jpg"]


def test_symlink_loops_are_walked_once(make_photo, photos_dir):
    make_photo("a.jpg", folder=photos_dir / "trip")
    os.symlink(photos_dir, photos_dir / "trip" / "loop")
    assert names(discover([photos_dir])) == ["a.jpg"]


def test_symlinked_folder_is_followed(make_photo, tmp_path, photos_dir):
    make_photo("elsewhere.jpg", folder=tmp_path / "external")
    os.symlink(tmp_path / "external", photos_dir / "external")
    assert names(discover([photos_dir])) == ["elsewhere.jpg"]


def test_broken_symlink_is_reported(photos_dir):
    os.symlink(photos_dir / "nowhere.jpg", photos_dir / "link.jpg")
    found = discover([photos_dir])
    assert found.files == []
    assert [(s.path.name, s.reason) for s in found.skipped] == [
        ("link.jpg", "broken symbolic link")
    ]


def test_unreadable_folder_is_reported(make_photo, photos_dir, monkeypatch):
    make_photo("a.jpg")
    make_photo("b.jpg", folder=photos_dir / "locked")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    # Tests run as root here, where chmod does not lock a folder; simulate the refusal.
    monkeypatch.setattr(discover_module.os, "scandir", scandir)
    found = discover([photos_dir])
    assert names(found) == ["a.jpg"]
    assert found.skipped[0].reason == "folder cannot be read: Permission denied"


def test_non_utf8_names_are_found(photos_dir, make_photo):
    source = make_photo("a.jpg")
    raw_name = os.fsencode(photos_dir) + b"/caf\xe9.jpg"
    with open(raw_name, "wb") as file:
        file.write(source.read_bytes())
    found = discover([photos_dir])
    assert os.fsencode(found.files[1].path) == raw_name


def test_several_roots_and_single_files(make_photo, tmp_path):
    first = make_photo("a.jpg", folder=tmp_path / "one")
    make_photo("b.jpg", folder=tmp_path / "two")
    found = discover([tmp_path / "two", first, tmp_path / "one"])
    assert names(found) == ["a.jpg", "b.jpg"]


def test_takeout_sidecars_are_attached(make_photo, photos_dir):
    make_photo("IMG_1.jpg")
    (photos_dir / "IMG_1.jpg.json").write_text("{}")
    make_photo("IMG_2.jpg")
    (photos_dir / "IMG_2.jpg.supplemental-metadata.json").write_text("{}")
    make_photo("IMG_3.jpg")
    sidecars = [entry.sidecar and entry.sidecar.name for entry in discover([photos_dir]).files]
    assert sidecars == ["IMG_1.jpg.json", "IMG_2.jpg.supplemental-metadata.json", None]


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(PhotosFolderMissing, match="does not exist"):
        discover([tmp_path / "not-mounted"])
