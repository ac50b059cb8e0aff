"""Find the faces in a photo and describe each one: where it is (a box and dlib's five
landmarks, in full-size displayed pixels), how sharp it is, and who it looks like (dlib's
128-number ResNet encoding).

Two engines do it (see `pick_engine`). With torch and the `mtcnn` package's weights installed
(`pip install -e '.[faces]'`), MTCNN finds faces and dlib's own encoder network runs through
torch (`face_encoder`), batched over photos, on a GPU when there is one. Without them, dlib's
HOG detector and encoder do it as they always have. Both place dlib's landmarks and encode
with the same network and weights, so a catalog's people hold across engines.

Detection runs on a reduced decode whose size is chosen from the photo's size (see
`detection_plan`): a phone photo has far more pixels than a face needs. Faces that come out
small at that size are encoded from a full-size decode instead, so their encodings are as
good as those of large faces.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import multiprocessing
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from memories.analyze.face_encoder import CHIP_PADDING, CHIP_SIZE
from memories.errors import UnreadablePhoto
from memories.model import Face, Photo
from memories.scan.images import decode_displayed

DETECTION_EDGE = 1600
"""Long edge of the image the detector scans. The HOG detector, upsampled once, then finds
faces down to 1/40 of the photo's long edge (100 px on a 12 MP photo)."""
MTCNN_MIN_FACE = 1 / 64
"""Smallest face MTCNN looks for, as a share of the photo's long edge (63 px on 12 MP). MTCNN
scans a JPEG at the reduced size its decoder gives for free (half of 4032 px: 2016), as its
cost is set by the smallest face looked for, not by the pixels."""
MTCNN_MIN_SCORE = 0.9
"""MTCNN's faces below this score are left out: the faces of the benchmarks' and devdata
photos all score 0.91 and more, while a fold of a spacesuit in the sample photos scored 0.85
(MTCNN's own last threshold is 0.8)."""
SMALL_FACE = 100
"""Faces narrower than this in the detection image are encoded from a full-size decode."""
MIN_SCORE = 0.0
"""The HOG detector's own threshold; its weaker hits are mostly patterns that are not faces."""
ENGINE_CHOICES = ("auto", "cuda", "cpu", "dlib")
"""`face_device` in the config: the best there is, torch on the GPU or the CPU, or dlib only."""


@dataclass(frozen=True, slots=True)
class FaceEngine:
    """What finds and encodes faces in a process."""

    detector: str
    """`mtcnn` (torch) or `hog` (dlib)."""
    device: str
    """Where torch runs them (`cuda`, `cpu`); `dlib` when dlib does it all on the CPU."""

    def describe(self) -> str:
        if self.device == "dlib":
            return "dlib's HOG detector and encoder, on the CPU"
        where = "the GPU (CUDA)" if self.device == "cuda" else "the CPU"
        detector = "MTCNN" if self.detector == "mtcnn" else "dlib's HOG detector"
        return f"{detector} and dlib's encoder through torch, on {where}"


def pick_engine(choice: str = "auto") -> FaceEngine:
    """The engine for `choice` (one of `ENGINE_CHOICES`) on this machine: torch when it is
    installed (MTCNN too when the `mtcnn` package's weights are), on CUDA when torch sees a
    GPU, else dlib alone. Asking for `cuda` without one falls back to the CPU."""
    if choice == "dlib" or importlib.util.find_spec("torch") is None:
        return FaceEngine("hog", "dlib")
    from memories.analyze.face_detector import weights_dir

    detector = "mtcnn" if weights_dir() is not None else "hog"
    device = "cpu"
    if choice in ("auto", "cuda") and _cuda_available():
        device = "cuda"
    return FaceEngine(detector, device)


@functools.cache
def _picked(choice: str) -> FaceEngine:
    return pick_engine(choice)


