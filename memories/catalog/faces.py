"""The catalog's face tables: faces found in each photo, the people they are grouped into,
and the user's decisions about those people (names, hiding, pinned faces)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np

from memories.errors import UnreadablePhoto
from memories.model import Face, KnownFace, Person, Photo


class PersonSummary(NamedTuple):
    """A person with what the listing shows about them."""

    person: Person
    faces: int
    photos: int
    first_seen: datetime | None
    last_seen: datetime | None


class FaceOnPhoto(NamedTuple):
    """A face where the user can find it: its id, its person, a path to its photo, its box."""

    id: int
    person: int | None
    content_hash: str
    path: Path
    box: tuple[int, int, int, int]


GROUPING = "group faces"
RESTORING = "restore people decisions"


class FaceTables:
    """Mixed into `Catalog`; writes happen inside its `transaction()` blocks."""

    _db: sqlite3.Connection
    photos_missing_from: Callable[[str, Iterable[Photo]], list[Photo]]
    """Catalog's, like `_db`."""

    # Finding faces -----------------------------------------------------------------------

    def unscanned_for_faces(self, photos: Iterable[Photo]) -> list[Photo]:
        """The photos (not videos or screenshots) nobody has looked for faces in yet."""
        return self.photos_missing_from("face_scans", photos)

    def record_faces(self, results: Iterable[tuple[Photo, list[Face] | UnreadablePhoto]]) -> None:
        """Store the faces found in each photo (or why it could not be decoded), and note
        that they are still to be grouped (a run killed before grouping leaves that owed)."""
        self._db.execute("INSERT OR IGNORE INTO pending_work VALUES (?)", (GROUPING,))
        for photo, result in results:
            error = result.reason if isinstance(result, UnreadablePhoto) else None
            self._db.execute(
                "INSERT OR REPLACE INTO face_scans VALUES (?, ?)", (photo.content_hash, error)
            )
            self._db.execute("DELETE FROM faces WHERE content_hash = ?", (photo.content_hash,))
            for face in [] if isinstance(result, UnreadablePhoto) else result:
                self._db.execute(
                    "INSERT INTO faces (content_hash, box_top, box_right, box_bottom, box_left, "
                    "landmarks, encoding, score, sharpness) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        photo.content_hash,
                        *face.box,
                        json.dumps(face.landmarks),
                        face.encoding.astype("<f4").tobytes(),
                        face.score,
                        face.sharpness,
                    ),
                )

    def known_faces(self, person_id: int | None = None) -> list[KnownFace]:
        """Every face with its encoding (or one person's), by id."""
        where, params = ("WHERE person_id = ?", (person_id,)) if person_id is not None else ("", ())
        rows = self._db.execute(
            "SELECT f.id, f.content_hash, box_top, box_right, box_bottom, box_left, encoding, "
            "person_id, pinned, sharpness, landmarks, substr(p.taken_at, 1, 10) FROM faces f "
            f"LEFT JOIN photos p ON p.content_hash = f.content_hash {where} ORDER BY f.id",
            params,
        )
        return [
            KnownFace(
                id=face_id,
                content_hash=content_hash,
                box=(top, right, bottom, left),
                encoding=np.frombuffer(encoding, dtype="<f4"),
                person=person,
                pinned=bool(pinned),
                sharpness=sharpness,
                landmarks=tuple(map(tuple, json.loads(landmarks))),
                day=_day(taken_on),
            )
            for (face_id, content_hash, top, right, bottom, left, encoding, person, pinned,
                 sharpness, landmarks, taken_on) in rows
        ]  # fmt: skip

    def face_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM faces").fetchone()[0]

    # People ------------------------------------------------------------------------------

    def new_person(self) -> int:
        cursor = self._db.execute("INSERT INTO people (name) VALUES (NULL)")
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def assign_faces(self, person: int | None, face_ids: Iterable[int], pinned: bool) -> None:
        self._db.executemany(
            "UPDATE faces SET person_id = ?, pinned = ? WHERE id = ?",
            [(person, int(pinned), face_id) for face_id in face_ids],
        )

    def move_faces(self, from_person: int, to_person: int) -> None:
        """All of one person's faces become another's, pinned there."""
        self._db.execute(
            "UPDATE faces SET person_id = ?, pinned = 1 WHERE person_id = ?",
            (to_person, from_person),
        )

    def grouping_owed(self) -> bool:
        """Whether faces were stored that no grouping has seen yet."""
        owed = self._db.execute("SELECT 1 FROM pending_work WHERE task = ?", (GROUPING,))
        return owed.fetchone() is not None

    def set_people(self, faces_of: dict[int, list[int]], unassigned: Iterable[int]) -> None:
        """Give faces their (existing) people, leaving pinned flags as they are, and drop the
        people no face belongs to any more; the grouping owed is then done."""
        self._db.execute("DELETE FROM pending_work WHERE task = ?", (GROUPING,))
        self._db.executemany(
            "UPDATE faces SET person_id = ? WHERE id = ?",
            [(person, face_id) for person, ids in faces_of.items() for face_id in ids],
        )
        self._db.executemany(
            "UPDATE faces SET person_id = NULL, pinned = 0 WHERE id = ?",
            [(face_id,) for face_id in unassigned],
        )
        self.drop_empty_people()

    def drop_empty_people(self) -> None:
        self._db.execute(
            "DELETE FROM people WHERE id NOT IN "
            "(SELECT person_id FROM faces WHERE person_id IS NOT NULL)"
        )

    def person(self, person_id: int) -> Person | None:
        row = self._db.execute(
            "SELECT id, name, hidden, birthday FROM people WHERE id = ?", (person_id,)
        ).fetchone()
        return _person(*row) if row else None

    def people(self) -> list[Person]:
        rows = self._db.execute("SELECT id, name, hidden, birthday FROM people ORDER BY id")
        return [_person(*row) for row in rows]

    def birthdays(self) -> dict[str, date]:
        """The birthday of each named, non-hidden person who has one, by the planner's
        person id (`TimelinePhoto.people`)."""
        rows = self._db.execute(
            "SELECT id, birthday FROM people WHERE name IS NOT NULL AND hidden = 0 "
            "AND birthday IS NOT NULL ORDER BY id"
        )
        return {str(person_id): date.fromisoformat(birthday) for person_id, birthday in rows}

    def rename_person(self, person_id: int, name: str | None) -> None:
        self._db.execute("UPDATE people SET name = ? WHERE id = ?", (name, person_id))

    def set_birthday(self, person_id: int, birthday: date | None) -> None:
        self._db.execute("UPDATE people SET birthday = ? WHERE id = ?", (_iso(birthday), person_id))

    def hide_person(self, person_id: int, hidden: bool) -> None:
        self._db.execute("UPDATE people SET hidden = ? WHERE id = ?", (int(hidden), person_id))

    def pin_faces_of(self, person_id: int) -> None:
        """The user has looked at this person: their faces stay with them when regrouping."""
        self._db.execute("UPDATE faces SET pinned = 1 WHERE person_id = ?", (person_id,))

    def pinned_faces(self) -> list[tuple[int, str, tuple[int, int, int, int]]]:
        """(person id, photo content hash, box) of every face a decision of the user placed."""
        rows = self._db.execute(
            "SELECT person_id, content_hash, box_top, box_right, box_bottom, box_left "
            "FROM faces WHERE pinned = 1 AND person_id IS NOT NULL ORDER BY person_id, id"
        )
        return [(person, content_hash, tuple(box)) for person, content_hash, *box in rows]

    def restore_person(self, person: Person) -> None:
        """Put back a person (with their id) from the decisions file."""
        self._db.execute(
            "INSERT OR REPLACE INTO people (id, name, hidden, birthday) VALUES (?, ?, ?, ?)",
            (person.id, person.name, int(person.hidden), _iso(person.birthday)),
        )

    def start_restoring(self, person_ids_up_to: int) -> None:
        """A rebuilt catalog owes the people decisions kept outside it until faces are found
        again; meanwhile new people get ids above those of the people to restore."""
        self._db.execute("INSERT OR IGNORE INTO pending_work VALUES (?)", (RESTORING,))
        self._db.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'people'",
            (person_ids_up_to,),
        )
        self._db.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'people', ? WHERE NOT EXISTS "
            "(SELECT 1 FROM sqlite_sequence WHERE name = 'people')",
            (person_ids_up_to,),
        )

    def restoring(self) -> bool:
        """Whether the people decisions are still owed (a repair stopped before faces)."""
        owed = self._db.execute("SELECT 1 FROM pending_work WHERE task = ?", (RESTORING,))
        return owed.fetchone() is not None

    def finish_restoring(self) -> None:
        self._db.execute("DELETE FROM pending_work WHERE task = ?", (RESTORING,))

    def people_summary(self) -> list[PersonSummary]:
        """Every person with their face and photo counts and the span of their photos."""
        rows = self._db.execute(
            "SELECT people.id, people.name, people.hidden, people.birthday, count(faces.id), "
            "count(DISTINCT faces.content_hash), min(photos.taken_at), max(photos.taken_at) "
            "FROM people JOIN faces ON faces.person_id = people.id "
            "JOIN photos USING (content_hash) GROUP BY people.id ORDER BY people.id"
        )
        return [
            PersonSummary(
                _person(person_id, name, hidden, birthday),
                faces,
                photos,
                _moment(first),
                _moment(last),
            )
            for person_id, name, hidden, birthday, faces, photos, first, last in rows
        ]

    def faces_on_photos(self, person_id: int | None = None) -> list[FaceOnPhoto]:
        """Faces of people (of one person, if given) with one path to each one's photo,
        the clearest first."""
        where = "faces.person_id = ?" if person_id is not None else "faces.person_id IS NOT NULL"
        rows = self._db.execute(
            "SELECT faces.id, faces.person_id, faces.content_hash, min(files.path), "
            "box_top, box_right, box_bottom, box_left FROM faces "
            "JOIN files USING (content_hash) "
            f"WHERE {where} GROUP BY faces.id ORDER BY faces.person_id, score DESC, faces.id",
            (person_id,) if person_id is not None else (),
        )
        return [
            FaceOnPhoto(face_id, person, content_hash, Path(os.fsdecode(raw)), tuple(box))
            for face_id, person, content_hash, raw, *box in rows
        ]

    def faces_by_photo(self) -> dict[str, list[tuple[int, tuple[int, int, int, int]]]]:
        """For each photo with faces of people: (person id, box) of each, hidden people too."""
        found: dict[str, list[tuple[int, tuple[int, int, int, int]]]] = {}
        for content_hash, person, *box in self._db.execute(
            "SELECT content_hash, person_id, box_top, box_right, box_bottom, box_left "
            "FROM faces WHERE person_id IS NOT NULL ORDER BY id"
        ):
            found.setdefault(content_hash, []).append((person, (box[0], box[1], box[2], box[3])))
        return found

    def faces_in(
        self, content_hashes: Iterable[str]
    ) -> dict[str, list[tuple[int | None, tuple[int, int, int, int]]]]:
        """(person id or None, box) of every face found in each of these photos, grouped
        or not: what a shared copy must know to blur people the user has not named."""
        found: dict[str, list[tuple[int | None, tuple[int, int, int, int]]]] = {}
        for content_hash in content_hashes:
            for person, *box in self._db.execute(
                "SELECT person_id, box_top, box_right, box_bottom, box_left FROM faces "
                "WHERE content_hash = ? ORDER BY id", (content_hash,)
            ):  # fmt: skip
                top, right, bottom, left = box
                found.setdefault(content_hash, []).append((person, (top, right, bottom, left)))
        return found

    def forget_faces(self, person_id: int | None = None) -> int:
        """Delete every face (and person, and the record of which photos were looked at), or
        one person's faces and the person; returns how many faces were deleted."""
        if person_id is None:
            deleted = self._db.execute("DELETE FROM faces").rowcount
            self._db.execute("DELETE FROM people")
            self._db.execute("DELETE FROM face_scans")
            return deleted
        deleted = self._db.execute("DELETE FROM faces WHERE person_id = ?", (person_id,)).rowcount
        self._db.execute("DELETE FROM people WHERE id = ?", (person_id,))
        return deleted


def _person(person_id: int, name: str | None, hidden: int, birthday: str | None) -> Person:
    return Person(person_id, name, bool(hidden), date.fromisoformat(birthday) if birthday else None)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _day(iso_date: str | None) -> int | None:
    try:
        return date.fromisoformat(iso_date).toordinal() if iso_date else None
    except ValueError:
        return None
