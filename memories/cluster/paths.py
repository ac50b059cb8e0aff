"""Where a worker finds a photo: the same path as on the machine with the library (a shared
mount), or the path a `--path-map` gives (`/volume1/photo=/mnt/photo`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PathMap:
    """Folder prefixes on the library's machine and where workers see them."""

    pairs: tuple[tuple[str, str], ...] = ()
    """(here, there) folder pairs, longest `here` first, without trailing separators."""

    @classmethod
    def parse(cls, entries: Iterable[str]) -> PathMap:
        """`HERE=THERE` entries, as the command line and the config file give them."""
        pairs = []
        for entry in entries:
            here, equals, there = entry.partition("=")
            here, there = _folder(here), _folder(there)
            if not equals or not here or not there:
                raise ValueError(f'a path map is "FOLDER=FOLDER ON THE WORKERS", not {entry!r}')
            if not (os.path.isabs(here) and os.path.isabs(there)):
                raise ValueError(f"both folders of a path map must be absolute: {entry!r}")
            pairs.append((here, there))
        return cls(tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)))

    def there(self, path: str) -> str:
        """Where workers see `path`: the longest mapped folder it is in, swapped for the
        workers' folder; `path` itself when no mapped folder holds it."""
        found = self.mapping(path)
        return found[1] if found else path

    def mapping(self, path: str) -> tuple[str, str] | None:
        """(the workers' folder, `path` in it) for the longest mapped folder `path` is in;
        None when no mapped folder holds it."""
        for here, there in self.pairs:
            if path == here or path.startswith(here.rstrip(os.sep) + os.sep):
                rest = path[len(here) :].lstrip(os.sep)
                return there, os.path.join(there, rest) if rest else there
        return None

    def __str__(self) -> str:
        return ", ".join(f"{here}={there}" for here, there in self.pairs) or "none"


def local_path(path: str, path_map: PathMap) -> str:
    """Where this machine looks for `path`: in the workers' folder of its mapping when this
    machine has that folder, else as given (the machine that holds the library, working as
    a worker too, has no mount of its own folders)."""
    found = path_map.mapping(path)
    return found[1] if found is not None and os.path.isdir(found[0]) else path


def readable_path(path: str, path_map: PathMap) -> str | None:
    """The path this machine reads a file at (see `local_path`), or None when it cannot."""
    path = local_path(path, path_map)
    return path if os.path.isfile(path) else None


def _folder(text: str) -> str:
    text = text.strip()
    return text.rstrip("/\\") or text[:1]
