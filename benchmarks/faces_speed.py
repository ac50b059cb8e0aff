"""Face stage speed: ours against dlib's plan and the naive face_recognition pipeline, on
phone-sized photos.

    python benchmarks/faces_speed.py [--photos 24] [--workers N] [--no-options] [--device D]

Generates (once, cached under benchmarks/.cache/) 12 MP JPEGs in the mix a phone roll has:
no one, a portrait, a couple, a group, a distant group. Faces come from ../shared/devdata/faces
and the two public-domain portraits, scaled to sizes typical of each kind of shot. Then, on
the same photos, in one run:
  - naive: full-size decode, HOG detector with one upsampling, 5-point landmarks and an
    encoding per face (face_recognition's defaults), one process;
  - dlib's plan: the face stage with dlib alone (`face_device = "dlib"`: HOG detection on a
    reduced decode, full-size encoding of small faces), with --workers processes and one;
  - ours: the face stage as `memories build` runs it on this machine (MTCNN and dlib's
    encoder through torch, on --device), with --workers processes and with one;
  - unless --no-options: each HOG detection size and upsampling considered, one process.
A face counts as found when a box overlaps the reference's by at least 40% (intersection
over union). For the faces ours and dlib's plan both find, the distance between the two
encodings is reported beside dlib's own noise: the same faces encoded from a copy of each
photo 10% smaller.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import functools

from memories.analyze.faces import (
    DetectionPlan,
    FaceEngine,
    _models,
    find_faces,
    find_faces_many,
    one_core_each,
    pick_engine,
)
from memories.config import default_workers
from memories.model import Face, FileEntry, Photo
from memories.parallel import map_in_batches
from memories.people import TORCH_WORKER_PRELOAD
from memories.scan.metadata import read_media

CACHE = Path(__file__).resolve().parent / ".cache"
DEVDATA_FACES = Path(__file__).resolve().parents[2] / "shared" / "devdata" / "faces"
PHONE_SIZE = (4032, 3024)
# (kind of shot, share of the roll, number of faces, face widths in pixels)
SHOTS = [
    ("no one", 0.25, (0, 0), (0, 0)),
    ("portrait", 0.25, (1, 1), (450, 1100)),
    ("couple", 0.2, (2, 2), (250, 500)),
    ("group", 0.2, (5, 9), (120, 260)),
    ("distant group", 0.1, (4, 7), (70, 120)),
]
OPTIONS = [(1024, 1), (1280, 1), (1600, 1), (2016, 1), (2016, 0), (4032, 0)]

Box = tuple[int, int, int, int]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--no-options", action="store_true")
    parser.add_argument("--device", default="auto", help="auto, cuda or cpu (torch's)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive pipeline")
    args = parser.parse_args()

    photos, kinds = make_roll(CACHE / f"faces-{args.photos}", args.photos)
    print(f"{len(photos)} photos of {PHONE_SIZE[0]}x{PHONE_SIZE[1]}: " + ", ".join(
        f"{kinds.count(kind)} {kind}" for kind, *_ in SHOTS))  # fmt: skip
    print(f"workers: {args.workers}, cores: {os.cpu_count()}\n")
    ours = pick_engine(args.device)
    # models loaded before timing, as a long-running worker has them
    _models()
    find_faces_many(photos[:1], engine=ours)

    if args.no_naive:
        naive_seconds, naive_boxes = float("nan"), [[] for _ in photos]
    else:
        naive_seconds, naive_boxes = timed(lambda: [naive_faces(photo) for photo in photos])
    if not args.no_naive:
        naive_count = sum(map(len, naive_boxes))
        print(f"naive: {len(photos) / naive_seconds:.2f} photos/s, {naive_count} faces")

    def run(engine: FaceEngine, workers: int, batch: int) -> list[list[Face]]:
        if workers == 1 and engine.device == "cpu":
            one_core_each()  # as each worker process runs
        find = functools.partial(find_faces_many, engine=engine)
        found = map_in_batches(find, photos, workers, batch_size=batch, parallel_from=2,
                               start_method="forkserver" if engine.device != "dlib" else None,
                               preload=TORCH_WORKER_PRELOAD)
        return [faces for _, faces in found]  # type: ignore[misc]

    dlib_plan = FaceEngine("hog", "dlib")
    print(f"ours: {ours.describe()}")
    results = {}
    for label, engine, batch in [("dlib's plan", dlib_plan, 2), ("ours", ours, 4)]:
        for workers in sorted({args.workers, 1}, reverse=True):
            seconds, faces = timed(lambda e=engine, w=workers, b=batch: run(e, w, b))
            results[label] = faces
            boxes = [[face.box for face in found] for found in faces]
            report(f"{label}, {workers} worker{'s' if workers > 1 else ''}", seconds,
                   naive_seconds, boxes, naive_boxes, photos, kinds)  # fmt: skip
    today = [[face.box for face in found] for found in results["dlib's plan"]]
    mine = [[face.box for face in found] for found in results["ours"]]
    found = sum(matched(m, t) for m, t in zip(mine, today, strict=True))
    total = sum(map(len, today))
    print(f"\nours finds {found}/{total} = {found / max(total, 1):.1%} of dlib's plan's faces; "
          f"{sum(map(len, mine)) - found} more")
    apart = encoding_distances(results["ours"], results["dlib's plan"])
    noise = encoding_distances(smaller_copies(photos, dlib_plan), results["dlib's plan"], 0.9)
    print(f"encodings, ours against dlib's plan: {spread(apart)}")
    print(f"encodings, dlib's plan against itself on copies 10% smaller: {spread(noise)}")
    if args.no_options:
        return
    print("\ndetection choices, one process (edge = long edge scanned, upsample):")
    for edge, upsample in OPTIONS:
        plan = DetectionPlan(edge=edge, upsample=upsample)
        seconds, boxes = timed(
            lambda plan=plan: [[face.box for face in find_faces(p, plan, dlib_plan)]
                               for p in photos]
        )
        report(f"  edge {edge}, upsample {upsample}", seconds, naive_seconds, boxes, naive_boxes,
               photos, kinds)  # fmt: skip


def report(
    label: str,
    seconds: float,
    naive_seconds: float,
    boxes: list[list[Box]],
    naive_boxes: list[list[Box]],
    photos: Sequence[Photo],
    kinds: list[str],
) -> None:
    if naive_seconds != naive_seconds:  # no naive run (--no-naive)
        print(f"{label}: {len(photos) / seconds:.2f} photos/s; {sum(map(len, boxes))} faces")
        return
    found = [matched(ours, theirs) for ours, theirs in zip(boxes, naive_boxes, strict=True)]
    total = sum(map(len, naive_boxes))
    per_kind = ", ".join(
        f"{kind} {sum(f for f, k in zip(found, kinds, strict=True) if k == kind)}/"
        f"{sum(len(b) for b, k in zip(naive_boxes, kinds, strict=True) if k == kind)}"
        for kind, *_ in SHOTS[1:]
    )
    print(
        f"{label}: {len(photos) / seconds:.2f} photos/s ({naive_seconds / seconds:.1f}x naive), "
        f"finds {sum(found)}/{total} = {sum(found) / max(total, 1):.1%} of naive's faces "
        f"({per_kind}); {sum(map(len, boxes))} faces in all"
    )


def encoding_distances(
    faces: list[list[Face]], reference: list[list[Face]], scale: float = 1.0
) -> np.ndarray:
    """For each reference face that `faces` found too (boxes scaled by `scale`), the
    distance between the two encodings."""
    distances = []
    for found, wanted in zip(faces, reference, strict=True):
        for face in wanted:
            box = tuple(round(value * scale) for value in face.box)
            best = max(found, key=lambda f: overlap(f.box, box), default=None)  # type: ignore[arg-type]
            if best is not None and overlap(best.box, box) >= 0.4:  # type: ignore[arg-type]
                distances.append(float(np.linalg.norm(best.encoding - face.encoding)))
    return np.array(distances)


def spread(distances: np.ndarray) -> str:
    if not len(distances):
        return "no faces in common"
    return (f"median {np.median(distances):.3f}, 90th percentile "
            f"{np.percentile(distances, 90):.3f}, max {distances.max():.3f} "
            f"({len(distances)} faces)")  # fmt: skip


def smaller_copies(photos: Sequence[Photo], engine: FaceEngine) -> list[list[Face]]:
    """The faces dlib's plan finds in a copy of each photo 10% smaller."""
    import tempfile

    found = []
    with tempfile.TemporaryDirectory() as folder:
        for photo in photos:
            image = Image.open(photo.path)
            path = Path(folder) / Path(photo.path).name
            image.resize((photo.width * 9 // 10, photo.height * 9 // 10),
                         Image.Resampling.LANCZOS).save(path, quality=95)  # fmt: skip
            stat = path.stat()
            copy = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
            assert isinstance(copy, Photo)
            found.append(find_faces(copy, engine=engine))
    return found


def naive_faces(photo: Photo) -> list[Box]:
    """face_recognition.face_locations + face_encodings with their defaults, spelled out."""
    models = _models()
    pixels = np.asarray(Image.open(photo.path).convert("RGB"))
    rectangles = models.detector(pixels, 1)
    boxes = []
    for rect in rectangles:
        shape = models.landmarks(pixels, rect)
        models.encoder.compute_face_descriptor(pixels, shape, 1)
        boxes.append((rect.top(), rect.right(), rect.bottom(), rect.left()))
    return boxes


def matched(ours: list[Box], theirs: list[Box]) -> int:
    return sum(1 for box in theirs if any(overlap(box, mine) >= 0.4 for mine in ours))


def overlap(a: Box, b: Box) -> float:
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    area = (a[1] - a[3]) * (a[2] - a[0]) + (b[1] - b[3]) * (b[2] - b[0])
    return inter / (area - inter) if area > inter else 0.0


def timed(work: Callable[[], list]) -> tuple[float, list]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


# The roll ----------------------------------------------------------------------------------


def make_roll(folder: Path, count: int) -> tuple[list[Photo], list[str]]:
    rng = np.random.default_rng(7)
    kinds = [kind for kind, share, *_ in SHOTS for _ in range(round(share * count))][:count]
    kinds += ["no one"] * (count - len(kinds))
    folder.mkdir(parents=True, exist_ok=True)
    sources = face_sources()
    photos = []
    for index, kind in enumerate(kinds):
        path = folder / f"IMG_{index:04d}.jpg"
        if not path.exists():
            make_shot(kind, sources, rng).save(path, quality=90)
        stat = path.stat()
        photo = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
        assert isinstance(photo, Photo), photo
        photos.append(photo)
    return photos, kinds


def face_sources() -> list[tuple[Image.Image, float]]:
    """Head shots, each with the share of its width that the face takes."""
    import matplotlib.cbook
    import skimage.data

    images = [Image.open(path).convert("RGB") for path in sorted(DEVDATA_FACES.rglob("*.jp*g"))]
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
        images.append(Image.open(file).convert("RGB"))
    images.append(Image.fromarray(skimage.data.astronaut()).crop((60, 0, 360, 300)))
    detector = _models().detector
    sources = []
    for image in images:
        rectangles = detector(np.asarray(image), 1)
        if len(rectangles) == 1:
            sources.append((image, rectangles[0].width() / image.width))
    return sources


def make_shot(kind: str, sources: list, rng: np.random.Generator) -> Image.Image:
    width, height = PHONE_SIZE
    canvas = background(rng)
    [(_, _, faces, sizes)] = [shot for shot in SHOTS if shot[0] == kind]
    count = int(rng.integers(faces[0], faces[1] + 1))
    for slot in range(count):
        image, share = sources[int(rng.integers(len(sources)))]
        face_width = int(rng.integers(sizes[0], sizes[1] + 1))
        scale = face_width / (share * image.width)
        head = image.resize((int(image.width * scale), int(image.height * scale)))
        column_width = width // count
        x = slot * column_width + int(rng.integers(0, max(1, column_width - head.width)))
        y = int(rng.integers(height // 6, max(height // 6 + 1, height - head.height - 50)))
        canvas.paste(head, (min(x, width - head.width), min(y, height - head.height)))
    return canvas


def background(rng: np.random.Generator) -> Image.Image:
    width, height = PHONE_SIZE
    small = rng.integers(40, 220, size=(6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    noise = rng.integers(0, 40, size=(height // 4, width // 4), dtype=np.uint8)
    # blurred before it is enlarged: the same soft grain, at a sixteenth of the cost
    grain = Image.fromarray(noise).filter(ImageFilter.GaussianBlur(0.5))
    texture = grain.resize((width, height), Image.Resampling.BILINEAR)
    return Image.blend(image, Image.merge("RGB", [texture] * 3), 0.15)


if __name__ == "__main__":
    main()
