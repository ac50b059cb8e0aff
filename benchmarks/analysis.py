"""A first build's analysis of new photos (scan, quality, faces) against the same pipeline
with naive choices: a full-size decode for each analysis, one process.

    python benchmarks/analysis.py [--library 300] [--photos 16] [--workers N]

Takes --photos photos spread over the library of benchmarks/library.py (12 MP JPEGs, faces
on three in four), then, in one run:
  - ours: `memories build` up to planning (render off), as a first build runs it, with
    --workers processes; the stage times are the build's own; faces as this machine finds
    them (`face_device = "auto"`: torch and MTCNN when installed) and with dlib alone;
  - naive: one process reading each file's metadata the same way, then for each photo a
    full-size decode to measure quality (reduced to the same 256-pixel preview afterwards)
    and another full-size decode to find faces with face_recognition's defaults (HOG with
    one upsampling, landmarks and an encoding per face).
Prints photos per second for each stage and the speed-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faces_speed import naive_faces
from library import make_library

from memories import pipeline
from memories.analyze.faces import _models, pick_engine
from memories.analyze.quality import PREVIEW_EDGE, measure_preview
from memories.catalog import Catalog
from memories.config import Settings
from memories.library import LibraryFolder
from memories.model import FileEntry, Photo, PhotoKind, Quality
from memories.scan.metadata import read_media


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=int, default=300)
    parser.add_argument("--photos", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    library = make_library(args.library, workers=args.workers)
    jpegs = sorted(library.rglob("*.jpg"))
    sample = jpegs[:: max(1, len(jpegs) // args.photos)][: args.photos]
    print(f"{len(sample)} photos of {len(jpegs)}; workers {args.workers}, "
          f"cores {os.cpu_count()}\n")  # fmt: skip
    _models()  # loaded before timing in both, as a long-running worker has them

    with tempfile.TemporaryDirectory() as scratch:
        photos_dir = Path(scratch) / "photos"
        photos_dir.mkdir()
        for number, path in enumerate(sample):
            os.link(path, photos_dir / f"{number:04d}-{path.name}")
        builds, found = {}, {}
        for device in ("auto", "dlib"):
            settings = Settings(library=Path(scratch) / f"Memories-{device}", video=False,
                                workers=args.workers, face_device=device)  # fmt: skip
            report = pipeline.build([photos_dir], settings, today=date(2025, 12, 31),
                                    render=False)  # fmt: skip
            builds[device] = {stage: report.seconds[stage] for stage in ("scan", "quality",
                                                                          "faces")}  # fmt: skip
            found[device] = _face_count(settings)
        naive, found["naive"] = naive_pipeline(sorted(photos_dir.iterdir()))

    count = len(sample)
    ours, dlib_only = builds["auto"], builds["dlib"]
    print(f"faces by {pick_engine().describe()}\n")
    print(f"{'stage':8} {'ours photos/s':>14} {'dlib alone':>11} {'naive photos/s':>15} "
          f"{'vs dlib':>8} {'vs naive':>9}")  # fmt: skip
    rows = [(stage, ours[stage], dlib_only[stage], naive[stage]) for stage in ours]
    rows.append(("all", sum(ours.values()), sum(dlib_only.values()), sum(naive.values())))
    for stage, mine, dlib_seconds, naive_seconds in rows:
        print(f"{stage:8} {count / mine:14.2f} {count / dlib_seconds:11.2f} "
              f"{count / naive_seconds:15.2f} {dlib_seconds / mine:7.1f}x "
              f"{naive_seconds / mine:8.1f}x")  # fmt: skip
    print(f"\nfaces found: ours {found['auto']}, dlib alone {found['dlib']}, "
          f"naive {found['naive']}")


def naive_pipeline(paths: list[Path]) -> tuple[dict[str, float], int]:
    """The same analyses, one process, a full-size decode for each."""
    seconds = {"scan": 0.0, "quality": 0.0, "faces": 0.0}
    faces = 0
    for path in paths:
        started = time.perf_counter()
        stat = path.stat()
        photo = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
        scanned = time.perf_counter()
        assert isinstance(photo, Photo) and photo.kind is PhotoKind.PHOTO
        naive_quality(photo)
        measured = time.perf_counter()
        faces += len(naive_faces(photo))
        seconds["scan"] += scanned - started
        seconds["quality"] += measured - scanned
        seconds["faces"] += time.perf_counter() - measured
    return seconds, faces


def naive_quality(photo: Photo) -> Quality:
    """Our measurements, from a full-size decode reduced to the preview afterwards."""
    grey = Image.open(photo.path).convert("L")
    grey.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE))
    return measure_preview(grey)

def _face_count(settings: Settings) -> int:
    with Catalog.open(LibraryFolder(settings.library).catalog_path) as catalog:
        return catalog.face_count()

if __name__ == "__main__":
    main()
