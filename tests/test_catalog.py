"""The SQLite catalog: schema, durability settings, damage, and storage of odd paths."""

from __future__ import annotations

import errno
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from memories.catalog import SCHEMA_VERSION, Catalog
from memories.catalog.store import catalog_failure
from memories.errors import CatalogDamaged, CatalogError, LibraryUnwritable, unwritable
from memories.model import DateSource, FileEntry, Photo, PhotoKind, Quality, Skipped


def a_photo(path: Path, content_hash: str = "abc") -> Photo:
    return Photo(
        path_text=str(path),
        content_hash=content_hash,
        format="JPEG",
        kind=PhotoKind.PHOTO,
        width=4000,
        height=3000,
        orientation=6,
        taken_at=datetime(2024, 6, 14, 15, 30, 12, 250000, tzinfo=timezone(timedelta(hours=9))),
        taken_at_source=DateSource.EXIF,
        gps=(35.0116, 135.7681),
        camera="Google Pixel 8",
    )


def test_new_catalog_has_the_current_schema_in_wal_mode(tmp_path):
    with Catalog.open(tmp_path / "lib" / "catalog.sqlite") as catalog:
        assert catalog.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(tmp_path / "lib" / "catalog.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_photos_round_trip(tmp_path):
    path = tmp_path / "catalog.sqlite"
    photo = a_photo(Path("/photos/a.jpg"))
    with Catalog.open(path) as catalog, catalog.transaction():
        catalog.record([(FileEntry(str(photo.path), 10, 20), photo)])
    with Catalog.open(path) as catalog:
        assert catalog.photos() == [photo]
        assert catalog.file_states([Path("/photos")])["/photos/a.jpg"].size == 10


def test_roots_select_only_paths_inside_them(tmp_path):
    with Catalog.open(tmp_path / "catalog.sqlite") as catalog:
        with catalog.transaction():
            for number, name in enumerate(["/p/a.jpg", "/p/sub/b.jpg", "/p2/c.jpg", "/q.jpg"]):
                catalog.record([(FileEntry(name, 1, 1), a_photo(Path(name), str(number)))])
        assert [str(p.path) for p in catalog.photos([Path("/p")])] == ["/p/a.jpg", "/p/sub/b.jpg"]
        assert [str(p.path) for p in catalog.photos([Path("/q.jpg")])] == ["/q.jpg"]


def test_skipped_files_are_kept_with_their_reason(tmp_path):
    with Catalog.open(tmp_path / "catalog.sqlite") as catalog:
        with catalog.transaction():
            catalog.record(
                [(FileEntry("/p/x.jpg", 0, 1), Skipped(Path("/p/x.jpg"), "empty"))]
            )
        assert catalog.skipped() == [Skipped(Path("/p/x.jpg"), "empty")]
        assert catalog.photos() == []
        assert not catalog.file_states([Path("/p")])["/p/x.jpg"].usable


def test_removing_the_last_file_of_a_photo_removes_the_photo(tmp_path):
    with Catalog.open(tmp_path / "catalog.sqlite") as catalog:
        with catalog.transaction():
            catalog.record([(FileEntry("/a.jpg", 1, 1), a_photo(Path("/a.jpg")))])
            catalog.record([(FileEntry("/b.jpg", 1, 1), a_photo(Path("/b.jpg")))])
        with catalog.transaction():
            catalog.remove_files([Path("/a.jpg")])
        assert catalog.photo_count() == 1
        with catalog.transaction():
            catalog.remove_files([Path("/b.jpg")])
        assert catalog.photo_count() == 0


def test_interrupted_transaction_leaves_nothing(tmp_path):
    with Catalog.open(tmp_path / "catalog.sqlite") as catalog:
        with pytest.raises(KeyboardInterrupt), catalog.transaction():
            catalog.record([(FileEntry("/a.jpg", 1, 1), a_photo(Path("/a.jpg")))])
            raise KeyboardInterrupt
        assert catalog.photo_count() == 0


def test_catalog_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "catalog.sqlite"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(CatalogError, match="newer memories"):
        Catalog.open(path)


def test_damaged_catalog_gives_a_clear_error(tmp_path):
    path = tmp_path / "catalog.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogError, match="damaged"):
        Catalog.open(path)


def test_a_catalog_from_schema_1_is_migrated_keeping_its_photos(tmp_path):
    from memories.catalog.schema import MIGRATIONS

    path = tmp_path / "catalog.sqlite"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    old.execute("INSERT INTO photos (content_hash, format, kind, width, height, orientation) "
                "VALUES ('abc', 'JPEG', 'photo', 4, 3, 1)")  # fmt: skip
    old.execute("INSERT INTO files VALUES (?, 1, 1, 'abc', NULL)", (b"/p/a.jpg",))
    old.commit()
    old.close()
    with Catalog.open(path) as catalog:
        assert catalog.schema_version == SCHEMA_VERSION == 8
        assert [photo.path for photo in catalog.photos()] == [Path("/p/a.jpg")]
        assert [photo.content_hash for photo in catalog.unmeasured(catalog.photos())] == ["abc"]
        assert [p.content_hash for p in catalog.unscanned_for_faces(catalog.photos())] == ["abc"]


def test_a_catalog_from_schema_5_keeps_photos_people_and_analysis_and_reads_files_again(
    tmp_path, make_photo
):
    from memories.catalog.schema import MIGRATIONS
    from memories.scan.index import scan_folders
    from memories.scan.metadata import read_media

    photo_path = make_photo("IMG_20240614_153012.jpg", taken_at="2024:06:14 15:30:12",
                            gps=(45.764, 4.8357))  # fmt: skip
    stat = photo_path.stat()
    entry = FileEntry(str(photo_path), stat.st_size, stat.st_mtime_ns)
    photo = read_media(entry)
    path = tmp_path / "catalog.sqlite"
    old = sqlite3.connect(path)
    old.executescript(";".join(MIGRATIONS[:5]) + "; PRAGMA user_version = 5;")
    old.execute(  # as schema 5 stored it: the wall clock without the zone its GPS gives
        "INSERT INTO photos VALUES (?, 'JPEG', 'photo', 64, 48, 1, '2024-06-14T15:30:12', "
        "'exif', 45.764, 4.8357, 'Google Pixel 8', NULL)", (photo.content_hash,))
    old.execute("INSERT INTO files VALUES (?, ?, ?, ?, NULL)",
                (os.fsencode(entry.path_text), entry.size, entry.mtime_ns, photo.content_hash))
    old.execute("INSERT INTO quality VALUES (?, 100, 0.5, 0, 7, NULL)", (photo.content_hash,))
    old.execute("INSERT INTO people (name) VALUES ('Ana')")
    old.execute("INSERT INTO faces (content_hash, box_top, box_right, box_bottom, box_left, "
                "landmarks, encoding, score, person_id, pinned) "
                "VALUES (?, 1, 3, 3, 1, '[]', zeroblob(512), 1.0, 1, 1)", (photo.content_hash,))
    old.commit()
    old.close()  # fmt: skip
    with Catalog.open(path) as catalog:
        assert catalog.schema_version == SCHEMA_VERSION == 8
        (kept,) = catalog.photos()
        assert kept.taken_at == datetime(2024, 6, 14, 15, 30, 12)
        report = scan_folders([photo_path.parent], catalog, exclude=None, workers=1)
        assert (report.new, report.changed, report.unchanged) == (0, 0, 1)
        (again,) = catalog.photos()
        assert again.taken_at.isoformat() == "2024-06-14T15:30:12+02:00"  # read again
        assert catalog.qualities()[photo.content_hash] == Quality(100.0, 0.5, 0.0, 7)
        assert [person.name for person in catalog.people()] == ["Ana"]
        assert len(catalog.known_faces()) == 1
        second = scan_folders([photo_path.parent], catalog, exclude=None, workers=1)
        assert second.unchanged == 1
        assert catalog.file_states([photo_path.parent])[str(photo_path)].reader == 2


def test_a_catalog_from_schema_7_keeps_its_people_who_then_have_no_birthday(tmp_path):
    from datetime import date

    from memories.catalog.schema import MIGRATIONS

    path = tmp_path / "catalog.sqlite"
    old = sqlite3.connect(path)
    old.executescript(";".join(MIGRATIONS[:7]) + "; PRAGMA user_version = 7;")
    old.executemany("INSERT INTO people (name, hidden) VALUES (?, ?)",
                    [("Ana", 0), ("Ben", 0), ("Cleo", 1), (None, 0)])  # fmt: skip
    old.commit()
    old.close()
    with Catalog.open(path) as catalog:
        assert catalog.schema_version == SCHEMA_VERSION == 8
        assert [(p.name, p.hidden, p.birthday) for p in catalog.people()] == [
            ("Ana", False, None), ("Ben", False, None), ("Cleo", True, None), (None, False, None)
        ]  # fmt: skip
        assert catalog.birthdays() == {}
        with catalog.transaction():
            for person_id in (1, 3, 4):  # named, hidden, unnamed
                catalog.set_birthday(person_id, date(2019, 5, 3))
        assert catalog.person(1).birthday == date(2019, 5, 3)
        assert catalog.person(2).birthday is None
        assert catalog.birthdays() == {"1": date(2019, 5, 3)}, "only named people in view"
        with catalog.transaction():
            catalog.set_birthday(1, None)
        assert catalog.birthdays() == {}


def test_reading_a_known_photo_again_keeps_what_analysis_learnt(tmp_path):
    import numpy as np

    from memories.model import Face, Quality

    photo = a_photo(Path("/photos/a.jpg"))
    face = Face((1, 3, 3, 1), ((1, 1),) * 5, np.zeros(128, dtype=np.float32), 1.0)
    with Catalog.open(tmp_path / "catalog.sqlite") as catalog:
        with catalog.transaction():
            catalog.record([(FileEntry(str(photo.path), 10, 20), photo)])
            catalog.record_quality([(photo, Quality(100.0, 0.5, 0.0, 7))])
            catalog.record_faces([(photo, [face])])
        moved = a_photo(Path("/photos/moved.jpg"))
        with catalog.transaction():  # a move: the same content read again under a new path
            catalog.record([(FileEntry(str(moved.path), 10, 30), moved)])
            catalog.remove_files([photo.path])
        assert catalog.qualities()["abc"] == Quality(100.0, 0.5, 0.0, 7)
        assert [known.content_hash for known in catalog.known_faces()] == ["abc"]
        assert catalog.unscanned_for_faces(catalog.photos()) == []


def test_places_are_kept_by_namer_and_named_again_when_the_photo_is_read_again(tmp_path):
    from memories.model import Place

    photo, at_sea = a_photo(Path("/photos/a.jpg")), a_photo(Path("/photos/b.jpg"), "sea")
    kyoto = Place("Kyoto", "Kyoto", "Japan", "JP", 35.02107, 135.75385)
    with Catalog.open(tmp_path / "catalog.sqlite") as catalog:
        with catalog.transaction():
            catalog.record([(FileEntry(str(photo.path), 10, 20), photo),
                            (FileEntry(str(at_sea.path), 10, 20), at_sea)])  # fmt: skip
            catalog.record_places("geonames", [("abc", kyoto), ("sea", None)])
        assert catalog.places("geonames") == {"abc": kyoto, "sea": None}
        assert catalog.places("nominatim") == {}
        with catalog.transaction():  # the file changed: what it says now is named again
            catalog.record([(FileEntry(str(photo.path), 11, 30), photo)])
        assert catalog.places("geonames") == {"sea": None}


def test_faces_stored_by_a_run_killed_before_grouping_are_grouped_by_the_next(tmp_path):
    import numpy as np

    from memories.model import Face
    from memories.people import find_and_group_faces

    encoding = np.full(128, 0.05, dtype=np.float32)
    photos = [a_photo(Path(f"/p/{n}.jpg"), str(n)) for n in range(2)]
    with Catalog.open(tmp_path / "c.sqlite") as catalog:
        with catalog.transaction():
            catalog.record([(FileEntry(str(photo.path), 1, 1), photo) for photo in photos])
            face = Face((10, 60, 60, 10), ((0, 0),) * 5, encoding, 1.0)
            catalog.record_faces([(photo, [face]) for photo in photos])
        # killed here: the faces are stored, their grouping is owed
        assert catalog.grouping_owed()
        assert find_and_group_faces(catalog, photos, workers=1, progress=None) == (0, [])
        assert not catalog.grouping_owed()
        assert {face.person for face in catalog.known_faces()} == {1}


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (sqlite3.SQLITE_FULL, LibraryUnwritable, "the disk is full"),
        (sqlite3.SQLITE_IOERR_WRITE, CatalogError, "cannot be used"),
        (sqlite3.SQLITE_READONLY, LibraryUnwritable, "must be writable"),
        (sqlite3.SQLITE_CANTOPEN, LibraryUnwritable, "must be writable"),
        (sqlite3.SQLITE_CORRUPT, CatalogDamaged, "doctor --repair"),
        (sqlite3.SQLITE_NOTADB, CatalogDamaged, "doctor --repair"),
    ],
)
def test_each_sqlite_failure_is_told_as_what_to_do(tmp_path, code, kind, words):
    error = sqlite3.OperationalError("what SQLite said")
    error.sqlite_errorcode = code
    explained = catalog_failure(error, tmp_path / ".memories" / "catalog.sqlite")
    assert type(explained) is kind and words in str(explained)


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "cannot write /L/x.jpg: "), (errno.EROFS, "cannot write /L/x.jpg: "),
     (errno.EACCES, "no permission for /L/x.jpg: "), (errno.EIO, None)],
)  # fmt: skip
def test_space_and_permission_failures_are_one_line_errors(code, words):
    explained = unwritable(OSError(code, os.strerror(code), "/L/x.jpg"))
    assert (explained is None) if words is None else words in str(explained)
