"""The nightly re-run at a lifetime's scale: `memories build` on an unchanged library of
100,000 distinct photos, against the floor of listing and stat-ing its files.

    python benchmarks/rerun.py [--files 10000 100000] [--workers N]

For each size, generates (once, cached in benchmarks/.cache/small-N) a library with the
dates, places and folders of benchmarks/library.py, but in small JPEGs (so that 100,000
fit in a few hundred MB and a first build takes minutes). A first build (faces and videos
off: the re-run's cost is in the catalog and planning, which see every photo) fills the
library; then, each in a child process that reports its peak resident memory:
  - the re-run, nothing changed, with its stage times;
  - the floor: one process walking the folders and stat-ing every file, which any re-run
    must at least do to notice a change.
Comparing sizes shows how time and memory grow with the library.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library import CACHE, PEAK, Shot, exif_of, plan_library

SMALL_SIZE = (160, 120)

CHILD = PEAK + """
import json, sys, time
from datetime import date
from pathlib import Path
from memories import pipeline
from memories.config import Settings

photos, library, workers = sys.argv[1:4]
settings = Settings(library=Path(library), workers=int(workers), video=False, faces=False)
started = time.perf_counter()
report = pipeline.build([Path(photos)], settings, today=date(2025, 12, 31))
print(json.dumps({
    "wall": time.perf_counter() - started, "stages": report.seconds,
    "photos": len(report.photos), "read": report.scan.new + report.scan.changed,
    "memories": len(report.plan.memories) if report.plan else 0,
    "rss_mb": peak_mb(),
}))
"""

FLOOR = PEAK + """
import json, os, sys, time
started = time.perf_counter()
files, pending = 0, [sys.argv[1]]
while pending:
    with os.scandir(pending.pop()) as listing:
        for entry in listing:
            if entry.is_dir():
                pending.append(entry.path)
            else:
                entry.stat()
                files += 1
print(json.dumps({"wall": time.perf_counter() - started, "files": files,
                  "rss_mb": peak_mb()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"workers {args.workers}, cores {os.cpu_count()}\n")
    rows = []
    for count in args.files:
        photos = make_small_library(count, workers=args.workers)
        with tempfile.TemporaryDirectory() as scratch:
            output = Path(scratch) / "Memories"
            first = child(CHILD, photos, output, args.workers)
            print(f"{count} files: first build {first['wall']:.0f} s, "
                  f"{first['memories']} memories", flush=True)  # fmt: skip
            rerun = child(CHILD, photos, output, args.workers)
            floor = child(FLOOR, photos)
        assert rerun["read"] == 0, "the re-run read files again"
        rows.append((count, first, rerun, floor))
    report(rows)


def make_small_library(count: int, *, workers: int) -> Path:
    """`count` distinct small JPEGs with EXIF dates and GPS (made where missing)."""
    folder = CACHE / f"small-{count}"
    shots = [
        shot for shot in plan_library(count, folder)
        if not shot.path.with_suffix(".jpg").exists()
    ]  # fmt: skip
    if shots:
        started = time.perf_counter()
        print(f"generating {len(shots)} small JPEGs in {folder} (once) ...", flush=True)
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(make_small_file, shots, chunksize=256))
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def make_small_file(shot: Shot) -> None:
    """A small picture of its own (a colour field and grain from its seed), always a JPEG."""
    path = shot.path.with_suffix(".jpg")
    rng = np.random.default_rng(shot.seed)
    width, height = SMALL_SIZE
    small = rng.integers(30, 220, size=(3, 4, 3), dtype=np.uint8)
    grain = rng.integers(0, 25, size=(height, width, 1), dtype=np.uint8)
    field = np.asarray(Image.fromarray(small).resize(SMALL_SIZE, Image.Resampling.BILINEAR))
    encoded = io.BytesIO()
    Image.fromarray(field + grain).save(encoded, "JPEG", quality=85, exif=exif_of(shot))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(encoded.getvalue())
    partial.replace(path)
    taken = shot.taken_at.timestamp()
    os.utime(path, (taken, taken))


def child(program: str, *arguments: object) -> dict:
    done = subprocess.run([sys.executable, "-c", program, *map(str, arguments)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode not in (0, 1):
        sys.exit(f"the run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(rows: list[tuple[int, dict, dict, dict]]) -> None:
    stages = ["scan", "quality", "faces", "plan", "render"]
    print(f"\n{'files':>8} {'re-run s':>9} " + " ".join(f"{s:>7}" for s in stages)
          + f" {'floor s':>8} {'ratio':>6} {'RSS MB':>7} {'floor MB':>9}")  # fmt: skip
    for count, _, rerun, floor in rows:
        times = " ".join(f"{rerun['stages'].get(stage, 0):7.2f}" for stage in stages)
        print(f"{count:8} {rerun['wall']:9.2f} {times} {floor['wall']:8.2f} "
              f"{rerun['wall'] / floor['wall']:5.1f}x {rerun['rss_mb']:7.0f} "
              f"{floor['rss_mb']:9.0f}")  # fmt: skip
    print("\nfirst builds (faces and videos off):")
    for count, first, _, _ in rows:
        print(f"  {count:8} files: {first['wall']:7.1f} s, peak {first['rss_mb']:.0f} MB, "
              f"stages " + ", ".join(f"{k} {v:.1f}" for k, v in first["stages"].items()))
    if len(rows) > 1:
        (small, _, a, _), (large, _, b, _) = rows[0], rows[-1]
        grew = (b["rss_mb"] - a["rss_mb"]) * 1e6 / (large - small)
        print(f"\nre-run memory grows {grew / 1e3:.1f} kB per photo "
              f"({a['rss_mb']:.0f} MB at {small}, {b['rss_mb']:.0f} MB at {large})")


if __name__ == "__main__":
    main()
