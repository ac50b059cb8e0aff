"""The coordinator's side of a cluster: connecting to the user's own scheduler over TLS,
checking its workers, and sending them batches of analysis and memories to draw, whose
results come back (and are stored by the caller) as they finish. Only photo records that
say where a file is and how to decode it go to workers; only results come back."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memories.cluster.paths import PathMap
from memories.cluster.security import ClusterRefused, cluster_address, cluster_security
from memories.cluster.work import (
    Build,
    WorkerMismatch,
    analyse_batch,
    describe_worker,
    render_memory,
    sees_library,
    this_build,
)  # fmt: skip
from memories.errors import MemoriesError, PhotoOutOfReach
from memories.model import Photo

if TYPE_CHECKING:
    from distributed import Client

    from memories.render.outputs import RenderJob, RenderOutcome, RenderSettings, RenderTemplates

CONNECT_SECONDS = 10
WORKERS_SECONDS = 30
"""How long a build waits for a first worker to join the scheduler."""
IN_FLIGHT_PER_THREAD = 2
"""Batches queued per worker thread: enough that no worker waits for its next batch."""


class ClusterLost(MemoriesError):
    """The scheduler went away during a build; the results already stored are kept."""


@dataclass(frozen=True)
class WorkerReport:
    """One worker, as `memories doctor --cluster` lists it."""

    address: str
    host: str
    cores: int
    memory: int
    """Bytes the worker may use."""
    gpu: str | None
    differences: list[str]
    """How its build differs from this machine's (empty: none)."""
    folders: dict[str, str | None]
    """Each photo folder, and where the worker reads it (None: it cannot)."""
    library: str | None
    """Where the worker can write the library folder (None: it cannot)."""


