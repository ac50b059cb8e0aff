"""A first build's analysis of new photos (quality, faces) through a Dask cluster and here.

The cluster's speed against this machine's one core and two, and what its overhead per
photo is made of.

    python benchmarks/cluster.py [--library 300] [--photos 48] [--repeat 2]

Takes --photos photos spread over the library of benchmarks/library.py (12 MP JPEGs, faces
on three in four), then, in one run, times `memories build` up to planning (render off),
each time into a fresh library folder: the quality and faces stages as the build clocks
them, for
  - one core: in-process (workers = 1), torch on one thread as each worker runs it;
  - 2 processes: workers = 2, the build's own pool of face workers (started in the build,
    as every build starts it: its torch import and model loading are timed);
  - a cluster of 1 and of 2 workers: `distributed.LocalCluster` on this machine, one thread
    per worker process, with the worker settings `memories cluster certificate` writes (no
    sampling profiler), the build as `memories build --cluster tcp://... --insecure` runs
    it.
Each is built --repeat times and the fastest counts (this machine's speed drifts by a tenth
from one minute to the next). All are measured warm, as a long-running worker has it (but
the local pool, which every build starts anew): before timing, this process and each
cluster worker analyse 4 other photos (torch imported, face models loaded), and each
cluster takes one untimed build of them.

Prints the seconds, photos per second and speed-up against one core of each, and for the
clusters the efficiency: photos/s / (N workers x one core's photos/s), target >= 0.9;
beside them, the cores busy over the analysis with this benchmark's processes and with
everything else (a run that shared the machine with another job says so). Then, from
Dask's task stream of the timed build, the cluster's overhead per photo: the workers' time
(analysis seconds x N) less the compute of the analysis tasks, of which Dask's transfers
and disk reads, and idle: waiting for the first batch, between batches (the round trip to
the coordinator, the next stage's start), and after a worker's last batch (the other
worker's last one, the coordinator storing results and grouping faces). And the
coordinator's side: connecting and checking the workers before the scan, and the first
batch's start after it.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from library import make_library

from memories import pipeline
from memories.analyze.faces import find_faces_many, one_core_each, pick_engine
from memories.analyze.quality import measure_many
from memories.config import Settings
from memories.model import Photo

TODAY = date(2025, 12, 31)
ANALYSIS_TASKS = ("memories-measure_many-", "memories-find_faces_many-")
"""The keys of the cluster's analysis tasks begin so (see `memories.cluster.session`)."""
WARM_PHOTOS = 4
TARGET = 0.9
NOISY = 0.2
"""Cores busy with other processes over a timed analysis past which it is not trusted."""
METRICS_SECONDS = 1.5
"""Long enough for each worker's heartbeat (twice a second) to bring its task metrics."""


@dataclass
class Run:
    """One timed build: its analysis seconds and, through a cluster, what Dask saw."""

    name: str
    workers: int
    seconds: float
    cpu: Cpu
    cluster: ClusterRun | None = None


@dataclass
class Cpu:
    """The machine's cores busy during the analysis: this benchmark's processes (the
    coordinator, the scheduler, the workers) and everything else (another job, the
    hypervisor's steal): a noisy neighbour shows here."""

    busy: float
    ours: float

    @property
    def others(self) -> float:
        return max(0.0, self.busy - self.ours)


