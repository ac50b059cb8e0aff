"""What runs on a cluster's worker: who it is (`describe_worker`), a batch of per-photo
analysis with the photos read where this machine sees them (`analyse_batch`), and one
memory's outputs (`render_memory`). Every task first checks that this worker runs the
coordinator's `memories` and face models (`Build`): results made by another version would
differ from the catalog's."""

from __future__ import annotations

import functools
import hashlib
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memories import __version__
from memories.cluster.paths import PathMap, local_path, readable_path
from memories.errors import MemoriesError, PhotoOutOfReach, UnreadablePhoto
from memories.model import Photo


class WorkerMismatch(MemoriesError):
    """A worker runs another version of `memories` or other face models than the
    coordinator."""


@dataclass(frozen=True)
class Build:
    """What a result depends on besides the photo: the version and the face models."""

    version: str
    models: tuple[tuple[str, str], ...]
    """(name, SHA-256 prefix) of each face model file."""

    def differences(self, other: Build) -> list[str]:
        """How `other` (a worker's) differs from this build (the coordinator's), in words."""
        found = []
        if self.version != other.version:
            found.append(f"memories {other.version}, not {self.version}")
        mine, theirs = dict(self.models), dict(other.models)
        for name in sorted(mine.keys() & theirs.keys()):
            if mine[name] != theirs[name]:
                found.append(f"another {name} model file")
        for name in sorted(mine.keys() - theirs.keys()):
            if not name.startswith("mtcnn"):  # a worker without MTCNN finds faces with HOG
                found.append(f"no {name} model file")
        return found


@functools.cache
def this_build() -> Build:
    """This machine's build (the model files are read once per process)."""
    from memories.people import faces_available

    models: list[tuple[str, str]] = []
    if faces_available() is None:
        from memories.analyze.faces import model_files

        models = [(name, _digest(path)) for name, path in sorted(model_files().items())]
    return Build(__version__, tuple(models))


def check_build(expected: Build) -> None:
    """Refuse to work for a coordinator whose build differs from this worker's."""
    if differences := expected.differences(this_build()):
        raise WorkerMismatch(
            f"worker {worker_name()} has {', '.join(differences)}: install the same "
            "memories (and models) on every machine of the cluster"
        )


def worker_name() -> str:
    """This worker's address and host, as a user would look for it."""
    host = socket.gethostname()
    try:
        from distributed import get_worker

        return f"{get_worker().address} ({host})"
    except (ImportError, ValueError):  # not inside a Dask worker
        return host


def describe_worker(folders: Sequence[str], path_map: PathMap, library: str) -> dict[str, Any]:
    """What `memories doctor --cluster` shows of this worker: its build, GPU, and which of
    the photo folders (and the library folder) it can read."""
    build = this_build()
    return {
        "host": socket.gethostname(),
        "version": build.version,
        "models": dict(build.models),
        "gpu": _gpu(),
        "folders": {folder: _readable_folder(folder, path_map) for folder in folders},
        "library": sees_library(library, path_map),
    }


def analyse_batch(
    function: Callable[[Sequence[Photo]], list[Any]],
    photos: Sequence[Photo],
    path_map: PathMap,
    expected: Build,
) -> list[Any]:
    """`function`'s results for a batch, each photo read where this machine sees it. A
    photo it cannot open is `PhotoOutOfReach`; a photo that cannot be decoded gives its
    error, under the path the coordinator knows it by."""
    check_build(expected)
    results: list[Any] = [None] * len(photos)
    reachable: list[tuple[int, Photo]] = []
    for index, photo in enumerate(photos):
        path = readable_path(photo.path_text, path_map)
        if path is None:
            results[index] = PhotoOutOfReach(
                photo.path, f"worker {worker_name()} cannot read it at "
                f"{path_map.there(photo.path_text)} (check the mount or --path-map)")  # fmt: skip
        else:
            reachable.append((index, photo._replace(path_text=path)))
    for (index, _), result in zip(reachable, function([p for _, p in reachable]), strict=True):
        if isinstance(result, UnreadablePhoto):
            result = UnreadablePhoto(photos[index].path, result.reason)
        results[index] = result
    return results


def sees_library(root: str, path_map: PathMap) -> str | None:
    """Where this machine can write the library folder, or None when it cannot. What it
    sees there must hold the library's catalog: a path map to an empty or other folder
    would have memories drawn where the gallery never looks."""
    from memories.library import LibraryFolder

    folder = _readable_folder(root, path_map, writable=True)
    if folder is None or not LibraryFolder(Path(folder)).catalog_path.is_file():
        return None
    return folder


def render_memory(
    job: Any,
    photos: Mapping[str, Photo],
    root: str,
    templates: Any,
    settings: Any,
    path_map: PathMap,
    expected: Build,
) -> Any:
    """One memory brought up to date in the library folder as this machine sees it (see
    `render.outputs.Renderer.draw`): its memory.json comes back, or why it could not be
    drawn (under the path the coordinator knows the photo by)."""
    from dataclasses import replace

    check_build(expected)
    library = sees_library(root, path_map)
    if library is None:
        raise WorkerMismatch(f"worker {worker_name()} cannot write the library folder {root}")
    where: dict[str, Photo] = {}
    for content_hash, photo in photos.items():
        path = readable_path(photo.path_text, path_map)
        if path is None:
            return PhotoOutOfReach(photo.path, f"worker {worker_name()} cannot read it at "
                                   f"{path_map.there(photo.path_text)}")  # fmt: skip
        where[content_hash] = photo._replace(path_text=path)
    if job.music is not None:
        music = readable_path(str(job.music), path_map)
        job = replace(job, music=Path(music) if music else job.music)
    outcome = _renderer(templates, replace(settings, workers=_threads(), allow_download=False)
                        ).draw(job, Path(library), where)  # fmt: skip
    if isinstance(outcome, UnreadablePhoto):
        known_as = {photo.path_text: photos[content_hash].path
                    for content_hash, photo in where.items()}  # fmt: skip
        return UnreadablePhoto(known_as.get(str(outcome.path), outcome.path), outcome.reason)
    return outcome


_RENDERERS: dict[bytes, Any] = {}


def _renderer(templates: Any, settings: Any) -> Any:
    """A renderer per templates and settings, kept by the worker process: an AI restyle's
    model loads once, not once per memory."""
    import pickle

    from memories.render.outputs import Renderer

    key = hashlib.sha256(pickle.dumps((templates, settings))).digest()
    if key not in _RENDERERS:
        _RENDERERS.clear()
        _RENDERERS[key] = Renderer(templates, settings)
    return _RENDERERS[key]


def _threads() -> int:
    """The threads this worker runs tasks on: what a recap video may encode with."""
    try:
        from distributed import get_worker

        return max(1, get_worker().state.nthreads)
    except (ImportError, ValueError):
        return 1


def _readable_folder(folder: str, path_map: PathMap, *, writable: bool = False) -> str | None:
    """Where this machine sees `folder` (see `local_path`), or None when it cannot read it
    (or write it)."""
    folder = local_path(folder, path_map)
    access = os.R_OK | os.X_OK | (os.W_OK if writable else 0)
    return folder if os.path.isdir(folder) and os.access(folder, access) else None


def _gpu() -> str | None:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    return str(torch.cuda.get_device_name(0))


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]
