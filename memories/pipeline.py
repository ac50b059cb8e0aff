"""The stages wired together, one function per command that does work on a library."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from memories.catalog import Catalog
from memories.config import Settings
from memories.library import LibraryFolder, locked
from memories.model import Photo, ProgressCallback
from memories.scan.index import ScanReport, scan_folders


def scan(
    photo_folders: Sequence[Path],
    settings: Settings,
    *,
    wait: bool = False,
    progress: ProgressCallback | None = None,
) -> ScanReport:
    """Index the photo folders into the library's catalog (incrementally)."""
    library = LibraryFolder(settings.library)
    with locked(library, wait=wait), Catalog.open(library.catalog_path) as catalog:
        return scan_folders(
            photo_folders,
            catalog,
            exclude=library.root,
            workers=settings.workers,
            progress=progress,
        )


def catalogued_photos(settings: Settings, photo_folders: Sequence[Path] = ()) -> list[Photo]:
    """The photos the catalog knows (under `photo_folders`, if given)."""
    library = LibraryFolder(settings.library)
    with Catalog.open(library.catalog_path) as catalog:
        return catalog.photos(photo_folders)
