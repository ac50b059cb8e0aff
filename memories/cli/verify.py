"""`memories verify`: what the Content Credentials (C2PA) in files say, and whether they hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from memories.cli.common import JsonOption, LibraryOption, settings_from, shown, stdout
from memories.errors import ExitStatus, MemoriesError
from memories.library import LibraryFolder

VERIFY_EPILOG = (
    "Examples:\n\n"
    "  memories verify ~/Memories/restyled/IMG_2231-watercolour.jpg\n\n"
    "  memories verify ~/Memories/*/collage.jpg --json"
)


def verify(
    files: Annotated[list[Path], typer.Argument(help="Files to check.", metavar="FILE...")],
    library: LibraryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Say what made each file, from the Content Credentials (C2PA) signed into it, and
    whether it was changed after signing (then the exit code is 1)."""
    from memories.render import credentials

    if reason := credentials.credentials_available():
        raise MemoriesError(f"credentials missing: {reason}")
    state_dir = LibraryFolder(settings_from(library=library).library).state_dir
    verdicts = [(path, credentials.verify(path, folder=state_dir)) for path in files]
    if as_json:
        records = [{"path": str(path), "state": verdict.state, "summary": verdict.summary,
                    "manifest": verdict.manifest} for path, verdict in verdicts]  # fmt: skip
        print(json.dumps(records, indent=2))
    else:
        console = stdout()
        for path, verdict in verdicts:
            console.print(f"{shown(path)}: {verdict.summary}", markup=False)
    broken = any(verdict.state in ("changed", "unreadable") for _, verdict in verdicts)
    raise typer.Exit(ExitStatus.SKIPPED if broken else ExitStatus.OK)