@dataclass
class ClusterRun:
    compute: float
    """Seconds the analysis tasks ran, summed over the workers."""
    transfer: float
    """Seconds of Dask's transfers and disk reads (and deserializing) for them."""
    before_first: float
    """Workers' seconds from the analysis's start to their first task."""
    between: float
    """Workers' seconds between one task's end and their next one's start."""
    tail: float
    """Workers' seconds from their last task's end to the analysis's end."""
    connect: float
    """Build start to the scan's start: connecting, waiting for and checking workers."""
    first_task: float
    """The scan's end to the first analysis task's start."""
    coordinator_tail: float
    """The last task's end to the analysis's end: storing the last results, grouping."""
    tasks: int
    task_cpu: float = 0.0
    """CPU seconds of the analysis tasks' threads (Dask's fine performance metrics)."""
    task_waiting: float = 0.0
    """Seconds the analysis tasks ran off a CPU: another process had the core, or I/O."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=int, default=300)
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=2,
                        help="timed builds of each configuration; the fastest counts")  # fmt: skip
    args = parser.parse_args()
    _quiet_dask()
    started = time.perf_counter()

    library = make_library(args.library, workers=os.cpu_count() or 2)
    jpegs = sorted(library.rglob("*.jpg"))
    step = max(1, len(jpegs) // args.photos)
    sample = jpegs[::step][: args.photos]
    chosen = set(sample)
    others = [path for path in jpegs if path not in chosen]
    warm = others[:: max(1, len(others) // WARM_PHOTOS)][:WARM_PHOTOS]
    count = len(sample)
    print(f"{count} photos of {len(jpegs)}; cores {os.cpu_count()}; faces by "
          f"{pick_engine().describe()}")  # fmt: skip

    with tempfile.TemporaryDirectory() as scratch_text:
        scratch = Path(scratch_text)
        photos_dir, warm_dir = _linked(sample, scratch / "photos"), _linked(warm, scratch / "warm")
        # One core as a worker runs it: torch on one thread (it would take both cores
        # in-process), its models loaded by an untimed build of other photos.
        one_core_each()
        warm_photos = pipeline.build([warm_dir], _settings(scratch / "warm-local", 1),
                                     today=TODAY, render=False).photos  # fmt: skip
        print(f"warm: this process analysed {len(warm_photos)} other photos first "
              "(torch on one thread)", flush=True)  # fmt: skip
        runs = [
            _local(photos_dir, scratch, 1, "one core (in-process)", args.repeat),
            _local(photos_dir, scratch, 2, "2 processes (local)", args.repeat),
        ]
        for workers in (1, 2):
            runs.append(_through_cluster(photos_dir, warm_dir, warm_photos, scratch, workers,
                                         args.repeat))  # fmt: skip

    _print_speeds(runs, count, args.repeat)
    _print_overheads(runs, count)
    print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s")


def _local(photos_dir: Path, scratch: Path, workers: int, name: str, repeat: int) -> Run:
    """The fastest of `repeat` timed builds on this machine, each into a fresh library."""
    runs = []
    for attempt in range(repeat):
        folder = scratch / f"local-{workers}-{attempt}"
        with _stage_ends() as ends:
            report = pipeline.build([photos_dir], _settings(folder, workers), today=TODAY,
                                    render=False)  # fmt: skip
        seconds = report.seconds["quality"] + report.seconds["faces"]
        runs.append(Run(name, workers, seconds, ends.cpu(seconds)))
    return _fastest(runs)


def _fastest(runs: list[Run]) -> Run:
    times = ", ".join(f"{run.seconds:.1f}" for run in runs)
    print(f"timed: {runs[0].name}: {times} s", flush=True)
    return min(runs, key=lambda run: run.seconds)


def _through_cluster(
    photos_dir: Path,
    warm_dir: Path,
    warm_photos: Sequence[Photo],
    scratch: Path,
    workers: int,
    repeat: int,
) -> Run:
    """The fastest of `repeat` timed builds, each into a fresh library, through a fresh
    local cluster of `workers` processes, warmed first."""
    import dask.config
    from distributed import Client, LocalCluster, get_task_stream

    from memories.cluster.security import WORKER_SETTINGS

    name = f"cluster, {workers} worker{'s' if workers != 1 else ''}"
    with (
        dask.config.set(WORKER_SETTINGS),  # as the cluster's dask.yaml sets them
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None) as cluster,
        Client(cluster.scheduler_address, set_as_default=False) as client,
    ):  # fmt: skip
        _quiet_dask()
        client.wait_for_workers(workers)
        address = cluster.scheduler_address
        _warm_workers(client, warm_photos)
        pipeline.build([warm_dir], _settings(scratch / f"warm-{workers}", 1, address),
                       today=TODAY, render=False, insecure=True)  # fmt: skip
        threads = set(client.run(_torch_threads).values())
        print(f"warm: {name}: each worker analysed {len(warm_photos)} other photos, then one "
              f"untimed build (torch threads per worker: {sorted(threads)})",
              flush=True)  # fmt: skip
        runs = []
        for attempt in range(repeat):
            settings = _settings(scratch / f"cluster-{workers}-{attempt}", 1, address)
            metrics_before = _task_metrics(client)
            with get_task_stream(client=client) as stream, _stage_ends() as stages:
                build_start = time.time()
                report = pipeline.build([photos_dir], settings, today=TODAY, render=False,
                                        insecure=True)  # fmt: skip
            metrics_after = _task_metrics(client)
            seconds = report.seconds["quality"] + report.seconds["faces"]
            records = [record for record in stream.data
                       if str(record["key"]).startswith(ANALYSIS_TASKS)]  # fmt: skip
            ends = stages.times
            scan_start = ends["scan"] - report.seconds["scan"]
            dissected = _dissect(records, workers, build_start, scan_start, ends["scan"],
                                 ends["faces"])  # fmt: skip
            dissected.task_cpu, dissected.task_waiting = (
                after - before for after, before in zip(metrics_after, metrics_before,
                                                        strict=True))  # fmt: skip
            runs.append(Run(name, workers, seconds, stages.cpu(seconds), dissected))
    return _fastest(runs)


def _warm_workers(client: Any, photos: Sequence[Photo]) -> None:
    """Each worker measures and finds faces in `photos` (torch imported, models loaded)."""
    workers = list(client.scheduler_info(n_workers=-1)["workers"])
    futures = [
        client.submit(function, list(photos), *extra, workers=[worker], pure=False)
        for worker in workers
        for function, extra in ((measure_many, ()), (find_faces_many, ("auto",)))
    ]
    client.gather(futures)


def _task_metrics(client: Any) -> tuple[float, float]:
    """The analysis tasks' thread CPU and non-CPU seconds so far, summed over the workers,
    once their heartbeats have brought them to the scheduler."""
    time.sleep(METRICS_SECONDS)
    metrics: dict[str, float] = client.run_on_scheduler(_execute_metrics)
    return metrics.get("thread-cpu", 0.0), metrics.get("thread-noncpu", 0.0)


def _execute_metrics(dask_scheduler: Any) -> dict[str, float]:
    """(On the scheduler) the seconds of each activity of the analysis tasks' execution:
    Dask files them under the key's prefix, "memories" for every task of a build (without
    render, the analysis's alone)."""
    found: dict[str, float] = {}
    for key, value in dask_scheduler.cumulative_worker_metrics.items():
        if (isinstance(key, tuple) and len(key) == 4 and key[0] == "execute"
                and key[1] == "memories" and key[3] == "seconds"):  # fmt: skip
            found[key[2]] = found.get(key[2], 0.0) + value
    return found


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _dissect(
    records: list[dict[str, Any]],
    workers: int,
    build_start: float,
    scan_start: float,
    analysis_start: float,
    analysis_end: float,
) -> ClusterRun:
    """What the workers did with the analysis's seconds, from Dask's task stream."""
    compute = transfer = before_first = between = tail = 0.0
    by_worker: dict[str, list[tuple[float, float]]] = {}
    for record in records:
        spans = [(part["start"], part["stop"]) for part in record["startstops"]
                 if part["action"] == "compute"]  # fmt: skip
        compute += sum(stop - start for start, stop in spans)
        transfer += sum(part["stop"] - part["start"] for part in record["startstops"]
                        if part["action"] != "compute")  # fmt: skip
        by_worker.setdefault(record["worker"], []).extend(spans)
    for spans in by_worker.values():
        spans.sort()
        before_first += spans[0][0] - analysis_start
        between += sum(later[0] - earlier[1] for earlier, later in itertools.pairwise(spans))
        tail += analysis_end - spans[-1][1]
    idle_workers = workers - len(by_worker)  # a worker that got no batch waited throughout
    before_first += idle_workers * (analysis_end - analysis_start)
    starts = [start for spans in by_worker.values() for start, _ in spans]
    stops = [stop for spans in by_worker.values() for _, stop in spans]
    return ClusterRun(
        compute=compute, transfer=transfer, before_first=before_first, between=between,
        tail=tail, connect=scan_start - build_start,
        first_task=min(starts) - analysis_start if starts else 0.0,
        coordinator_tail=analysis_end - max(stops) if stops else 0.0, tasks=len(records),
    )  # fmt: skip


