"""`memories restyle`: AI restyles of chosen photos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memories.cli.common import (
    AllowDownloadOption,
    KeepLocationOption,
    LibraryOption,
    QuietOption,
    settings_from,
    shown,
    stderr,
    stdout,
)
from memories.errors import ExitStatus

RESTYLE_EPILOG = (
    "Examples:\n\n"
    "  memories restyle IMG_2231.JPG --style watercolour\n\n"
    "  memories restyle ~/Pictures/wedding/*.jpg --style anime-film -o ~/restyled\n\n"
    "  memories restyle IMG_2231.JPG --style comic --model ~/models/sd-turbo --seed 7"
)


def restyle(
    photos: Annotated[list[Path], typer.Argument(help="Photos to restyle.", metavar="PHOTO...")],
    style: Annotated[
        str,
        typer.Option("--style", "-s", help="anime-film, watercolour, oil-painting, "
                     "pencil-sketch, comic, or your own."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="A folder (or a .jpg for one photo) "
                     "[default: LIBRARY/restyled/].", show_default=False),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="A local model folder or a Hugging Face id in its cache "
                     "[default: stabilityai/sd-turbo].", show_default=False),
    ] = None,
    allow_download: AllowDownloadOption = False,
    keep_location: KeepLocationOption = False,
    seed: Annotated[int, typer.Option(help="The same seed gives the same picture.")] = 0,
    library: LibraryOption = None,
    quiet: QuietOption = False,
) -> None:
    """Turn photos into an AI-made picture in a style, on this machine's GPU (or CPU).

    Each picture is labelled as AI-made inside the file; a face that stops looking like its
    person is tried again at a lower strength; photos of hidden people are never restyled.
    """
    from memories.restyles import restyle_photos

    settings = settings_from(
        library=library, restyle_model=model, keep_location=True if keep_location else None
    )
    console = stdout()
    report = restyle_photos(
        photos, style, settings, output=output, seed=seed, allow_download=allow_download,
        announce=lambda message: stderr().print(f"Note: {message}", markup=False),
    )  # fmt: skip
    for original, made, result in report.made:
        faces = {"kept": "faces kept", "lost": "a face no longer looks like its person",
                 "no faces": "no faces"}[result.identity]  # fmt: skip
        if not quiet or result.identity == "lost":
            console.print(f"{shown(original)} -> {shown(made)} (strength "
                          f"{result.strength:.2f}; {faces})", markup=False)  # fmt: skip
    for note in report.notes:
        console.print(f"Note: {note}", markup=False)
    for skipped in report.skipped:
        console.print(f"skipped {shown(skipped.path)}: {skipped.reason}", markup=False)
    raise typer.Exit(ExitStatus.SKIPPED if report.skipped else ExitStatus.OK)
