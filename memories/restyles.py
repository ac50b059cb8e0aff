"""`memories restyle`: chosen photos in an AI style, labelled as AI-made, never a photo of
a hidden person, with each face checked to still be its person."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from memories.config import Settings
from memories.errors import MemoriesError, UnreadablePhoto
from memories.library import LibraryFolder
from memories.model import FileEntry, Photo, PhotoKind, Skipped
from memories.render.credentials import sign_quietly, sign_restyle
from memories.render.restyle import Picture, Restyled, Restyler, Style, save_labelled
from memories.render.templates import load_templates, pick_template


@dataclass
class RestyleReport:
    made: list[tuple[Path, Path, Restyled]] = field(default_factory=list)
    """(original, restyled file, how it was made)."""
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def styles(settings: Settings) -> dict[str, Style]:
    """The bundled styles and the user's own (`styles/*.toml` beside the config file)."""
    return load_templates("styles", Style, settings.templates and settings.templates / "styles")


def restyle_photos(
    paths: Sequence[Path],
    style_name: str,
    settings: Settings,
    *,
    output: Path | None = None,
    seed: int = 0,
    allow_download: bool = False,
    announce: Callable[[str], None] = lambda message: None,
) -> RestyleReport:
    """Restyle each photo into `output` (a folder, or a file name for a single photo;
    default LIBRARY/restyled/), as `<name>-<style>.jpg`."""
    style = pick_template(styles(settings), style_name, "style")
    report = RestyleReport()
    hidden = _photos_of_hidden_people(settings)
    usable: list[Photo] = []
    for path in paths:
        photo = _read(path, report)
        if photo is not None and photo.content_hash in hidden:
            report.skipped.append(Skipped(path, "shows a hidden person: never restyled"))
        elif photo is not None:
            usable.append(photo)
    if not usable:
        return report
    # the model first: a missing one is the likeliest error, and should come at once
    restyler = Restyler(settings.restyle_model, allow_download=allow_download, announce=announce)
    chosen: list[tuple[Photo, Picture]] = []
    for photo in usable:
        try:
            chosen.append((photo, _picture(photo, style)))
        except UnreadablePhoto as error:
            report.skipped.append(Skipped(photo.path, error.reason))
    results = restyler.restyle([picture for _, picture in chosen], style, seed=seed)
    report.notes += restyler.notes
    for (photo, _), result in zip(chosen, results, strict=True):
        target = _target(photo.path, style.name, output, settings, single=len(chosen) == 1)
        location = photo.gps if settings.keep_location else None
        save_labelled(result, target, location=location)
        missing = sign_quietly(sign_restyle, target, original_hash=photo.content_hash,
                               model=result.model, style=result.style, seed=result.seed,
                               strength=result.strength,
                               folder=LibraryFolder(settings.library).state_dir)  # fmt: skip
        if missing and missing not in report.notes:
            report.notes.append(missing)
        report.made.append((photo.path, target, result))
    return report


def _read(path: Path, report: RestyleReport) -> Photo | None:
    from memories.scan.metadata import read_media

    try:
        stat = path.stat()
    except OSError as error:
        report.skipped.append(Skipped(path, f"cannot be read: {error.strerror or error}"))
        return None
    photo = read_media(FileEntry(str(path.absolute()), stat.st_size, stat.st_mtime_ns))
    if isinstance(photo, Skipped):
        report.skipped.append(photo)
        return None
    if photo.kind not in (PhotoKind.PHOTO, PhotoKind.SCREENSHOT):
        report.skipped.append(Skipped(path, f"a {photo.kind.value}, not a still photo"))
        return None
    return photo


def _picture(photo: Photo, style: Style) -> Picture:
    """The photo upright at twice the model's size, with its faces when faces can be found."""
    from memories.people import faces_available
    from memories.scan.images import decode_displayed

    image = decode_displayed(photo, "RGB", style.size * 2, srgb=True)
    if faces_available() is not None:
        return Picture(image)
    from memories.analyze.faces import find_faces

    scale = image.width / photo.width
    boxes = tuple(
        (round(top * scale), round(right * scale), round(bottom * scale), round(left * scale))
        for top, right, bottom, left in (face.box for face in find_faces(photo))
    )
    return Picture(image, boxes)


def _photos_of_hidden_people(settings: Settings) -> set[str]:
    library = LibraryFolder(settings.library)
    if not library.catalog_path.is_file():
        return set()
    from memories.catalog import Catalog

    with Catalog.open(library.catalog_path) as catalog:
        hidden = {person.id for person in catalog.people() if person.hidden}
        return {
            content_hash
            for content_hash, faces in catalog.faces_by_photo().items()
            if any(person in hidden for person, _ in faces)
        }


def _target(
    original: Path, style: str, output: Path | None, settings: Settings, *, single: bool
) -> Path:
    name = f"{original.stem}-{style}.jpg"
    if output is None:
        return LibraryFolder(settings.library).root / "restyled" / name
    if single and output.suffix.lower() in (".jpg", ".jpeg"):
        return output
    if output.suffix and not output.is_dir():
        raise MemoriesError(f"-o {output}: give a folder when restyling several photos")
    return output / name
