"""The library folder: where everything we write lives, and the lock that lets one run in."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from memories.catalog import Catalog
from memories.errors import LibraryLocked, MemoriesError, NothingFound


@dataclass(frozen=True)
class LibraryFolder:
    """`~/Memories` or wherever the user keeps theirs; our state lives in its `.memories/`."""

    root: Path

    @property
    def state_dir(self) -> Path:
        return self.root / ".memories"

    @property
    def catalog_path(self) -> Path:
        return self.state_dir / "catalog.sqlite"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "lock"

    @property
    def decisions_path(self) -> Path:
        """The user's decisions and the photo folders built, kept outside the catalog."""
        return self.state_dir / "decisions.json"

    @property
    def people_dir(self) -> Path:
        """Contact sheets of people's faces."""
        return self.root / "people"

    def create(self) -> None:
        """Make the folder and its state folder, with a clear error when we cannot."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise MemoriesError(
                f"cannot create the library folder {self.root}: {error.strerror or error}"
            ) from None


@contextmanager
def locked(library: LibraryFolder, *, wait: bool = False) -> Iterator[None]:
    """Hold the library for one run. The OS drops the lock when a process dies, so a killed
    run never leaves a stale lock behind."""
    library.create()
    with open(library.lock_path, "a+") as lock_file:
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    lock_file.seek(0)
                    holder = lock_file.read().strip() or "unknown"
                    raise LibraryLocked(
                        f"the library {library.root} is in use by another memories run "
                        f"(pid {holder}); try again later, or pass --wait"
                    ) from None
                time.sleep(0.5)
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(str(os.getpid()))
        lock_file.flush()
        try:
            yield
        finally:
            lock_file.seek(0)
            lock_file.truncate()
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def existing_catalog(library: LibraryFolder) -> Catalog:
    """The library's catalog, for commands that only make sense after a build."""
    if not library.catalog_path.is_file():
        raise NothingFound(f"no catalog in {library.root}: run `memories build PHOTOS` first")
    return Catalog.open(library.catalog_path)
