"""`memories share`: a copy of one memory for sending, drawn again from the originals: its
collage, cover, recap and a trip's map, carrying no location, camera data or file names;
on request without people's names (`no_names`), without places (`no_place`), and with the
faces of people the user has not named blurred (`blur_strangers`)."""

from __future__ import annotations

import functools
import re
import shutil
import tempfile
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memories.config import Settings
from memories.errors import MemoriesError
from memories.language import Language, language
from memories.library import LibraryFolder, existing_catalog
from memories.model import Memory, MemoryKind, Person, Photo, PhotoKind, Phrase, Skipped
from memories.plan.words import slug
from memories.render.veil import Box, Strangers

if TYPE_CHECKING:
    from memories.catalog import Catalog

SHARED_FOLDER = "shared"
"""Where shared copies go in the library, unless the user names a folder."""
ALWAYS_REMOVED = ("location", "camera data", "file names")
"""What no shared copy carries (the library's own outputs carry none of them either, unless
`--keep-location`)."""

NAMED_KINDS = frozenset({MemoryKind.TOGETHER, MemoryKind.PERSON, MemoryKind.PERSON_YEAR,
                         MemoryKind.BIRTHDAY})  # fmt: skip
"""Kinds titled after a person: a copy without names titles them otherwise (a then and now,
or any other title, is changed when it holds a name)."""
PLACED_KINDS = frozenset({MemoryKind.EVENT, MemoryKind.TRIP, MemoryKind.PLACE})
"""Kinds titled after a place, likewise for a copy without places."""
NAMING_INSIGHTS = frozenset({"people", "together"})
PLACING_INSIGHTS = frozenset({"new_places", "furthest", "busiest_day"})
"""A year's numbers that name people, or places (plan.insights.KINDS): the busiest day
names the town of that day's photos, which need not be one the memory shows."""


@dataclass(frozen=True, kw_only=True)
class ShareOptions:
    to: Path | None = None
    """The folder the copy's folder goes in; None for LIBRARY/shared/."""
    archive: bool = False
    """A zip of the copy beside its folder, ready to attach."""
    blur_strangers: bool = False
    no_names: bool = False
    no_place: bool = False


@dataclass
class ShareReport:
    memory_id: str
    title: str
    """The copy's title, as its pictures show it."""
    folder: Path
    files: list[str] = field(default_factory=list)
    archive: Path | None = None
    removed: list[str] = field(default_factory=lambda: list(ALWAYS_REMOVED))
    """What the copy leaves out: always location, camera data and file names; then the
    names and places asked, each with what it held."""
    blurred_faces: int = 0
    blurred_photos: int = 0
    blurred_clips: int = 0
    left_out: list[Skipped] = field(default_factory=list)
    """Files the recap left out (a clip or music that does not decode)."""
    notes: list[str] = field(default_factory=list)


def share_memory(
    settings: Settings, memory_id: str, options: ShareOptions, *, today: date
) -> ShareReport:
    """Draw a copy of the memory with id `memory_id` (as planned on `today`) for sending."""
    from memories import pipeline

    library = LibraryFolder(settings.library)
    plan = pipeline.plan(settings, today=today)
    memory = next((memory for memory in plan.memories if memory.id == memory_id), None)
    if memory is None:
        raise MemoriesError(f"no memory with id {memory_id!r}; `memories list` shows them")
    photos = {photo.content_hash: photo for photo in plan.photos}
    strangers = None
    with existing_catalog(library) as catalog:
        people = catalog.people()
        if options.blur_strangers:
            strangers = find_strangers(catalog, people, memory, photos)
    names = [person.name for person in people if person.name]  # hidden people's too
    shared = shared_words(memory, no_names=options.no_names, no_place=options.no_place,
                          names=names)  # fmt: skip
    destination = options.to or library.root / SHARED_FOLDER
    folder = destination / _folder_name(memory, shared, options)
    report = ShareReport(memory_id, shared.title, folder)
    report.removed += _left_out_words(memory, options, names)
    if strangers is not None:
        report.blurred_photos = sum(1 for boxes in strangers.stills.values() if boxes)
        report.blurred_faces = sum(len(boxes) for boxes in strangers.stills.values())
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".sharing-", dir=destination) as scratch:
        drawing = Path(scratch) / folder.name
        drawing.mkdir()
        _draw(shared, memory.id, photos, drawing, settings, library, strangers, options, report)
        report.files = sorted(path.name for path in drawing.iterdir())
        if folder.exists():
            shutil.rmtree(folder)
        drawing.rename(folder)
    if options.archive:
        report.archive = _zip(folder)
    return report