def _print_speeds(runs: list[Run], count: int, repeat: int) -> None:
    one_core = count / runs[0].seconds
    fastest = f", the fastest of {repeat} builds" if repeat > 1 else ""
    print(f"\nanalysis (quality + faces) of {count} photos, each configuration warm{fastest}:\n")
    print(f"{'configuration':24} {'seconds':>8} {'photos/s':>9} {'speed-up':>9} "
          f"{'efficiency (>= 0.9)':>20} {'cores: ours':>12} {'others':>7}")  # fmt: skip
    for run in runs:
        rate = count / run.seconds
        line = f"{run.name:24} {run.seconds:8.1f} {rate:9.2f} {rate / one_core:8.2f}x"
        if run.cluster is not None:
            efficiency = rate / (run.workers * one_core)
            verdict = "ok" if efficiency >= TARGET else "below"
            line += f" {efficiency:14.2f} {verdict:>5}"
        else:
            line += " " * 21
        print(f"{line} {run.cpu.ours:12.2f} {run.cpu.others:7.2f}")
    print(f"\n  cores: the machine's {os.cpu_count()} cores' busy time over the analysis, "
          "this benchmark's processes'\n  and everything else's (another job on a shared "
          "machine, the hypervisor's steal).")  # fmt: skip
    if noisy := [run.name for run in runs if run.cpu.others > NOISY]:
        print(f"  NOISY: other processes took more than {NOISY} of a core during "
              f"{', '.join(noisy)}: rerun on a quiet machine.")  # fmt: skip


