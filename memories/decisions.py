"""The user's decisions, kept outside the catalog in a small text file
(`.memories/decisions.json`): the photo folders built, and each person the user named, hid,
merged or split (with the birthday they gave), with the faces those decisions placed (by photo
content hash and box).

A damaged catalog is rebuilt from the photos (`memories doctor --repair`) and these are put
back: faces are found again at the same boxes in the same photos, so each decision lands on
the faces it was made about. The file is rewritten after every build and every change to
people, and only when what it says changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from memories.catalog import Catalog
from memories.errors import MemoriesError
from memories.model import Person
from memories.render.files import save_json

Box = tuple[int, int, int, int]
SAME_FACE_OVERLAP = 0.5
"""A face found again counts as the decided one when their boxes overlap this much (IoU)."""


@dataclass(frozen=True)
class DecidedPerson:
    person: Person
    faces: tuple[tuple[str, Box], ...]
    """(photo content hash, box) of each face the user's decisions placed with them."""


@dataclass(frozen=True)
class Decisions:
    photo_folders: tuple[Path, ...] = ()
    people: tuple[DecidedPerson, ...] = ()


def read_decisions(path: Path) -> Decisions:
    """What the file says; nothing when there is no file yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Decisions(
            tuple(Path(folder) for folder in data.get("photo_folders", [])),
            tuple(
                DecidedPerson(
                    Person(
                        int(entry["id"]),
                        entry.get("name"),
                        bool(entry.get("hidden")),
                        _birthday(entry.get("birthday")),
                    ),
                    tuple(_face(face) for face in entry.get("faces", [])),
                )
                for entry in data.get("people", [])
            ),
        )
    except FileNotFoundError:
        return Decisions()
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise MemoriesError(f"cannot read {path}: {error}") from None


def save_decisions(path: Path, catalog: Catalog, photo_folders: Iterable[Path] = ()) -> None:
    """Write the catalog's people decisions, and the photo folders ever built (these added).
    While a rebuilt catalog still owes the file's decisions, those are kept as they are."""
    try:
        kept = read_decisions(path)
    except MemoriesError:
        if catalog.restoring():
            raise  # what it holds is still owed: never write over it
        kept = Decisions()  # the catalog holds the same decisions: write them out afresh
    folders = sorted({*kept.photo_folders, *(folder.resolve() for folder in photo_folders)})
    if catalog.restoring():
        people = [_entry(decided.person, [_text(face) for face in decided.faces])
                  for decided in kept.people]  # fmt: skip
    else:
        placed: dict[int, list[str]] = {}
        for person, content_hash, box in catalog.pinned_faces():
            placed.setdefault(person, []).append(_text((content_hash, box)))
        people = [_entry(person, placed.get(person.id, [])) for person in catalog.people()
                  if person.name or person.hidden or person.id in placed]  # fmt: skip
    save_json(
        {
            "about": "memories keeps your decisions here too, so that `memories doctor "
            "--repair` can rebuild a damaged catalog without losing them",
            "photo_folders": [str(folder) for folder in folders],
            "people": people,
        },
        path,
    )


def apply_decisions(catalog: Catalog, people: Sequence[DecidedPerson]) -> int:
    """Put the decided people back, with their ids, on the faces found again in their photos
    (pinned there); returns how many faces were placed. Faces of photos no longer in the
    library are left out."""
    found: dict[str, list[tuple[int, Box]]] = {}
    for face in catalog.known_faces():
        found.setdefault(face.content_hash, []).append((face.id, face.box))
    placed = 0
    for decided in people:
        catalog.restore_person(decided.person)
        faces = [
            face_id
            for content_hash, box in decided.faces
            if (face_id := _same_face(box, found.get(content_hash, []))) is not None
        ]
        catalog.assign_faces(decided.person.id, faces, pinned=True)
        placed += len(faces)
    return placed


def _same_face(box: Box, candidates: Sequence[tuple[int, Box]]) -> int | None:
    best = max(candidates, key=lambda candidate: _overlap(box, candidate[1]), default=None)
    return best[0] if best and _overlap(box, best[1]) >= SAME_FACE_OVERLAP else None


def _overlap(a: Box, b: Box) -> float:
    """Intersection over union of two [top, right, bottom, left] boxes."""
    height = min(a[2], b[2]) - max(a[0], b[0])
    width = min(a[1], b[1]) - max(a[3], b[3])
    inter = max(height, 0) * max(width, 0)
    union = (a[2] - a[0]) * (a[1] - a[3]) + (b[2] - b[0]) * (b[1] - b[3]) - inter
    return inter / union if union > 0 else 0.0


def _entry(person: Person, faces: list[str]) -> dict[str, object]:
    birthday = person.birthday.isoformat() if person.birthday else None
    return {"id": person.id, "name": person.name, "hidden": person.hidden, "birthday": birthday,
            "faces": faces}  # fmt: skip


def _birthday(text: str | None) -> date | None:
    """A kept birthday; files written before birthdays were kept have none."""
    return date.fromisoformat(text) if text else None


def _text(face: tuple[str, Box]) -> str:
    content_hash, box = face
    return " ".join([content_hash, *map(str, box)])


def _face(text: str) -> tuple[str, Box]:
    content_hash, *box = text.split()
    top, right, bottom, left = map(int, box)
    return content_hash, (top, right, bottom, left)
