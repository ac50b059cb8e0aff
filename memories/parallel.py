"""Run a pure function over many items in worker processes, in order, stoppable by Ctrl-C."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from memories.errors import PhotoOutOfReach, UnreadablePhoto
from memories.model import Photo, ProgressCallback

Item = TypeVar("Item")
Result = TypeVar("Result")

PARALLEL_FROM = 64
"""Fewer items than this are done in-process: starting workers would cost more than it saves."""


def map_in_batches(
    function: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    workers: int,
    *,
    batch_size: int | None = None,
    parallel_from: int = PARALLEL_FROM,
    start_method: str | None = None,
    preload: Sequence[str] = (),
) -> Iterator[tuple[Item, Result]]:
    """`function` takes a batch and returns one result per item; yields (item, result) in the
    order of `items`, as batches finish. Worker processes leave Ctrl-C to this process, which
    drops the queued batches instead of finishing the whole library first. Slow work per item
    (seconds, not milliseconds) wants small batches and workers from very few items.
    `start_method` ("forkserver") starts workers from a fresh process instead of forking
    this one; `preload` names modules that process imports once for all its workers."""
    batch_size = batch_size or max(8, min(128, len(items) // (workers * 4) or 1))
    batches = [items[start : start + batch_size] for start in range(0, len(items), batch_size)]
    if workers <= 1 or len(items) < parallel_from:
        for batch in batches:
            yield from zip(batch, function(batch), strict=True)
        return
    others = set(multiprocessing.active_children())
    context = multiprocessing.get_context(start_method) if start_method else None
    if preload and start_method == "forkserver":
        context.set_forkserver_preload(list(preload))  # type: ignore[union-attr]
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_follow_parent,
        initargs=(os.getpid() if start_method in (None, "fork") else None,),
    )  # fmt: skip
    try:
        for batch, results in zip(batches, pool.map(function, batches), strict=True):
            yield from zip(batch, results, strict=True)
    except BaseException:  # Ctrl-C, or the caller stopped: what is in flight is not wanted
        _stop_workers(others)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class BatchCluster(Protocol):
    """Other machines' workers that run batches (see `memories.cluster.session`)."""

    def map_in_batches(
        self, function: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any],
        batch_size: int | None,
    ) -> Iterator[tuple[Any, Any]]: ...  # fmt: skip

    def label(self, stage: str) -> str: ...


def map_and_store(
    function: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    workers: int,
    store: Callable[[list[tuple[Item, Result]]], None],
    *,
    every: int,
    stage: str,
    progress: ProgressCallback | None,
    cluster: BatchCluster | None = None,
    **batching: Any,
) -> list[PhotoOutOfReach]:
    """`map_in_batches`, handing the results to `store` every `every` items (so an interrupted
    run keeps what it finished) and reporting progress as `stage`. With a `cluster`, its
    workers run the batches, whose results come back as they finish; the photos a worker
    could not reach are kept out of `store` and returned."""
    if cluster is not None:
        results = cluster.map_in_batches(function, items, batching.get("batch_size"))
        stage = cluster.label(stage)
    else:
        results = map_in_batches(function, items, workers, **batching)
    done: list[tuple[Item, Result]] = []
    out_of_reach: list[PhotoOutOfReach] = []
    if progress and items:
        progress(stage, 0, len(items))  # the stage's clock starts with its first batch
    for count, (item, result) in enumerate(results, 1):
        if isinstance(result, PhotoOutOfReach):
            out_of_reach.append(result)
        else:
            done.append((item, result))
        if done and (len(done) >= every or count == len(items)):
            store(done)
            done = []
        if progress:
            progress(stage, count, len(items))
    return out_of_reach


def each_or_unreadable(
    analyse: Callable[[Photo], Result], photos: Sequence[Photo]
) -> list[Result | UnreadablePhoto]:
    """`analyse` each photo of a batch; a photo that cannot be decoded gives its error."""
    results: list[Result | UnreadablePhoto] = []
    for photo in photos:
        try:
            results.append(analyse(photo))
        except UnreadablePhoto as error:
            results.append(error)
    return results


def _stop_workers(others: set[multiprocessing.process.BaseProcess]) -> None:
    """End the pool's worker processes (the children that are not among `others`) now
    rather than after their batches (seconds each): a stopped run keeps only what it
    stored."""
    for worker in set(multiprocessing.active_children()) - others:
        worker.terminate()


def _follow_parent(parent: int | None) -> None:
    """Leave Ctrl-C to the parent, and die with it: a worker that outlived a killed run
    would go on using the CPU and, having inherited its open files, keep the library
    locked. A worker collects its own cyclic garbage, whatever its parent chose."""
    gc.enable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's SIGTERM handler turns it into KeyboardInterrupt; a worker just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    # the parent died before this worker got here (a worker of a fork server is the
    # server's child, and dies with it, as the server does with this process)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # without it, an orphaned worker still ends once the pool's pipes close


_PR_SET_PDEATHSIG = 1
