"""A realistic photo library for the scale benchmarks, generated once and cached on disk.

    python benchmarks/library.py [--photos 2000]

Phone-sized (12 MP) JPEGs in DCIM/YEAR/MONTH folders, taken in events of a few to forty
photos (a morning out, a party, a trip abroad; a few a month up to 2,000 photos, several a
day over six years at 100,000), with EXIF dates and offsets, GPS on most (home, outings,
trips far away), bursts of near-identical shots, faces on about three photos in four
(portraits, couples, groups, distant groups of the package portraits: Grace Hopper from
matplotlib, the astronaut from scikit-image), and a few HEIC photos and short videos. The
same count always gives the same library; files already there are kept.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faces_speed import SHOTS, make_shot

CACHE = Path(__file__).resolve().parent / ".cache"
PEAK = """
def peak_mb():
    # This process's own peak resident memory: ru_maxrss would count the parent's too,
    # from before exec.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
"""
"""Code for a benchmark's child process (`python -c`), giving it `peak_mb()`."""
HOME = (45.764, 4.8357)  # Lyon
OUTINGS = [(45.899, 6.129), (45.188, 5.724), (46.204, 6.143)]  # Annecy, Grenoble, Geneva
TRIPS = [(35.011, 135.768), (41.390, 2.154), (40.713, -74.006), (-33.857, 151.215)]
HEIC_SHARE, VIDEO_SHARE, BURST_SHARE, NO_GPS_SHARE = 0.01, 0.005, 0.05, 0.12


