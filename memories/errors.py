"""Exit statuses and the exceptions that map onto them, in one place."""

from __future__ import annotations

import errno
from enum import IntEnum
from pathlib import Path


class ExitStatus(IntEnum):
    """What a `memories` command's exit code means."""

    OK = 0
    """Everything asked for was done."""
    SKIPPED = 1
    """Done, but some photos were skipped; the report says which and why."""
    USAGE = 2
    """The command could not run as asked: bad option, missing folder, unusable library."""
    LOCKED = 3
    """Another run holds the library."""
    NOTHING_FOUND = 4
    """No photos or videos were found where we were told to look."""
    INTERNAL_ERROR = 70
    """A bug in memories itself (sysexits' EX_SOFTWARE); `--debug` shows the traceback."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C or SIGTERM; finished work is kept and the next run goes on."""


class MemoriesError(Exception):
    """Base of every error `memories` reports to the user as one line."""

    exit_status = ExitStatus.USAGE


class UnusableFile(MemoriesError):
    """A file could not be used as it was meant to be; the run goes on without it, says
    which and why, and exits 1."""

    exit_status = ExitStatus.SKIPPED

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(self.describe(path, reason))
        self.path = path
        self.reason = reason

    @classmethod
    def describe(cls, path: Path, reason: str) -> str:
        return f"{path}: {reason}"

    def __reduce__(self) -> tuple[type[UnusableFile], tuple[Path, str]]:
        """Rebuilt from both fields when a worker process sends it back."""
        return (type(self), (self.path, self.reason))


class UnreadablePhoto(UnusableFile):
    """A file could not be read as a photo or video; it is skipped, the run goes on."""


class PhotoOutOfReach(UnreadablePhoto):
    """A cluster's worker cannot open a photo where it looked (a mount or `--path-map` to
    mend): the photo is skipped in this run and analysed by a later one, never recorded as
    undecodable."""


class MusicUnusable(UnusableFile):
    """A music file (or a clip's sound track) cannot be decoded: the recap is made without it."""

    @classmethod
    def describe(cls, path: Path, reason: str) -> str:
        return f"cannot decode music {path}: {reason}"


class ClipUnusable(UnusableFile):
    """A video clip cannot be shown: ffmpeg cannot read or decode it; it is left out."""

    @classmethod
    def describe(cls, path: Path, reason: str) -> str:
        return f"{path.name}: {reason}"


class PhotosFolderMissing(MemoriesError):
    """A folder given as PHOTOS does not exist or is not a folder."""


class NothingFound(MemoriesError):
    """The folders given hold no photos or videos."""

    exit_status = ExitStatus.NOTHING_FOUND


class LibraryLocked(MemoriesError):
    """Another `memories` run is using the library folder."""

    exit_status = ExitStatus.LOCKED


class CatalogError(MemoriesError):
    """The catalog cannot be opened: corrupt, or written by a newer `memories`."""


class ConfigError(MemoriesError):
    """The config file cannot be read or holds a value we do not understand."""


class UnknownPerson(MemoriesError):
    """A person id (or face id) given on the command line is not in the catalog."""


class RestyleUnavailable(MemoriesError):
    """An AI restyle cannot run: the `ai` extra, the model or the GPU memory is missing."""


class CredentialsUnavailable(MemoriesError):
    """Content Credentials (C2PA) cannot be written: the `c2pa-python` bindings are missing."""


class CatalogDamaged(CatalogError):
    """The catalog file is corrupt; `memories doctor --repair` rebuilds it from the photos."""


class LibraryUnwritable(MemoriesError):
    """A file cannot be written (or read) for want of space or permission: a full disk, a
    read-only library, a file not ours. Nothing half-written is left; finished work is kept."""


_FULL = "free some space and run again; finished work is kept"
_WRITABLE = "the library folder must be writable (or pick another with --library)"
_DENIED = "the library folder must be writable, and what you give memories readable"
_FAILURES = {  # errno: (what could not be done, what to do)
    errno.ENOSPC: ("cannot write", _FULL),
    errno.EDQUOT: ("cannot write", _FULL),
    errno.EROFS: ("cannot write", _WRITABLE),
    errno.EACCES: ("no permission for", _DENIED),  # a read (a music file) or a write
    errno.EPERM: ("no permission for", _DENIED),
}


def unwritable(error: OSError) -> LibraryUnwritable | None:
    """The one-line error for a file operation that failed for want of space or permission,
    or None when `error` is something else."""
    if (error.errno or 0) not in _FAILURES:
        return None
    failed, advice = _FAILURES[error.errno or 0]
    where = f" {error.filename}" if error.filename else ""
    return LibraryUnwritable(f"{failed}{where}: {error.strerror}; {advice}")