def _print_overheads(runs: list[Run], count: int) -> None:
    one_core_ms = 1000 * runs[0].seconds / count
    print(f"\ncluster overhead per photo (ms; one core takes {one_core_ms:.0f} ms a photo):\n")
    print(f"{'configuration':20} {'compute':>8} {'overhead':>9} {'transfer':>9} "
          f"{'idle:':>6} {'first':>6} {'between':>8} {'tail':>6}")  # fmt: skip
    for run in runs:
        if (seen := run.cluster) is None:
            continue
        capacity = run.seconds * run.workers
        overhead = capacity - seen.compute
        idle = overhead - seen.transfer

        def ms(seconds: float) -> str:
            return f"{1000 * seconds / count:.0f}"

        print(f"{run.name:20} {ms(seen.compute):>8} {ms(overhead):>9} {ms(seen.transfer):>9} "
              f"{ms(idle):>6} {ms(seen.before_first):>6} {ms(seen.between):>8} "
              f"{ms(seen.tail):>6}")  # fmt: skip
    print("\n  compute: the analysis tasks' own seconds; overhead: analysis seconds x workers "
          "less compute;\n  transfer: Dask's transfers and disk reads (this Dask records no "
          "deserializing step:\n  a task's arguments are unpickled as its message arrives, "
          "in idle); idle = overhead -\n  transfer: before a worker's first batch, between "
          "its batches, after its last one.")  # fmt: skip
    one_core = runs[0]
    one_core_cpu = 1000 * one_core.cpu.ours * one_core.seconds / count
    print(f"\ncompute per photo against one core's (what efficiency loses besides the "
          f"overhead; one core\nspends {one_core_cpu:.0f} ms of CPU a photo):\n\n"
          f"{'configuration':20} {'compute/one core':>17} {'CPU ms':>7} {'waiting ms':>11} "
          f"{'busy':>6}")  # fmt: skip
    for run in runs:
        if (seen := run.cluster) is not None:
            ratio = seen.compute / one_core.seconds
            busy = seen.compute / (run.seconds * run.workers)
            print(f"{run.name:20} {ratio:16.2f}x {1000 * seen.task_cpu / count:7.0f} "
                  f"{1000 * seen.task_waiting / count:11.0f} {busy:6.0%}")  # fmt: skip
    print("\n  compute/one core: the tasks' seconds against one core's analysis; CPU: the "
          "tasks' threads'\n  CPU time (more than one core's: each core is slower with "
          "both at work); waiting: the\n  tasks' seconds off a CPU (another process had "
          "the core); busy: compute over analysis\n  seconds x workers, the efficiency "
          "Dask's overhead alone would leave.")  # fmt: skip
    print(f"\ncoordinator (s):\n\n{'configuration':20} {'connect+check':>14} "
          f"{'first batch':>12} {'after last':>11} {'tasks':>6}")  # fmt: skip
    for run in runs:
        if (seen := run.cluster) is not None:
            print(f"{run.name:20} {seen.connect:14.2f} {seen.first_task:12.3f} "
                  f"{seen.coordinator_tail:11.3f} {seen.tasks:6}")  # fmt: skip
    print("\n  connect+check: build start to the scan's start (not in the analysis seconds);"
          "\n  first batch: the scan's end to the first task's start; after last: the last"
          "\n  task's end to the analysis's end (last results stored, faces grouped).")  # fmt: skip


