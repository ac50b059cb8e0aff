"""The SQLite catalog: which files exist, what each photo is, and later what is in it.

Photos are keyed by content hash, so a moved or renamed file keeps everything learnt about it,
and two copies of one file are one photo. Files are keyed by path, stored as bytes so that
names which are not valid UTF-8 survive.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from memories.catalog.faces import FaceTables
from memories.catalog.schema import MIGRATIONS, SCHEMA_VERSION
from memories.errors import (
    CatalogDamaged,
    CatalogError,
    LibraryUnwritable,
    MemoriesError,
    UnreadablePhoto,
)
from memories.model import (
    CompanionRole,
    DateSource,
    FileEntry,
    Motion,
    PairingRecord,
    Photo,
    PhotoKind,
    Place,
    Quality,
    Skipped,
    ZoneSource,
)

_PHOTO_COLUMNS = (
    "content_hash, format, kind, width, height, orientation, taken_at, taken_at_source, "
    "latitude, longitude, camera, duration, zone_source, content_id, motion_offset, motion_length"
)
_PHOTO_PLACEHOLDERS = ", ".join("?" * len(_PHOTO_COLUMNS.split(",")))

READER_VERSION = 2
"""Bumped when reading a file learns more from it: files read by an older version are read
again (their analysis, kept by content hash, is not redone)."""

_UPDATE_PHOTO = ", ".join(
    f"{column.strip()} = excluded.{column.strip()}" for column in _PHOTO_COLUMNS.split(",")[1:]
)

_KINDS = {kind.value: kind for kind in PhotoKind}
_DATE_SOURCES = {source.value: source for source in DateSource}
_ZONE_SOURCES = {source.value: source for source in ZoneSource}
"""Enum members by value, a dictionary look-up cheaper than calling the enum for each of
the library's photos."""


class FileState(NamedTuple):
    """A file as it was when last read."""

    size: int
    mtime_ns: int
    usable: bool
    """False when it was skipped: such files are tried again on every scan."""
    reader: int = READER_VERSION

    def unchanged(self, entry: FileEntry) -> bool:
        return self.usable and (self.size, self.mtime_ns) == (entry.size, entry.mtime_ns)

    def read_by_older_reader(self) -> bool:
        return self.reader < READER_VERSION