def shared_words(
    memory: Memory, *, no_names: bool, no_place: bool, names: Collection[str] = ()
) -> Memory:
    """The memory as a shared copy tells it: without people's names (its own, or any of
    `names`) in its title, people line and numbers when `no_names`, and without its
    place's names when `no_place`. Pure."""
    names = {*names, *memory.people}
    places = _place_words(memory)
    title = memory.title
    words = language(memory.language)
    if no_names and (memory.kind in NAMED_KINDS or mentions(title, names)):
        title = _nameless_title(memory, words)
    if no_place and (memory.kind in PLACED_KINDS or mentions(title, places)):
        title = _placeless_title(memory, words)
    if (no_names and mentions(title, names)) or (no_place and mentions(title, places)):
        title = words.say("titles", "a_memory")
    insights = tuple(
        insight for insight in memory.insights
        if not (no_names and (insight.kind in NAMING_INSIGHTS
                              or mentions(f"{insight.headline} {insight.detail}", names)))
        and not (no_place and (insight.kind in PLACING_INSIGHTS
                               or mentions(f"{insight.headline} {insight.detail}", places)))
    )  # fmt: skip
    return replace(
        memory,
        title=title,
        people=() if no_names else memory.people,
        place=None if no_place else memory.place,
        insights=insights,
    )


def mentions(text: str, words: Iterable[str]) -> bool:
    """Whether any of `words` is in `text` as a word of its own, in any case."""
    return any(
        re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
        for word in words
        if word.strip()
    )


def stranger_boxes(
    faces: Mapping[str, list[tuple[int | None, Box]]], named_people: Collection[int]
) -> dict[str, tuple[Box, ...]]:
    """The faces on each photo that belong to nobody the user named: faces of unnamed or
    hidden people, and faces grouped with nobody. Pure."""
    return {
        content_hash: tuple(box for person, box in on_photo if person not in named_people)
        for content_hash, on_photo in faces.items()
    }


def find_strangers(
    catalog: Catalog, people: Sequence[Person], memory: Memory, photos: Mapping[str, Photo]
) -> Strangers:
    """Whom the copy blurs: on each still, the faces the catalog holds of people not named
    (looked for now in a photo faces were never looked for in, and told from the named
    people's faces); in clips, faces are told from the named people's faces as they come."""
    from memories.people import faces_available

    if reason := faces_available():
        raise MemoriesError(f"cannot blur strangers: {reason} (see `memories doctor`)")
    stills = [photos[photo.content_hash] for photo in memory.photos
              if photo.kind is PhotoKind.PHOTO]  # fmt: skip
    named_people = {person.id for person in people if person.name and not person.hidden}
    boxes = stranger_boxes(catalog.faces_in(photo.content_hash for photo in stills),
                           named_people)  # fmt: skip
    unscanned = catalog.unscanned_for_faces(stills)
    named = [face.encoding for person in sorted(named_people)
             for face in catalog.known_faces(person)]  # fmt: skip
    encodings = np.array(named, np.float32).reshape(-1, 128)
    boxes.update(_look_now(unscanned, encodings))
    return Strangers({key: value for key, value in boxes.items() if value}, encodings)


def _look_now(photos: list[Photo], named: np.ndarray) -> dict[str, tuple[Box, ...]]:
    """Faces of nobody named in photos the catalog never looked for faces in."""
    from memories.analyze.faces import find_faces_many
    from memories.render.veil import is_named

    found: dict[str, tuple[Box, ...]] = {}
    for photo, faces in zip(photos, find_faces_many(photos), strict=True):
        if isinstance(faces, list):
            found[photo.content_hash] = tuple(face.box for face in faces
                                              if not is_named(face.encoding, named))  # fmt: skip
    return found


