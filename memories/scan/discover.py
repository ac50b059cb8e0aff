"""Walk the photo folders and list the media files in them, with what `stat` says."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from memories.errors import PhotosFolderMissing
from memories.model import FileEntry, Skipped

RAW_EXTENSIONS = frozenset(
    {".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".rw2", ".raf",
     ".pef", ".srw", ".3fr", ".erf", ".kdc", ".mos"}
)  # fmt: skip
"""Camera raw files (read by `scan.raw`); DNG and most others are TIFFs by their content."""
PHOTO_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".mpo", ".png", ".heic", ".heif", ".hif", ".avif", ".avifs",
     ".jxl", ".webp", ".tif", ".tiff", ".gif", ".bmp"}
) | RAW_EXTENSIONS  # fmt: skip
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mov", ".m4v", ".qt", ".3gp", ".3g2", ".avi", ".mts", ".m2ts", ".ts", ".mkv",
     ".webm"}
)  # fmt: skip
MEDIA_EXTENSIONS = PHOTO_EXTENSIONS | VIDEO_EXTENSIONS

IGNORED_FOLDERS = frozenset(
    {"@eaDir", "#recycle", "#snapshot", "$RECYCLE.BIN", "__MACOSX", "System Volume Information"}
)
"""Thumbnails and bins that NAS boxes, archivers and Windows leave among photos."""



@dataclass
class Discovery:
    """The media files under some folders, and the ones that could not even be listed."""

    files: list[FileEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def discover(
    roots: Iterable[Path],
    *,
    exclude: Path | None = None,
    on_found: Callable[[int], None] | None = None,
) -> Discovery:
    """List media files under `roots` (folders or single files), sorted by path.

    Hidden and NAS-metadata folders are skipped, `exclude` (the library folder) is never
    entered, and a folder reached twice through symbolic links is walked once.
    """
    found = Discovery()
    seen_paths: set[str] = set()
    visited_folders: set[tuple[int, int]] = set()
    if exclude is not None and exclude.is_dir():
        visited_folders.add(_folder_id(exclude))

    def add(entry: FileEntry) -> None:
        if entry.path_text not in seen_paths:
            seen_paths.add(entry.path_text)
            found.files.append(entry)
            if on_found and len(found.files) % 500 == 0:
                on_found(len(found.files))

    for root in roots:
        root = Path(os.path.abspath(root))
        if root.is_file():
            if root.suffix.lower() in MEDIA_EXTENSIONS:
                stat = root.stat()
                add(FileEntry(str(root), stat.st_size, stat.st_mtime_ns, _sidecar_of(root)))
            continue
        if not root.is_dir():
            raise PhotosFolderMissing(f"{root} does not exist or is not a folder")
        _walk(root, visited_folders, add, found.skipped)
    found.files.sort(key=lambda entry: entry.path_text)
    if on_found:
        on_found(len(found.files))
    return found


def _walk(
    root: Path,
    visited_folders: set[tuple[int, int]],
    add: Callable[[FileEntry], None],
    skipped: list[Skipped],
) -> None:
    """Paths stay text here (`os.scandir`'s own): a Path per file would cost more than its
    `stat`, and a library has 100,000 files."""
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            folder_id = _folder_id(folder)
            if folder_id in visited_folders:
                continue  # a symlink loop, the library folder, or a folder already walked
            visited_folders.add(folder_id)
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            reason = f"folder cannot be read: {error.strerror or error}"
            skipped.append(Skipped(Path(folder), reason))
            continue
        json_names = [entry.name for entry in entries if entry.name.lower().endswith(".json")]
        media: list[tuple[os.DirEntry, os.stat_result]] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    if entry.name not in IGNORED_FOLDERS:
                        pending.append(entry.path)
                    continue
                if os.path.splitext(entry.name)[1].lower() not in MEDIA_EXTENSIONS:
                    continue
                if entry.is_symlink() and not os.path.exists(entry.path):
                    skipped.append(Skipped(Path(entry.path), "broken symbolic link"))
                    continue
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError as error:
                reason = f"cannot be read: {error.strerror or error}"
                skipped.append(Skipped(Path(entry.path), reason))
                continue
            media.append((entry, stat))
        sidecars = _sidecars([e.name for e, _ in media], json_names) if json_names else {}
        for entry, stat in media:
            sidecar = sidecars.get(entry.name)
            add(FileEntry(entry.path, stat.st_size, stat.st_mtime_ns,
                          Path(folder, sidecar) if sidecar else None))  # fmt: skip


def _folder_id(folder: Path | str) -> tuple[int, int]:
    stat = os.stat(folder)
    return (stat.st_dev, stat.st_ino)


def _sidecar_of(path: Path) -> Path | None:
    """The Takeout sidecar of a photo given by itself, among the files beside it."""
    try:
        json_names = [name for name in os.listdir(path.parent) if name.lower().endswith(".json")]
    except OSError:
        return None
    sidecar = _sidecars([path.name], json_names).get(path.name)
    return path.with_name(sidecar) if sidecar else None


def _sidecars(media_names: list[str], json_names: list[str]) -> dict[str, str]:
    # imported here: only folders with JSON files (Takeout exports) need the matcher
    from memories.scan.takeout import match_sidecars

    return match_sidecars(media_names, json_names)
