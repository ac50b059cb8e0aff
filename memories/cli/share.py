"""`memories share`: a copy of one memory for sending, and what it left out or blurred."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from memories.cli.common import (
    JsonOption,
    LanguageOption,
    LibraryOption,
    QuietOption,
    TodayOption,
    day_of,
    settings_from,
    shown,
    stderr,
    stdout,
)
from memories.errors import ExitStatus

if TYPE_CHECKING:
    from memories.share import ShareReport

SHARE_EPILOG = (
    "Examples:\n\n"
    "  memories share 2024-06-14-lyon\n\n"
    "  memories share 2024-04-03-trip-kyoto --to ~/Desktop --zip\n\n"
    "  memories share birthday-ana-2025 --blur-strangers --no-names --no-place"
)


def share(
    memory_id: Annotated[
        str, typer.Argument(help="A memory's id, from `memories list`.", metavar="ID")
    ],
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="The folder to put the copy in [default: LIBRARY/shared/].",
            show_default=False,
        ),
    ] = None,
    archive: Annotated[
        bool, typer.Option("--zip", help="Also pack the copy into a .zip beside it.")
    ] = False,
    blur_strangers: Annotated[
        bool,
        typer.Option(
            "--blur-strangers",
            help="Blur the faces of everyone you have not named (or have hidden), "
            "in the pictures and through the video."
        ),
    ] = False,
    no_names: Annotated[
        bool,
        typer.Option("--no-names",
                     help="No names of people in titles, cards or anywhere in the files."),
    ] = False,
    no_place: Annotated[
        bool, typer.Option("--no-place", help="No place names in titles or cards, and no trip map.")
    ] = False,
    library: LibraryOption = None,
    today: TodayOption = None,
    language: LanguageOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Make a copy of a memory to send: its collage, cover, recap video (and a trip's map),
    drawn again from the originals, with no location, camera data or file names in them.

    The library's own outputs stay as they are. Exit code 1 when the recap had to leave
    out a clip or the music.
    """
    from memories.share import ShareOptions, share_memory

    settings = settings_from(library=library, language=language)
    if not quiet and not as_json:
        stderr().print(f"Sharing {memory_id}…", markup=False)
    options = ShareOptions(to=to, archive=archive, blur_strangers=blur_strangers,
                           no_names=no_names, no_place=no_place)  # fmt: skip
    report = share_memory(settings, memory_id, options, today=day_of(today))
    if as_json:
        print(json.dumps({
            "id": report.memory_id, "title": report.title, "folder": str(report.folder),
            "files": report.files, "zip": str(report.archive) if report.archive else None,
            "removed": report.removed,
            "blurred": {"faces": report.blurred_faces, "photos": report.blurred_photos,
                        "clips": report.blurred_clips} if blur_strangers else None,
            "left_out": [{"path": str(s.path), "reason": s.reason} for s in report.left_out],
            "notes": report.notes,
        }, indent=2))  # fmt: skip
    else:
        console = stdout()
        if not quiet:
            console.print(f"{report.title!r}: {shown(report.folder)} "
                          f"({', '.join(report.files)})", markup=False)  # fmt: skip
            if report.archive:
                console.print(f"  zip: {shown(report.archive)}", markup=False)
            console.print(f"  removed: {'; '.join(report.removed)}", markup=False)
            if blur_strangers:
                console.print(f"  blurred: {_blurred(report)}", markup=False)
        for note in report.notes:
            console.print(f"Note: {note}", markup=False)
        for skipped in report.left_out:
            console.print(f"left out {shown(skipped.path)}: {skipped.reason}", markup=False)
    raise typer.Exit(ExitStatus.SKIPPED if report.left_out else ExitStatus.OK)


def _blurred(report: ShareReport) -> str:
    if not (report.blurred_faces or report.blurred_clips):
        return "no faces of people you have not named"
    parts = []
    if report.blurred_faces:
        faces = "1 face" if report.blurred_faces == 1 else f"{report.blurred_faces} faces"
        photos = "1 photo" if report.blurred_photos == 1 else f"{report.blurred_photos} photos"
        parts.append(f"{faces} of people you have not named, in {photos}")
    if report.blurred_clips:
        clips = "1 clip" if report.blurred_clips == 1 else f"{report.blurred_clips} clips"
        parts.append(f"faces followed through {clips}")
    return "; ".join(parts)