@dataclass(frozen=True)
class Shot:
    """One file to make: where it goes, when and where it was taken, what it shows."""

    path: Path
    taken_at: datetime
    gps: tuple[float, float] | None
    kind: str
    """A kind of shot of `faces_speed.SHOTS` ("no one", "portrait", "group"...)."""
    seed: int
    burst_of: int | None = None
    """The seed of the first shot of its burst: the same scene, moved a little."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    folder = make_library(args.photos, workers=args.workers)
    files = [path for path in folder.rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    print(f"{folder}: {len(files)} files, {size / 1e9:.1f} GB")


def make_library(count: int, *, workers: int = 2) -> Path:
    """The library of `count` files (made where missing); returns its folder."""
    folder = CACHE / f"library-{count}"
    for partial in folder.rglob("*.partial*"):  # left by a generation that was stopped
        partial.unlink()
    shots = [shot for shot in plan_library(count, folder) if not shot.path.exists()]
    if shots:
        started = time.perf_counter()
        print(f"generating {len(shots)} files in {folder} (once) ...", flush=True)
        with ProcessPoolExecutor(workers) as pool:
            for done, _ in enumerate(pool.map(make_file, shots, chunksize=4), start=1):
                if done % 100 == 0:
                    print(f"  {done}/{len(shots)}", flush=True)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def plan_library(count: int, folder: Path) -> list[Shot]:
    """Every shot of the library, the same for the same count."""
    rng = random.Random(count)
    kinds = [kind for kind, share, *_ in SHOTS for _ in range(round(share * 100))]
    shots: list[Shot] = []
    day = datetime(2015, 3, 1, 9, 0)
    spread = min(1.0, 2000 / count)  # a larger library has more events in the same years
    while len(shots) < count:
        day += timedelta(days=rng.choice([1, 2, 3, 5, 8, 13]) * spread)
        trip = rng.random() < 0.06
        days = rng.randint(3, 9) if trip else 1
        place = rng.choice(TRIPS) if trip else rng.choice([HOME, HOME, HOME, *OUTINGS])
        for offset in range(days):
            moment = day + timedelta(days=offset, hours=rng.uniform(0, 4))
            for _ in range(rng.randint(3, 40 if trip else 25)):
                if len(shots) >= count:
                    break
                moment += timedelta(minutes=rng.expovariate(1 / 9))
                gps = None if rng.random() < NO_GPS_SHARE else _near(place, rng)
                seed = len(shots)
                kind = rng.choice(kinds)
                shots.append(_shot(folder, moment, gps, kind, seed, rng))
                if rng.random() < BURST_SHARE / 5:
                    for step in range(1, 6):
                        if len(shots) < count:
                            when = moment + timedelta(seconds=step)
                            shots.append(_shot(folder, when, gps, kind, len(shots), rng, seed))
        day += timedelta(days=days if trip else spread)
    return shots


def make_file(shot: Shot) -> None:
    """Write one shot's file (under a temporary name, then renamed: a killed run leaves
    nothing that looks finished)."""
    shot.path.parent.mkdir(parents=True, exist_ok=True)
    partial = shot.path.with_name(shot.path.name + ".partial" + shot.path.suffix)
    if shot.path.suffix == ".mp4":
        _write_video(shot, partial)
    else:
        image = _picture(shot)
        exif = exif_of(shot)
        if shot.path.suffix == ".heic":
            from pillow_heif import register_heif_opener

            register_heif_opener()
            image.save(partial, "HEIF", quality=80, exif=exif)
        else:
            image.save(partial, "JPEG", quality=90, exif=exif)
    partial.replace(shot.path)
    taken = shot.taken_at.timestamp()
    os.utime(shot.path, (taken, taken))


def _shot(
    folder: Path,
    moment: datetime,
    gps: tuple[float, float] | None,
    kind: str,
    seed: int,
    rng: random.Random,
    burst_of: int | None = None,
) -> Shot:
    draw = rng.random()
    suffix = ".jpg"
    if draw < VIDEO_SHARE + HEIC_SHARE:
        suffix = ".mp4" if draw < VIDEO_SHARE else ".heic"
    name = f"{'VID' if suffix == '.mp4' else 'IMG'}_{moment:%Y%m%d_%H%M%S}_{seed:06d}{suffix}"
    path = folder / "DCIM" / f"{moment:%Y}" / f"{moment:%m}" / name
    return Shot(path, moment, gps, kind, seed, burst_of)


def _near(place: tuple[float, float], rng: random.Random) -> tuple[float, float]:
    return (place[0] + rng.gauss(0, 0.01), place[1] + rng.gauss(0, 0.01))


def _picture(shot: Shot) -> Image.Image:
    scene_seed = shot.burst_of if shot.burst_of is not None else shot.seed
    image = make_shot(shot.kind, _face_sources(), np.random.default_rng(scene_seed))
    if shot.burst_of is not None:  # the hand moved a little between shots
        shift = (shot.seed - shot.burst_of) * 6
        image = image.transform(image.size, Image.Transform.AFFINE, (1, 0, shift, 0, 1, shift))
    return image


_SOURCES: list[tuple[Image.Image, float]] = []


def _face_sources() -> list[tuple[Image.Image, float]]:
    """The package portraits, each with the share of its width that the face takes."""
    if not _SOURCES:
        import matplotlib.cbook
        import skimage.data

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
            grace = Image.open(file).convert("RGB")
        astronaut = Image.fromarray(skimage.data.astronaut()).crop((60, 0, 360, 300))
        _SOURCES.extend([(grace, 0.365), (astronaut, 0.3)])  # as dlib's detector measures
    return _SOURCES


def exif_of(shot: Shot) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Google", "Pixel 8", 1
    exif.get_ifd(0x8769)[0x9003] = shot.taken_at.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[0x9011] = "+02:00"
    if shot.gps is not None:
        gps = exif.get_ifd(0x8825)
        latitude, longitude = shot.gps
        gps[1], gps[2] = "N" if latitude >= 0 else "S", (abs(latitude), 0.0, 0.0)
        gps[3], gps[4] = "E" if longitude >= 0 else "W", (abs(longitude), 0.0, 0.0)
    return exif.tobytes()


def _write_video(shot: Shot, path: Path) -> None:
    """Three seconds of 640x360, with the creation time and place phones write."""
    params = ["-metadata", f"creation_time={shot.taken_at.isoformat()}Z"]
    if shot.gps is not None:
        params += ["-metadata", f"location={shot.gps[0]:+08.4f}{shot.gps[1]:+09.4f}/",
                   "-movflags", "+use_metadata_tags"]  # fmt: skip
    writer = imageio_ffmpeg.write_frames(str(path), (640, 360), fps=15, output_params=params,
                                         macro_block_size=1)  # fmt: skip
    writer.send(None)
    for frame in _frames(shot.seed, 45):
        writer.send(frame.tobytes())
    writer.close()


def _frames(seed: int, count: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.integers(30, 220, size=(360, 640, 3), dtype=np.uint8)
    for number in range(count):
        yield np.roll(base, number * 4, axis=1)


if __name__ == "__main__":
    main()
