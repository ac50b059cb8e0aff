"""A whole `memories build` at scale: time per stage and peak memory, then the nightly re-run
with nothing changed, then a run after 1% new photos.

    python benchmarks/build.py [--photos 2000] [--workers N] [--no-video] [--profile]

Uses the library of benchmarks/library.py (generated once, cached). The first build sees
99% of it; the third adds the last 1%. Each build runs in a child process, which reports
its stages' wall times (from the build's own report) and the peak resident memory of the
main process and of its largest child (an analysis worker, or the ffmpeg encoder).
`--profile` writes a cProfile of the first build's main process to
benchmarks/.cache/build.prof.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library import CACHE, PEAK, make_library

CHILD = PEAK + """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from memories import pipeline
from memories.config import Settings

photos, library, workers, video, profile = sys.argv[1:6]
settings = Settings(library=Path(library), workers=int(workers), video=video == "1")
started = time.perf_counter()
def build():
    return pipeline.build([Path(photos)], settings, today=date(2025, 12, 31))
if profile != "-":
    import cProfile
    with cProfile.Profile() as profiler:
        report = build()
    profiler.dump_stats(profile)
else:
    report = build()
wall = time.perf_counter() - started
peak = lambda who: resource.getrusage(who).ru_maxrss / 1024
print(json.dumps({
    "wall": wall, "stages": report.seconds, "photos": len(report.photos),
    "new": report.scan.new, "memories": len(report.plan.memories) if report.plan else 0,
    "rss_main_mb": peak_mb(), "rss_worker_mb": peak(resource.RUSAGE_CHILDREN),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-video", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    library = make_library(args.photos, workers=args.workers)
    files = sorted(path for path in library.rglob("*") if path.is_file())
    first = files[: len(files) * 99 // 100]
    print(f"{len(files)} files; workers {args.workers}, cores {os.cpu_count()}\n")
    with tempfile.TemporaryDirectory() as scratch:
        photos, output = Path(scratch) / "photos", Path(scratch) / "Memories"
        link(first, library, photos)
        profile = str(CACHE / "build.prof") if args.profile else "-"
        runs = [("first build (99%)", build(photos, output, args, profile))]
        runs.append(("re-run, nothing changed", build(photos, output, args)))
        link(files[len(first) :], library, photos)
        runs.append((f"after {len(files) - len(first)} new photos (1%)",
                     build(photos, output, args)))  # fmt: skip
    report(runs)


def link(files: list[Path], library: Path, photos: Path) -> None:
    """Hard links: the build sees the files in a folder of its own, at no disk cost."""
    for path in files:
        target = photos / path.relative_to(library)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)


def build(photos: Path, output: Path, args: argparse.Namespace, profile: str = "-") -> dict:
    video = "0" if args.no_video else "1"
    command = [sys.executable, "-c", CHILD, str(photos), str(output), str(args.workers),
               video, profile]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        sys.exit(f"the build failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(runs: list[tuple[str, dict]]) -> None:
    stages = ["scan", "quality", "faces", "plan", "render"]
    print(f"{'run':30} {'wall s':>8} " + " ".join(f"{s:>8}" for s in stages)
          + f" {'main MB':>8} {'child MB':>9}")  # fmt: skip
    for name, run in runs:
        times = " ".join(f"{run['stages'].get(stage, 0):8.1f}" for stage in stages)
        print(f"{name:30} {run['wall']:8.1f} {times} {run['rss_main_mb']:8.0f} "
              f"{run['rss_worker_mb']:9.0f}")  # fmt: skip
    first = runs[0][1]
    photos = first["photos"]
    print(f"\nfirst build: {photos} photos, {first['memories']} memories")
    for stage in stages:
        seconds = first["stages"].get(stage, 0)
        if seconds:
            print(f"  {stage:8} {seconds:7.1f} s  {photos / seconds:8.1f} photos/s")
    added = runs[2][1]
    print(f"1% new photos cost {added['wall'] / first['wall']:.1%} of the first build's time")


if __name__ == "__main__":
    main()