def model_files() -> dict[str, Path]:
    """The model files faces are found and encoded with on this machine, by name: dlib's
    landmark and encoder models, and MTCNN's weights when they are installed."""
    import face_recognition_models as files

    from memories.analyze.face_detector import WEIGHT_FILES, weights_dir

    found = {"landmarks": Path(files.pose_predictor_five_point_model_location()),
             "encoder": Path(files.face_recognition_model_location())}  # fmt: skip
    if (weights := weights_dir()) is not None:
        found.update({f"mtcnn {name}": weights / name for name in WEIGHT_FILES})
    return found


def engine_notes(engine: FaceEngine) -> list[str]:
    """What a user could install to make faces faster on this machine."""
    notes = []
    if engine.device == "dlib" and importlib.util.find_spec("torch") is None:
        notes.append("install torch and the faces extra (pip install -e '.[faces]') to find "
                     "faces several times faster")  # fmt: skip
    elif engine.detector == "hog":
        notes.append("pip install mtcnn for the faster MTCNN detector")
    return notes


@dataclass(frozen=True, slots=True)
class DetectionPlan:
    """How to look for faces in one photo."""

    edge: int
    """Long edge of the decode that the detector scans."""
    upsample: int
    """How many times the HOG detector doubles that image: each time halves the smallest
    face found (MTCNN looks down to `MTCNN_MIN_FACE` pixels instead)."""


def detection_plan(width: int, height: int) -> DetectionPlan:
    """Photos up to `DETECTION_EDGE` are scanned as they are, larger ones reduced to it; both
    upsampled once, like face_recognition's default, so that small faces are still found."""
    return DetectionPlan(edge=min(max(width, height), DETECTION_EDGE), upsample=1)


def find_faces(
    photo: Photo, plan: DetectionPlan | None = None, engine: FaceEngine | None = None
) -> list[Face]:
    """Every face found in the photo, largest first."""
    [found] = find_faces_many([photo], engine, plan)
    if isinstance(found, UnreadablePhoto):
        raise found
    return found


def find_faces_many(
    photos: Sequence[Photo],
    engine: FaceEngine | str | None = None,
    plan: DetectionPlan | None = None,
) -> list[list[Face] | UnreadablePhoto]:
    """Faces in each photo of a batch (in a worker process), detected and encoded together;
    a photo that cannot be decoded gives its error. `engine` may be a choice of
    `ENGINE_CHOICES`, for the worker to pick on its own machine (a cluster's)."""
    if isinstance(engine, str):
        engine = _picked(engine)
    engine = engine or default_engine()
    if engine.device == "cpu" and multiprocessing.parent_process() is not None:
        one_core_each()
    results: list[list[Face] | UnreadablePhoto] = []
    decoded: list[tuple[int, Photo, np.ndarray]] = []
    plans = [plan or detection_plan(photo.width, photo.height) for photo in photos]
    for photo, photo_plan in zip(photos, plans, strict=True):
        try:
            if engine.detector == "mtcnn":
                image = decode_displayed(photo, "RGB", 2 * photo_plan.edge,
                                         draft_edge=photo_plan.edge)  # fmt: skip
            else:
                image = decode_displayed(photo, "RGB", photo_plan.edge)
        except UnreadablePhoto as error:
            results.append(error)
            continue
        decoded.append((len(results), photo, np.asarray(image)))
        results.append([])
    found = _detect(engine, [pixels for _, _, pixels in decoded],
                    [plans[index].upsample for index, _, _ in decoded])  # fmt: skip
    located: list[_Located] = []
    for (index, photo, pixels), detections in zip(decoded, found, strict=True):
        if detections:
            try:
                located.append(_landmarks(photo, pixels, detections, index))
            except UnreadablePhoto as error:
                results[index] = error
    encodings = iter(_encode(engine, [chip for item in located for chip in item.chips]))
    for item in located:
        faces = [
            Face(box, points, next(encodings), score, sharpness)
            for box, points, score, sharpness in item.faces
        ]
        results[item.index] = sorted(faces, key=lambda face: face.width, reverse=True)
    return results


@functools.cache
def default_engine() -> FaceEngine:
    return pick_engine()