def _draw(
    memory: Memory,
    memory_id: str,
    photos: Mapping[str, Photo],
    folder: Path,
    settings: Settings,
    library: LibraryFolder,
    strangers: Strangers | None,
    options: ShareOptions,
    report: ShareReport,
) -> None:
    """The copy's pictures, drawn from the originals into `folder`, with the library's own
    renderer (no location, whatever the library's setting)."""
    from memories.pipeline import render_settings
    from memories.render.outputs import Renderer, load_render_templates
    from memories.render.video import pick_music

    render = replace(render_settings(settings), keep_location=False)
    renderer = Renderer(load_render_templates(render), render, state_dir=library.state_dir)
    veil = strangers.veil() if strangers is not None else None
    renderer.draw_stills(memory, folder, photos, veil=veil, route_map=not options.no_place)
    if render.video:
        notes = renderer.encode(memory, folder / "recap.mp4", pick_music(render.music, memory_id),
                                photos, strangers=strangers,
                                route_map=not options.no_place)  # fmt: skip
        for note in notes:
            if note["left_out"]:
                report.left_out.append(Skipped(Path(note["path"]), f"recap: {note['reason']}"))
            else:
                report.notes.append(f"recap: {note['reason']}")
        if strangers is not None:
            report.blurred_clips = len(set(strangers.clips_blurred))
    if renderer.credentials_missing:
        report.notes.append(f"no Content Credentials: {renderer.credentials_missing}")


def _folder_name(memory: Memory, shared: Memory, options: ShareOptions) -> str:
    """The memory's id (the same in every language); without names or places, its day and
    its shared title instead, since an id can hold both ("birthday-ana-2025")."""
    if not (options.no_names or options.no_place):
        return memory.id
    return f"{memory.start:%Y-%m-%d}-{slug(shared.title)}"


def _zip(folder: Path) -> Path:
    """The folder's files in a zip beside it, stored as they are (JPEG and MP4 do not
    compress), written whole or not at all."""
    from memories.render.files import write_atomically

    archive = folder.with_suffix(".zip")

    def write(partial: Path) -> None:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as bundle:
            for path in sorted(folder.iterdir()):
                bundle.write(path, f"{folder.name}/{path.name}")

    write_atomically(archive, write, suffix=".zip")
    return archive


def _place_words(memory: Memory) -> set[str]:
    """Every place name the memory's photos were given, and its own place's."""
    words = {memory.place} if memory.place else set()
    for photo in memory.photos:
        if photo.place is not None:
            words |= {photo.place.city, photo.place.country, photo.place.region or ""}
    return {word for word in words if word}


def _nameless_title(memory: Memory, words: Language) -> str:
    say = functools.partial(words.say, "titles")
    titles = {
        MemoryKind.TOGETHER: lambda: say("together_anyone"),
        MemoryKind.PERSON: lambda: say("over_the_years"),
        MemoryKind.PERSON_YEAR: lambda: say("a_year", year=memory.start.year),
        MemoryKind.BIRTHDAY: lambda: say("a_birthday"),
        MemoryKind.THEN_AND_NOW: lambda: say("then_and_now_anyone", first=memory.start.year,
                                             latest=memory.end.year),
    }  # fmt: skip
    return titles.get(memory.kind, lambda: say("a_memory"))()


def _placeless_title(memory: Memory, words: Language) -> str:
    say = functools.partial(words.say, "titles")
    values = dict(memory.phrase.values) if memory.phrase else {}
    if memory.kind is MemoryKind.EVENT and "part" in values:  # "An evening in Lyon"
        return words.title(Phrase.of("event_part", part=values["part"]), None)
    if memory.kind is MemoryKind.EVENT and "count" in values:  # "3 days in Lyon"
        return words.title(Phrase.of("event_days", count=values["count"]), None)
    titles = {
        MemoryKind.TRIP: lambda: say("trip"),
        MemoryKind.PLACE: lambda: say("over_the_years"),
        MemoryKind.THEN_AND_NOW: lambda: say("then_and_now_anyone", first=memory.start.year,
                                             latest=memory.end.year),
    }  # fmt: skip
    return titles.get(memory.kind, lambda: say("a_memory"))()


def _left_out_words(memory: Memory, options: ShareOptions, names: Collection[str]) -> list[str]:
    """What the copy's words leave out, as the report lists it."""
    removed = []
    nameless = shared_words(memory, no_names=True, no_place=False, names=names)
    if options.no_names and (memory.people or nameless.title != memory.title):
        removed.append(f"names ({', '.join(memory.people) or 'in the title'})")
    if options.no_place and (memory.place or _place_words(memory)):
        what = memory.place or ", ".join(sorted(_place_words(memory)))
        removed.append(f"place ({what}{'; the map' if memory.kind is MemoryKind.TRIP else ''})")
    return removed
