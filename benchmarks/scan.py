"""Scan speed: `memories scan` against a plain Pillow loop, on phone-sized JPEGs with EXIF.

    python benchmarks/scan.py [--photos 2000] [--warm-photos 10000] [--workers N]

Generates (once, cached under benchmarks/.cache/) a library of 12 MP JPEGs of several MB each,
with distinct EXIF dates and GPS, then measures in one run:
  - ours, cold: a first scan into an empty catalog;
  - ours, warm: a re-scan of the same unchanged folder, and of a --warm-photos library
    (hard links to the same files in several folders, so it costs no extra disk);
  - baseline: one process opening every file with Pillow and reading EXIF (date, GPS), and
    the same plus a SHA-256 of every file, which a naive scanner needs to recognise moves.
Page cache: when this process may drop the kernel's caches it does so before each cold
measurement; otherwise every file is read once beforehand so all runs start equally warm.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memories import pipeline
from memories.config import Settings, default_workers

CACHE = Path(__file__).resolve().parent / ".cache"
PHONE_SIZE = (4032, 3024)
BASE_IMAGES = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--warm-photos", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()

    photos = make_phone_library(CACHE / f"scan-{args.photos}", args.photos)
    size_mb = sum(p.stat().st_size for p in photos) / 1e6
    print(
        f"library: {len(photos)} JPEGs, {size_mb / len(photos):.1f} MB each, {size_mb / 1e3:.1f} GB"
    )
    can_drop = drop_page_cache()
    print(f"page cache: {'dropped before each cold run' if can_drop else 'warm for every run'}")
    print(f"workers: {args.workers}, cores: {os.cpu_count()}\n")

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(library=Path(scratch) / "library", workers=args.workers)
        prepare(photos, can_drop)
        cold = timed(lambda: pipeline.scan([photos[0].parent], settings))
        warm = timed(lambda: pipeline.scan([photos[0].parent], settings))
        prepare(photos, can_drop)
        naive = timed(lambda: naive_scan(photos, hash_files=False))
        prepare(photos, can_drop)
        naive_hash = timed(lambda: naive_scan(photos, hash_files=True))

        farm = hard_link_farm(photos, Path(scratch) / "farm", args.warm_photos)
        farm_settings = Settings(library=Path(scratch) / "farm-library", workers=args.workers)
        farm_cold = timed(lambda: pipeline.scan([farm], farm_settings))
        farm_warm = timed(lambda: pipeline.scan([farm], farm_settings))
        cli = [
            sys.executable,
            "-m",
            "memories",
            "scan",
            str(farm),
            "-l",
            str(farm_settings.library),
        ]
        cli_warm = statistics.median(
            timed(lambda: subprocess.run([*cli, "--quiet"], check=True)) for _ in range(3)
        )

    n, m = len(photos), args.warm_photos
    rows = [
        ("ours, cold scan", n, cold),
        ("baseline: Pillow open + EXIF, 1 process", n, naive),
        ("baseline + SHA-256 of each file", n, naive_hash),
        ("ours, warm re-scan (unchanged)", n, warm),
        (f"ours, cold scan of {m:,} (hard links)", m, farm_cold),
        (f"ours, warm re-scan of {m:,} (in-process)", m, farm_warm),
        (f"ours, warm re-scan of {m:,} (CLI, median of 3)", m, cli_warm),
    ]
    for label, count, seconds in rows:
        print(f"{label:<48} {seconds:7.2f} s {count / seconds:10,.0f} photos/s")
    print()
    print(f"cold scan vs Pillow baseline:          {naive / cold:5.1f}x faster")
    print(f"cold scan vs Pillow + SHA-256 baseline: {naive_hash / cold:5.1f}x faster")
    print(f"target cold >= 1,000 photos/s:          {'met' if n / cold >= 1000 else 'NOT met'}")
    print(
        f"target warm {m:,} < 1 s:               {'met' if farm_warm < 1 else 'NOT met'}"
        f" ({farm_warm:.2f} s in-process, {cli_warm:.2f} s through the CLI)"
    )


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def naive_scan(photos: list[Path], *, hash_files: bool) -> None:
    """What a first attempt does: open each file with Pillow, read its EXIF, maybe hash it."""
    for path in sorted(photos):
        with Image.open(path) as image:
            exif = image.getexif()
            exif.get_ifd(0x8769).get(0x9003)
            exif.get_ifd(0x8825).get(2)
            image.size  # noqa: B018
        if hash_files:
            hashlib.sha256(path.read_bytes()).hexdigest()


def make_phone_library(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"IMG_{number:05d}.jpg" for number in range(count)]
    missing = [path for path in paths if not path.exists()]
    if missing:
        print(f"generating {len(missing)} phone-sized JPEGs in {folder} (once) ...", flush=True)
        bases = [phone_jpeg(seed) for seed in range(BASE_IMAGES)]
        start = datetime(2015, 1, 1, 9, 0, 0)
        for path in missing:
            number = int(path.stem.split("_")[1])
            taken_at = start + timedelta(hours=7 * number, seconds=number)
            gps = (45.0 + (number % 97) / 100, 4.0 + (number % 89) / 100)
            path.write_bytes(with_exif(bases[number % BASE_IMAGES], taken_at, gps))
    return paths


def phone_jpeg(seed: int) -> bytes:
    """A 12 MP picture with texture, encoded like a phone does (a few MB)."""
    rng = np.random.default_rng(seed)
    height, width = PHONE_SIZE[1], PHONE_SIZE[0]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 200, y / height * 180, (x + y) / (width + height) * 220], axis=-1)
    texture = rng.normal(0, 9, (height, width, 3)).astype(np.float32)
    pixels = np.clip(base + texture + 20 * np.sin(x / 37 + seed)[..., None], 0, 255).astype(
        np.uint8
    )
    path = Path(tempfile.mkstemp(suffix=".jpg")[1])
    try:
        Image.fromarray(pixels).save(path, quality=92)
        return path.read_bytes()
    finally:
        path.unlink()


def with_exif(jpeg: bytes, taken_at: datetime, gps: tuple[float, float]) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Google", "Pixel 8", 1
    exif.get_ifd(0x8769)[0x9003] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[0x9011] = "+02:00"
    gps_ifd = exif.get_ifd(0x8825)
    gps_ifd[1], gps_ifd[2] = "N", (gps[0], 0.0, 0.0)
    gps_ifd[3], gps_ifd[4] = "E", (gps[1], 0.0, 0.0)
    payload = exif.tobytes()
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def hard_link_farm(photos: list[Path], farm: Path, count: int) -> Path:
    for number in range(count):
        folder = farm / f"copy-{number // len(photos)}"
        folder.mkdir(parents=True, exist_ok=True)
        os.link(photos[number % len(photos)], folder / photos[number % len(photos)].name)
    return farm


def drop_page_cache() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def prepare(photos: list[Path], can_drop: bool) -> None:
    if can_drop:
        drop_page_cache()
    else:
        with open(os.devnull, "wb") as sink:
            for path in photos:
                with open(path, "rb") as file:
                    shutil.copyfileobj(file, sink, 1 << 20)


if __name__ == "__main__":
    main()