@dataclass(frozen=True, slots=True)
class _Detection:
    rect: Any
    """A dlib rectangle in the detection image, shaped as dlib's landmark model expects."""
    score: float


@dataclass(frozen=True, slots=True)
class _Located:
    """One photo's faces, placed, with the chips their encodings are computed from."""

    index: int
    faces: list[tuple[tuple[int, int, int, int], tuple[tuple[int, int], ...], float, float]]
    chips: list[np.ndarray]


def _detect(
    engine: FaceEngine, images: list[np.ndarray], upsamples: list[int]
) -> list[list[_Detection]]:
    dlib = _dlib()
    if engine.detector == "mtcnn":
        from memories.analyze.face_detector import face_detector

        detector = face_detector(engine.device)
        smallest = [max(12, round(max(pixels.shape[:2]) * MTCNN_MIN_FACE)) for pixels in images]
        found: dict[int, list[Any]] = {}
        for size in set(smallest):  # one batch per smallest face (photos of one size)
            indexes = [index for index, each in enumerate(smallest) if each == size]
            batch = detector.detect([images[index] for index in indexes], size)
            found.update(zip(indexes, batch, strict=True))
        return [[_Detection(dlib_rect(dlib, detection), detection.score)
                 for detection in found[index] if detection.score >= MTCNN_MIN_SCORE]
                for index in range(len(images))]  # fmt: skip
    detector = _models().detector
    results = []
    for pixels, upsample in zip(images, upsamples, strict=True):
        rectangles, scores, _ = detector.run(pixels, upsample, MIN_SCORE)
        results.append([_Detection(r, float(s)) for r, s in zip(rectangles, scores, strict=True)])
    return results


def dlib_rect(dlib: Any, detection: Any) -> Any:
    """The rectangle dlib's HOG detector would draw around an MTCNN face: placed and sized
    from MTCNN's eyes and mouth (steadier than its box), by a fit on faces both detectors
    found."""
    (lx, ly), (rx, ry), _, (mlx, mly), (mrx, mry) = detection.landmarks
    eyes = np.array([(lx + rx) / 2, (ly + ry) / 2])
    mouth = np.array([(mlx + mrx) / 2, (mly + mry) / 2])
    span = float(np.linalg.norm(mouth - eyes))
    centre = eyes + RECT_FIT[0] * (mouth - eyes)
    half = RECT_FIT[1] * span
    return dlib.rectangle(round(centre[0] - half), round(centre[1] - half),
                          round(centre[0] + half), round(centre[1] + half))  # fmt: skip


RECT_FIT = (0.5, 1.1)
"""Where the centre of dlib's box sits between the eyes and the mouth (0 the eyes, 1 the
mouth) and its half-width in eye-to-mouth spans."""


def _landmarks(
    photo: Photo, pixels: np.ndarray, detections: list[_Detection], index: int
) -> _Located:
    """dlib's five landmarks and an aligned chip for each detected face, from the detection
    image, or from a full-size decode when some face is small in it."""
    dlib = _dlib()
    models = _models()
    scale = max(photo.width, photo.height) / max(pixels.shape[:2])
    if scale > 1 and min(d.rect.width() for d in detections) < SMALL_FACE:
        # the largest decode there is (a RAW's is its preview, smaller than its sensor)
        full = np.asarray(decode_displayed(photo, "RGB"))
        pixels, encode_scale = full, max(photo.width, photo.height) / max(full.shape[:2])
    else:
        encode_scale = scale
    faces, chips = [], []
    for detection in detections:
        rect = _scaled(dlib, detection.rect, scale / encode_scale)
        shape = models.landmarks(pixels, rect)
        chips.append(dlib.get_face_chip(pixels, shape, CHIP_SIZE, CHIP_PADDING))
        points = tuple(
            (round(point.x * encode_scale), round(point.y * encode_scale))
            for point in shape.parts()
        )
        box = _box(shape.rect, encode_scale, photo)
        faces.append((box, points, detection.score, face_sharpness(pixels, shape.rect)))
    return _Located(index, faces, chips)