class Catalog(FaceTables):
    """An open catalog. Use as a context manager; writes happen in `transaction()` blocks."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Catalog:
        """Open (creating and migrating as needed) the catalog at `path`, checking that it is
        sound (SQLite's quick check reads every page: 0.13 s for 100,000 photos)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA secure_delete = ON")  # forgotten faces leave no bytes
            catalog = cls(connection, path)
            catalog._migrate()
            problems = catalog.integrity_problems()
        except sqlite3.DatabaseError as error:
            raise catalog_failure(error, path) from None
        if problems:  # damage the run might never read, found before it builds on it
            catalog.close()
            raise _damaged(path, "; ".join(problems[:3]))
        return catalog

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        self.close()
        if isinstance(error, sqlite3.DatabaseError):  # met while working: say what it means
            raise catalog_failure(error, self.path) from error

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a killed run leaves the catalog as it was before the block."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"the catalog {self.path} was written by a newer memories (schema {version}); "
                "upgrade memories to use it"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _split_sql(MIGRATIONS[target - 1]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target}")

    def write_through(self) -> None:
        """Move every committed change from the write-ahead log into the catalog file and
        empty the log, so that what was deleted (and overwritten) is gone from both."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def integrity_problems(self) -> list[str]:
        """What SQLite's quick check finds wrong in the file (every page read); empty when
        it is sound."""
        rows = self._db.execute("PRAGMA quick_check").fetchall()
        if rows == [("ok",)]:
            return []
        lines = (line.strip() for row in rows for line in row[0].splitlines())
        return [line for line in lines if line and not line.startswith("***")]

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    # Files -------------------------------------------------------------------------------

    def file_states(self, roots: Sequence[Path]) -> dict[str, FileState]:
        """How every catalogued file under `roots` was when last read, by path as a string
        (cheaper than Path objects when a nightly scan compares a whole library)."""
        where, params = _under(roots)
        rows = self._db.execute(
            f"SELECT path, size, mtime_ns, error IS NULL, reader FROM files WHERE {where}", params
        )
        return {
            os.fsdecode(raw): FileState(size, mtime_ns, bool(ok), reader)
            for raw, size, mtime_ns, ok, reader in rows
        }

    def content_hashes(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT content_hash FROM photos")}

    def record(self, results: Iterable[tuple[FileEntry, Photo | Skipped]]) -> None:
        """Store what reading each file gave; call inside a transaction."""
        for entry, result in results:
            if isinstance(result, Photo):
                # An upsert, not INSERT OR REPLACE: a replaced row would take the analysis
                # of the photo (quality, faces) with it through ON DELETE CASCADE.
                # A copy read without its Takeout sidecar does not undo what the sidecar
                # of another copy said (the date and place the user saw in Google Photos).
                self._db.execute(
                    f"INSERT INTO photos ({_PHOTO_COLUMNS}) VALUES ({_PHOTO_PLACEHOLDERS}) "
                    f"ON CONFLICT (content_hash) DO UPDATE SET {_UPDATE_PHOTO} "
                    "WHERE photos.taken_at_source IS NOT 'sidecar' "
                    "OR excluded.taken_at_source = 'sidecar'",
                    _photo_row(result),
                )
                # read again: its place is named again from what the file says now
                self._db.execute("DELETE FROM places WHERE content_hash = ?",
                                 (result.content_hash,))  # fmt: skip
                content_hash, error = result.content_hash, None
                sidecar = os.fsencode(result.sidecar) if result.sidecar else None
            else:
                content_hash, error, sidecar = None, result.reason, None
            self._db.execute(
                "INSERT OR REPLACE INTO files "
                "(path, size, mtime_ns, content_hash, error, sidecar, reader) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (os.fsencode(entry.path_text), entry.size, entry.mtime_ns, content_hash, error,
                 sidecar, READER_VERSION),
            )  # fmt: skip

    def remove_files(self, paths: Iterable[Path]) -> int:
        """Forget files that are gone, and photos no file holds any more; call in a transaction."""
        removed = 0
        for path in paths:
            removed += self._db.execute(
                "DELETE FROM files WHERE path = ?", (os.fsencode(path),)
            ).rowcount
        self._db.execute(
            "DELETE FROM photos WHERE content_hash NOT IN "
            "(SELECT content_hash FROM files WHERE content_hash IS NOT NULL)"
        )
        return removed

    # Photos ------------------------------------------------------------------------------

    def photos(self, roots: Sequence[Path] = ()) -> list[Photo]:
        """One Photo per distinct content (under `roots`, if given), ordered by path."""
        # A library of 100,000 files reads here on every nightly run, many of them copies of
        # the same content: two plain scans (files under the roots, every photo) cost less
        # than SQLite joining them row by row, and each Photo is made once, with its copies.
        where, params = _under(roots)
        files = sorted(self._db.execute(
            "SELECT path, content_hash, sidecar FROM files "
            f"WHERE content_hash IS NOT NULL AND {where}",
            params,
        ))  # fmt: skip
        paths_of: dict[str, list[bytes]] = {}
        sidecars: dict[str, bytes] = {}
        for raw_path, content_hash, sidecar in files:
            paths = paths_of.get(content_hash)
            if paths is None:
                paths_of[content_hash] = [raw_path]
                if sidecar is not None:
                    sidecars[content_hash] = sidecar
            else:
                paths.append(raw_path)
        photos = self._db.execute(f"SELECT {_PHOTO_COLUMNS} FROM photos")
        columns_of = {columns[0]: columns for columns in photos}
        companions = self._db.execute("SELECT content_hash, of_hash, role FROM companions")
        companion_of: dict[str, str] = {}
        clip_of: dict[str, str] = {}
        for content_hash, of_hash, role in companions:
            companion_of[content_hash] = of_hash
            if role == CompanionRole.MOTION_CLIP and content_hash in paths_of:
                clip_of[of_hash] = os.fsdecode(paths_of[content_hash][0])
        found = []
        for content_hash, (first, *copies) in paths_of.items():
            photo = _photo(os.fsdecode(first), columns_of[content_hash],
                           tuple(map(os.fsdecode, copies)))  # fmt: skip
            clip = clip_of.get(content_hash)
            if content_hash in companion_of or clip or content_hash in sidecars:
                sidecar = sidecars.get(content_hash)
                photo = photo._replace(
                    companion_of=companion_of.get(content_hash),
                    motion=Motion(clip) if clip else photo.motion,
                    sidecar=os.fsdecode(sidecar) if sidecar else None,
                )
            found.append(photo)
        return found

    def pairing_records(self) -> list[PairingRecord]:
        """What pairing files into one photo needs, for every catalogued file."""
        rows = self._db.execute(
            "SELECT files.path, photos.content_hash, kind, format, taken_at, content_id, "
            "duration FROM files JOIN photos USING (content_hash)"
        )
        return [PairingRecord(os.fsdecode(raw), *columns) for raw, *columns in rows]

    def replace_companions(self, companions: Iterable[tuple[str, str, str]]) -> None:
        """Store which photo each companion file belongs to, (its hash, the photo's, role);
        call in a transaction."""
        self._db.execute("DELETE FROM companions")
        self._db.executemany("INSERT OR IGNORE INTO companions VALUES (?, ?, ?)", companions)

    def skipped(self, roots: Sequence[Path] = ()) -> list[Skipped]:
        """Files that could not be used, with the reason, ordered by path."""
        where, params = _under(roots)
        rows = self._db.execute(
            f"SELECT path, error FROM files WHERE error IS NOT NULL AND {where} ORDER BY path",
            params,
        )
        return [Skipped(_path(raw), error) for raw, error in rows]

    def photo_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM photos").fetchone()[0]

    # Analysis ----------------------------------------------------------------------------

    def unmeasured(self, photos: Iterable[Photo]) -> list[Photo]:
        """The photos (not videos or screenshots) whose quality was never measured."""
        return self.photos_missing_from("quality", photos)

    def photos_missing_from(self, table: str, photos: Iterable[Photo]) -> list[Photo]:
        """The still photos among `photos` that `table` (an analysis, by content hash) lacks."""
        done = {row[0] for row in self._db.execute(f"SELECT content_hash FROM {table}")}
        return [
            photo
            for photo in photos
            if photo.content_hash not in done
            and photo.kind is PhotoKind.PHOTO
            and not photo.companion_of
        ]

    def record_quality(self, results: Iterable[tuple[Photo, Quality | UnreadablePhoto]]) -> None:
        """Store measurements (or why a photo could not be decoded); call in a transaction."""
        for photo, result in results:
            values: tuple[float | int | str | None, ...]
            if isinstance(result, Quality):
                values = (result.sharpness, result.brightness, result.clipped,
                          _signed_64(result.dhash), None)  # fmt: skip
            else:
                values = (None, None, None, None, result.reason)
            self._db.execute(
                "INSERT OR REPLACE INTO quality VALUES (?, ?, ?, ?, ?, ?)",
                (photo.content_hash, *values),
            )

    def qualities(self) -> dict[str, Quality | str]:
        """Each measured photo's quality, or the reason it could not be decoded."""
        found: dict[str, Quality | str] = {}
        for content_hash, sharpness, brightness, clipped, dhash, error in self._db.execute(
            "SELECT content_hash, sharpness, brightness, clipped, dhash, error FROM quality"
        ):
            found[content_hash] = error or Quality(
                sharpness, brightness, clipped, dhash & 0xFFFF_FFFF_FFFF_FFFF
            )
        return found

    def places(self, namer: str) -> dict[str, Place | None]:
        """The place each photo was named after by `namer`, by content hash (None: nowhere)."""
        rows = self._db.execute(
            "SELECT content_hash, city, region, country, country_code, latitude, longitude "
            "FROM places WHERE namer = ?",
            (namer,),
        )
        # Photos share places: one Place per distinct place keeps a large library compact.
        distinct: dict[tuple, Place] = {}
        named: dict[str, Place | None] = {}
        for content_hash, *columns in rows:
            if columns[0] is None:
                named[content_hash] = None
                continue
            key = tuple(columns)
            place = distinct.get(key)
            if place is None:
                place = distinct[key] = Place(*columns)
            named[content_hash] = place
        return named

    def record_places(self, namer: str, named: Iterable[tuple[str, Place | None]]) -> None:
        """Store the place `namer` gave each photo (by content hash); call in a transaction."""
        self._db.executemany(
            "INSERT OR REPLACE INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((content_hash, namer, *_place_row(place)) for content_hash, place in named),
        )

    def cached_place(self, provider: str, point: tuple[float, float]) -> str | None:
        row = self._db.execute(
            "SELECT place FROM geocode_cache WHERE provider = ? AND latitude = ? AND longitude = ?",
            (provider, *point),
        ).fetchone()
        return row[0] if row else None

    def cache_place(self, provider: str, point: tuple[float, float], place_json: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO geocode_cache VALUES (?, ?, ?, ?)",
                (provider, *point, place_json),
            )


def catalog_problem(path: Path) -> str | None:
    """Why the catalog file needs rebuilding (missing or damaged), in words; None when it is
    sound. A catalog from a newer memories is not damaged: that error is raised."""
    if not path.exists():
        return "there is no catalog"
    try:
        Catalog.open(path).close()
    except CatalogDamaged as error:
        return str(error)
    return None


def set_catalog_aside(path: Path) -> Path | None:
    """Move a damaged catalog (with its journal files) out of the way, beside itself and
    named by the time, so that nothing is lost; returns where it went."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    moved = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("-wal", "-shm", ""):  # the database last: its name says the set is whole
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.replace(moved.with_name(moved.name + suffix))
    return moved if moved.exists() else None


def catalog_failure(error: sqlite3.DatabaseError, path: Path) -> MemoriesError:
    """What an SQLite error means for the user, as one line that says what to do."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    if code == sqlite3.SQLITE_FULL:
        return LibraryUnwritable(
            f"cannot write the catalog {path}: the disk is full; "
            "free some space and run again; finished work is kept"
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return LibraryUnwritable(
            f"cannot open the catalog {path} for writing ({error}); "
            "the library folder must be writable (or pick another with --library)"
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return _damaged(path, str(error))
    return CatalogError(f"the catalog {path} cannot be used ({error})")


def _damaged(path: Path, what: str) -> CatalogDamaged:
    return CatalogDamaged(
        f"the catalog {path} is damaged ({what}); `memories doctor --repair -l "
        f"{shlex.quote(str(path.parent.parent))}` rebuilds it from your photos, keeping "
        "your names, merges and hidden people"
    )


def _signed_64(value: int) -> int:
    """SQLite integers are signed 64-bit."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _split_sql(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _under(roots: Sequence[Path], column: str = "path") -> tuple[str, list[bytes]]:
    """A WHERE clause selecting paths equal to or inside any of `roots` (all when empty)."""
    if not roots:
        return "1", []
    clauses, params = [], []
    for root in roots:
        raw = os.fsencode(Path(os.path.abspath(root)))
        prefix = raw.rstrip(b"/") + b"/"
        # Every path inside the folder sorts between "root/" and "root0" ("0" follows "/").
        clauses.append(f"({column} = ? OR ({column} >= ? AND {column} < ?))")
        params += [raw, prefix, prefix[:-1] + b"0"]
    return "(" + " OR ".join(clauses) + ")", params


def _path(raw: bytes) -> Path:
    return Path(os.fsdecode(raw))


def _photo_row(photo: Photo) -> tuple:
    latitude, longitude = photo.gps if photo.gps else (None, None)
    return (
        photo.content_hash,
        photo.format,
        photo.kind.value,
        photo.width,
        photo.height,
        photo.orientation,
        photo.taken_at.isoformat() if photo.taken_at else None,
        photo.taken_at_source.value if photo.taken_at_source else None,
        latitude,
        longitude,
        photo.camera,
        photo.duration,
        photo.zone_source.value if photo.zone_source else None,
        photo.content_id,
        *_embedded_clip(photo),
    )


def _embedded_clip(photo: Photo) -> tuple[int | None, int | None]:
    """(offset, length) of a motion clip inside the photo's own file; a clip in a file of its
    own is a companion, not a column."""
    motion = photo.motion
    if motion is None or motion.path_text != photo.path_text:
        return None, None
    return motion.offset, motion.length


def _place_row(place: Place | None) -> tuple:
    if place is None:
        return (None,) * 6
    return (place.city, place.region, place.country, place.country_code, place.latitude,
            place.longitude)  # fmt: skip


def _photo(path_text: str, columns: Sequence, duplicates: tuple[str, ...] = ()) -> Photo:
    (content_hash, image_format, kind, width, height, orientation, taken_at, source,
     latitude, longitude, camera, duration, zone, content_id, motion_offset,
     motion_length) = columns  # fmt: skip
    return Photo(
        path_text=path_text,
        content_hash=content_hash,
        format=image_format,
        kind=_KINDS[kind],
        width=width,
        height=height,
        orientation=orientation,
        taken_at=datetime.fromisoformat(taken_at) if taken_at else None,
        taken_at_source=_DATE_SOURCES[source] if source else None,
        gps=(latitude, longitude) if latitude is not None and longitude is not None else None,
        camera=camera,
        duration=duration,
        duplicates=duplicates,
        zone_source=_ZONE_SOURCES[zone] if zone else None,
        content_id=content_id,
        motion=Motion(path_text, motion_offset, motion_length) if motion_offset else None,
    )
