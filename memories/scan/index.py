"""Bring the catalog up to date with the photo folders, reading only what changed."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from memories.catalog import Catalog, FileState
from memories.errors import ExitStatus
from memories.model import FileEntry, Photo, ProgressCallback, Skipped
from memories.parallel import map_in_batches
from memories.scan.companions import find_companions
from memories.scan.discover import discover
from memories.scan.metadata import read_many
from memories.scan.takeout import read_takeout_sidecar

FINDING = "Finding photos"
READING = "Reading photos"
_COMMIT_EVERY = 500


@dataclass
class ScanReport:
    """What a scan found and did; it decides the exit status."""

    found: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0
    """New paths whose content was already known: moved, renamed or copied photos."""
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_status(self) -> ExitStatus:
        if self.skipped:
            return ExitStatus.SKIPPED
        return ExitStatus.OK if self.found else ExitStatus.NOTHING_FOUND


def scan_folders(
    roots: Sequence[Path],
    catalog: Catalog,
    *,
    exclude: Path | None,
    workers: int,
    progress: ProgressCallback | None = None,
) -> ScanReport:
    """Find media under `roots`, read new and changed files, forget files that are gone."""
    started = time.perf_counter()
    roots = [Path(os.path.abspath(root)) for root in roots]
    report = ScanReport()
    found = discover(
        roots, exclude=exclude, on_found=progress and (lambda n: progress(FINDING, n, None))
    )
    report.found = len(found.files)
    if progress:
        progress(FINDING, report.found, report.found)
    last_seen = catalog.file_states(roots)
    to_read: list[FileEntry] = []
    # Files an older version of memories read are read again, to learn what it could not;
    # they count as unchanged (only what is known of them changes).
    read_again: list[FileEntry] = []
    for entry in found.files:
        before = last_seen.get(entry.path_text)
        if before is None or not before.unchanged(entry):
            to_read.append(entry)
        elif before.read_by_older_reader():
            read_again.append(entry)
    report.unchanged = report.found - len(to_read)
    stale = {entry.path_text for entry in read_again}
    to_read += read_again
    known_contents = catalog.content_hashes() if to_read else set()

    batch: list[tuple[FileEntry, Photo | Skipped]] = []
    ignored_sidecars: list[Path] = []
    for done, (entry, result) in enumerate(map_in_batches(read_many, to_read, workers), start=1):
        batch.append((entry, result))
        if entry.sidecar and isinstance(result, Photo) and result.sidecar is None:
            ignored_sidecars.append(entry.sidecar)
        if entry.path_text not in stale:
            _tally(report, last_seen.get(entry.path_text), result, known_contents)
        if len(batch) >= _COMMIT_EVERY:
            _commit(catalog, batch)
        if progress:
            progress(READING, done, len(to_read))
    _commit(catalog, batch)
    report.warnings += _sidecar_notes(ignored_sidecars)

    gone = {Path(path) for path in set(last_seen) - {entry.path_text for entry in found.files}}
    gone -= _files_under_empty_roots(roots, gone, found.files, report.warnings)
    if gone:
        with catalog.transaction():
            report.removed = catalog.remove_files(gone)
    if to_read or gone:
        with catalog.transaction():
            catalog.replace_companions(find_companions(catalog.pairing_records()))

    report.skipped = sorted(found.skipped + catalog.skipped(roots), key=lambda s: s.path)
    report.seconds = time.perf_counter() - started
    return report


def _tally(
    report: ScanReport, before: FileState | None, result: Photo | Skipped, known: set[str]
) -> None:
    """Count a file just read as changed, moved (its content was known), or new."""
    if before is not None and before.usable:
        report.changed += 1
    elif isinstance(result, Skipped):
        return  # listed among the skipped, new or not
    elif result.content_hash in known:
        report.moved += 1
    else:
        report.new += 1
        known.add(result.content_hash)  # later copies in this same run are not new


def _sidecar_notes(ignored: list[Path], shown: int = 10) -> list[str]:
    """A note for each sidecar that was ignored, the reason read again here (it is rare)."""
    notes = [
        f"{sidecar}: ignored ({read_takeout_sidecar(sidecar).problem or 'not usable'}); "
        "its photo is read from its own metadata"
        for sidecar in ignored[:shown]
    ]
    if len(ignored) > shown:
        notes.append(f"... and {len(ignored) - shown:,} more sidecars ignored")
    return notes


def _commit(catalog: Catalog, batch: list[tuple[FileEntry, Photo | Skipped]]) -> None:
    if batch:
        with catalog.transaction():
            catalog.record(batch)
        batch.clear()


def _files_under_empty_roots(
    roots: Sequence[Path], gone: set[Path], present: list[FileEntry], warnings: list[str]
) -> set[Path]:
    """Catalogued files under a folder that now looks empty are kept, not forgotten: an
    unmounted disk or network share must not wipe what we know about its photos."""
    if not gone:
        return set()
    kept: set[Path] = set()
    for root in roots:
        if any(entry.path.is_relative_to(root) for entry in present):
            continue
        under_root = {path for path in gone if path.is_relative_to(root)}
        if under_root:
            kept |= under_root
            warnings.append(
                f"{root} has no photos now but had {len(under_root)}; keeping them in the "
                "catalog in case a disk or share is not mounted"
            )
    return kept