def _encode(engine: FaceEngine, chips: list[np.ndarray]) -> list[np.ndarray]:
    if not chips:
        return []
    if engine.device == "dlib":
        encodings = _models().encoder.compute_face_descriptor(chips)
        return [np.asarray(encoding, dtype=np.float32) for encoding in encodings]
    from memories.analyze.face_encoder import face_encoder

    return list(face_encoder(engine.device).encode(chips))


SHARPNESS_EDGE = 64
"""Faces are judged for blur at this size, so that a large and a small face compare."""


def face_sharpness(pixels: np.ndarray, rect: Any) -> float:
    """How sharp the face inside `rect` is: the variance of the Laplacian of its grey crop at
    64x64 (a face on a sharp photo gives hundreds to thousands; a blurred one tens)."""
    import cv2

    top, bottom = max(rect.top(), 0), min(rect.bottom(), pixels.shape[0])
    left, right = max(rect.left(), 0), min(rect.right(), pixels.shape[1])
    if bottom - top < 2 or right - left < 2:
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(pixels[top:bottom, left:right]), cv2.COLOR_RGB2GRAY)
    crop = cv2.resize(grey, (SHARPNESS_EDGE, SHARPNESS_EDGE), interpolation=cv2.INTER_AREA)
    return round(float(cv2.Laplacian(crop, cv2.CV_64F).var()), 1)


def encodings_at(
    pixels: np.ndarray, boxes: Sequence[tuple[int, int, int, int]]
) -> list[np.ndarray]:
    """The encoding of the face at each box ([top, right, bottom, left] in these pixels),
    without detecting again: to tell whether a changed picture still shows the same person."""
    models = _models()
    dlib = _dlib()
    chips = [
        dlib.get_face_chip(pixels, models.landmarks(pixels, dlib.rectangle(left, top, right,
                                                                          bottom)),
                           CHIP_SIZE, CHIP_PADDING)
        for top, right, bottom, left in boxes
    ]  # fmt: skip
    return _encode(default_engine(), chips)


def _box(rect: Any, scale: float, photo: Photo) -> tuple[int, int, int, int]:
    """The rectangle as [top, right, bottom, left] in full-size pixels, inside the photo."""
    return (
        max(0, round(rect.top() * scale)),
        min(photo.width, round(rect.right() * scale)),
        min(photo.height, round(rect.bottom() * scale)),
        max(0, round(rect.left() * scale)),
    )


def _scaled(dlib: Any, rect: Any, factor: float) -> Any:
    if factor == 1:
        return rect
    return dlib.rectangle(
        round(rect.left() * factor),
        round(rect.top() * factor),
        round(rect.right() * factor),
        round(rect.bottom() * factor),
    )


class _Models:
    """dlib's HOG detector, 5-point landmark model and ResNet encoder, each loaded when first
    used (the HOG detector alone takes a second, and MTCNN replaces it)."""

    @functools.cached_property
    def detector(self) -> Any:
        return _dlib().get_frontal_face_detector()

    @functools.cached_property
    def landmarks(self) -> Any:
        import face_recognition_models as files

        return _dlib().shape_predictor(files.pose_predictor_five_point_model_location())

    @functools.cached_property
    def encoder(self) -> Any:
        import face_recognition_models as files

        return _dlib().face_recognition_model_v1(files.face_recognition_model_location())


@functools.cache
def _models() -> _Models:
    """dlib's models, once per process."""
    return _Models()


def hog_detector() -> Any:
    """dlib's HOG face detector, loaded once per process: for counting faces in a video's
    frames, where boxes and encodings are not needed."""
    return _models().detector


@functools.cache
def one_core_each() -> None:
    """Torch as a face worker runs it: on one thread (the build has a worker per core
    already), keeping the memory it frees for its next photo (glibc would hand torch's large
    buffers back to the system after each layer and fault them in again for the next: a
    quarter of the time of a photo)."""
    import torch

    torch.set_num_threads(1)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
            libc.mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
"""glibc's mallopt parameters."""


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _dlib() -> Any:
    import dlib

    return dlib