@dataclass
class _Stages:
    times: dict[str, float]
    """When each stage ended, in `time.time()` as Dask stamps its tasks."""
    cpu_at: dict[str, tuple[float, float]]
    """(the machine's busy CPU seconds, ours) when the scan and the faces stage ended."""

    def cpu(self, seconds: float) -> Cpu:
        """The cores busy over the analysis (`seconds` long)."""
        (busy_then, ours_then), (busy, ours) = self.cpu_at["scan"], self.cpu_at["faces"]
        return Cpu((busy - busy_then) / seconds, (ours - ours_then) / seconds)


@contextmanager
def _stage_ends() -> Iterator[_Stages]:
    """When each stage of a build ends, and the CPU used over the analysis (read outside
    the stages' clock: the analysis's seconds do not include it)."""
    stages = _Stages({}, {})
    lap = pipeline._StageClock.lap

    def noted(clock: Any, stage: str) -> None:
        stages.times[stage] = time.time()
        if stage == "scan":
            stages.cpu_at[stage] = _cpu_seconds()
        lap(clock, stage)
        if stage == "faces":
            stages.cpu_at[stage] = _cpu_seconds()

    with mock.patch.object(pipeline._StageClock, "lap", noted):
        yield stages


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds so far: the machine's busy ones (all but idle and I/O wait, steal
    included), and those of this process and its descendants (the reaped ones in their
    parents' children's times: a pool's workers in the fork server's)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9])  # fmt: skip
    busy = (user + nice + system + irq + softirq + steal) / tick
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    ours, mine = 0, {os.getpid()}
    for pid in sorted(times):
        line, seen = pid, set()
        while line not in mine and line in parents and line not in seen:
            seen.add(line)
            line = parents[line]
        if line in mine:
            mine.add(pid)
            ours += times[pid]
    return busy, ours / tick


def _settings(folder: Path, workers: int, cluster: str | None = None) -> Settings:
    return Settings(library=folder, video=False, workers=workers, cluster=cluster)


def _linked(paths: Sequence[Path], folder: Path) -> Path:
    folder.mkdir()
    for number, path in enumerate(paths):
        os.link(path, folder / f"{number:04d}-{path.name}")
    return folder


def _quiet_dask() -> None:
    """Dask's log lines (a worker starting, a slow event loop) would break up the table."""
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.ERROR)


if __name__ == "__main__":
    main()