class Cluster:
    """A build's connection to the scheduler; see `connect`."""

    def __init__(self, client: Client, url: str, path_map: PathMap) -> None:
        self.client = client
        self.url = url
        self.path_map = path_map
        self.build = this_build()
        self.render_workers: list[str] = []
        """Workers that can write the library folder (see `sees_library`)."""
        self._seen: tuple[float, dict[str, Any]] = (0.0, {})

    # What parallel.map_and_store and render.outputs.render_memories call ----------------

    def label(self, stage: str) -> str:
        from memories.render.outputs import RENDERING

        workers = len(self.render_workers if stage == RENDERING else self._workers())
        return f"{stage} on {workers} cluster worker{'s' if workers != 1 else ''}"

    def map_in_batches(
        self,
        function: Callable[[Sequence[Photo]], list[Any]],
        items: Sequence[Photo],
        batch_size: int | None,
    ) -> Iterator[tuple[Photo, Any]]:
        """Each batch's results, (photo, result), as the workers finish them. A batch whose
        worker died runs again on another (results depend only on the photo, so twice is
        harmless); one that killed its workers every time gives its photos as out of
        reach."""
        threads = max(1, self.threads())
        batch_size = batch_size or max(8, min(128, len(items) // (threads * 4) or 1))
        batches = [list(items[start : start + batch_size])
                   for start in range(0, len(items), batch_size)]  # fmt: skip
        name = getattr(function, "func", function).__name__
        # the same photos analysed the same way: another build's batch may share the result
        how = f"{getattr(function, 'keywords', {})} {self.path_map}"

        def submit(batch: list[Photo], attempt: int) -> Any:
            key = hashlib.sha1("".join([how, *(p.content_hash for p in batch)]).encode()
                               ).hexdigest()  # fmt: skip
            slim = [_for_worker(photo) for photo in batch]
            return self.client.submit(analyse_batch, function, slim, self.path_map, self.build,
                                      key=f"memories-{name}-{key}-{attempt}")  # fmt: skip

        yield from self._as_finished(
            batches, submit, lambda batch, results: zip(batch, results, strict=True),
            lambda batch: [[photo] for photo in batch],
            lambda batch, why: [(photo, PhotoOutOfReach(photo.path, why)) for photo in batch],
        )  # fmt: skip

    def render(
        self,
        jobs: Sequence[RenderJob],
        photos: Mapping[str, Photo],
        root: Path,
        templates: RenderTemplates,
        settings: RenderSettings,
    ) -> Iterator[tuple[RenderJob, RenderOutcome]]:
        """Each memory drawn by a worker that can write the library folder, as they finish;
        a memory is one task, so one worker writes it."""
        from distributed.comm import get_address_host

        templates_future = self.client.scatter(templates, broadcast=True)
        # by host: a worker that died comes back at another port, seeing the same folders
        hosts = sorted({get_address_host(address) for address in self.render_workers})

        def submit(job: RenderJob, attempt: int) -> Any:
            used = {photo.content_hash: photos[photo.content_hash] for photo in job.memory.photos}
            return self.client.submit(
                render_memory, job, used, str(root), templates_future, settings,
                self.path_map, self.build, workers=hosts, allow_other_workers=False,
                key=f"memories-render-{job.memory.id}-{time.time_ns()}",
            )  # fmt: skip

        yield from self._as_finished(
            list(jobs), submit, lambda job, outcome: [(job, outcome)],
            lambda job: [job],
            lambda job, why: [(job, PhotoOutOfReach(job.memory.cover.path, why))],
        )  # fmt: skip

    # Workers --------------------------------------------------------------------------

    def threads(self) -> int:
        return sum(worker["nthreads"] for worker in self._workers().values())

    def check_workers(self) -> None:
        """Refuse a cluster with a worker of another build (one line, naming it)."""
        for address, build in sorted(self._run(this_build).items()):
            if differences := self.build.differences(build):
                raise WorkerMismatch(
                    f"worker {address} has {', '.join(differences)}: install the same "
                    "memories (and models) on every machine of the cluster"
                )

    def find_render_workers(self, root: Path) -> list[str]:
        """The workers that can write the library folder; memories are drawn on those."""
        seen = self._run(sees_library, str(root), self.path_map)
        self.render_workers = sorted(address for address, path in seen.items() if path)
        return self.render_workers

    def describe(self, folders: Sequence[str], library: Path) -> list[WorkerReport]:
        described = self._run(describe_worker, list(folders), self.path_map, str(library))
        reports = []
        for address, worker in sorted(self._workers().items()):
            found = described.get(address)
            if found is None:
                continue
            theirs = Build(found["version"], tuple(sorted(found["models"].items())))
            reports.append(WorkerReport(
                address=address, host=found["host"], cores=worker["nthreads"],
                memory=worker.get("memory_limit") or 0, gpu=found["gpu"],
                differences=self.build.differences(theirs), folders=found["folders"],
                library=found["library"],
            ))  # fmt: skip
        return reports

    def _workers(self) -> dict[str, Any]:
        """The scheduler's workers, asked again at most once a second (a round trip)."""
        asked, workers = self._seen
        if time.monotonic() - asked > 1.0:
            info: dict[str, Any] = self.client.scheduler_info(n_workers=-1)
            workers = dict(info.get("workers", {}))
            self._seen = (time.monotonic(), workers)
        return workers

    def _run(self, function: Callable[..., Any], *args: Any) -> dict[str, Any]:
        try:
            return dict(self.client.run(function, *args))
        except (OSError, TimeoutError) as error:
            raise ClusterLost(f"lost the scheduler at {self.url}: {error}") from None

    def _as_finished(
        self,
        tasks: list[Any],
        submit: Callable[[Any, int], Any],
        unpack: Callable[[Any, Any], Any],
        split: Callable[[Any], list[Any]],
        given_up: Callable[[Any, str], Any],
    ) -> Iterator[Any]:
        """Submit `tasks` a window at a time and unpack each one's result as it finishes.
        A task Dask gave up on (its workers kept dying: a file that crashes a decoder, or
        only a task beside one) becomes a suspect: `split` into its parts, each run again
        alone, and given up only if it takes its worker down alone. On any way out (done,
        Ctrl-C, an error), what is still queued is cancelled."""
        from distributed import as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        waiting: deque[Any] = deque(tasks)
        suspects: deque[Any] = deque()
        running: dict[Any, tuple[Any, bool]] = {}
        """Each future's task, and whether it is a suspect (which runs alone)."""
        finished = as_completed(loop=self.client.loop)

        def start(task: Any, suspect: bool) -> None:
            future = submit(task, int(suspect))
            running[future] = (task, suspect)
            finished.add(future)

        def top_up() -> None:
            if suspects:
                if not running:
                    start(suspects.popleft(), True)
                return
            wanted = max(4, IN_FLIGHT_PER_THREAD * self.threads())
            while len(running) < wanted and waiting:
                start(waiting.popleft(), False)

        try:
            top_up()
            for future in finished:
                task, suspect = running.pop(future)
                try:
                    result = future.result()
                except KilledWorker:
                    if suspect:
                        yield from given_up(task, "every cluster worker that tried it died "
                                            "(out of memory, or a file that crashes its "
                                            "decoder?)")  # fmt: skip
                    else:
                        suspects.extend(split(task))
                except FutureCancelledError:
                    raise ClusterLost(
                        f"lost the scheduler at {self.url}; every result that came back is "
                        "kept: run again to go on"
                    ) from None
                else:
                    yield from unpack(task, result)
                top_up()
        finally:
            if running:
                self.client.cancel(list(running), force=True)


@contextmanager
def connect(
    address: str,
    *,
    path_map: PathMap,
    insecure: bool,
    certificates: Path | None,
    wait_for_workers: float = WORKERS_SECONDS,
    check: bool = True,
) -> Iterator[Cluster]:
    """A connection to the user's scheduler at `address`, its workers checked (unless not
    `check`: the doctor lists them all); closed at the end of the block."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterRefused(
            "a cluster needs Dask: pip install 'memories[cluster]' (or -e '.[cluster]')"
        ) from None
    where = cluster_address(address, insecure=insecure)
    security = cluster_security(where, certificates)
    _quiet_dask()
    try:
        client = Client(where.url, security=security, timeout=CONNECT_SECONDS,
                        set_as_default=False)  # fmt: skip
    except (OSError, TimeoutError) as error:
        raise ClusterRefused(f"cannot reach the scheduler at {where.url}: {_reason(error)}"
                             ) from None  # fmt: skip
    try:
        try:
            client.wait_for_workers(1, timeout=wait_for_workers)
        except TimeoutError:
            raise ClusterRefused(
                f"the scheduler at {where.url} has no workers: start one on each machine "
                f"with `dask worker {where.url} --nworkers auto --nthreads 1`"
            ) from None
        cluster = Cluster(client, where.url, path_map)
        if check:
            cluster.check_workers()
        yield cluster
    finally:
        client.close(timeout=2)


def _quiet_dask() -> None:
    """Our one-line errors say what Dask's log lines and tracebacks would (Dask's settings
    give some of its loggers levels of their own)."""
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _for_worker(photo: Photo) -> Photo:
    """What a worker needs of a photo to analyse it: where it is and how to decode it; no
    dates, places, cameras or other paths."""
    return Photo(photo.path_text, photo.content_hash, photo.format, photo.kind, photo.width,
                 photo.height, photo.orientation, None, None, None, None)  # fmt: skip
