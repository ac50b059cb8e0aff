"""Find the faces in a photo and describe each one with dlib's models: where it is (a box and
five landmarks, in full-size displayed pixels) and who it looks like (a 128-number encoding).

Detection runs on a reduced decode whose size is chosen from the photo's size (see
`detection_plan`): the HOG detector's cost grows with the pixels it scans, and a phone photo
has far more pixels than a face needs. Faces that come out small at that size are encoded
from a full-size decode instead, so their encodings are as good as those of large faces.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memories.errors import UnreadablePhoto
from memories.model import Face, Photo
from memories.parallel import each_or_unreadable
from memories.scan.images import decode_displayed

DETECTION_EDGE = 1600
"""Long edge of the image the detector scans. With one upsampling, the detector's 80-pixel
window then finds faces down to 1/40 of the photo's long edge (100 px on a 12 MP photo)."""
SMALL_FACE = 100
"""Faces narrower than this in the detection image are encoded from a full-size decode."""
MIN_SCORE = 0.0
"""The detector's own threshold; its weaker hits are mostly patterns that are not faces."""


@dataclass(frozen=True, slots=True)
class DetectionPlan:
    """How to look for faces in one photo."""

    edge: int
    """Long edge of the decode that the detector scans."""
    upsample: int
    """How many times the detector doubles that image: each time halves the smallest face found."""


def detection_plan(width: int, height: int) -> DetectionPlan:
    """Photos up to `DETECTION_EDGE` are scanned as they are, larger ones reduced to it; both
    upsampled once, like face_recognition's default, so that small faces are still found."""
    return DetectionPlan(edge=min(max(width, height), DETECTION_EDGE), upsample=1)


def find_faces_many(photos: Sequence[Photo]) -> list[list[Face] | UnreadablePhoto]:
    """Find faces in a batch (in a worker process); an undecodable photo gives its error."""
    return each_or_unreadable(find_faces, photos)


def find_faces(photo: Photo, plan: DetectionPlan | None = None) -> list[Face]:
    """Every face the detector finds in the photo, largest first."""
    plan = plan or detection_plan(photo.width, photo.height)
    image = decode_displayed(photo, "RGB", plan.edge)
    pixels = np.asarray(image)
    models = _models()
    rectangles, scores, _ = models.detector.run(pixels, plan.upsample, MIN_SCORE)
    if not rectangles:
        return []
    scale = max(photo.width, photo.height) / max(image.size)
    if scale > 1 and min(rect.width() for rect in rectangles) < SMALL_FACE:
        # the largest decode there is (a RAW's is its preview, smaller than its sensor)
        full = decode_displayed(photo, "RGB")
        pixels, encode_scale = np.asarray(full), max(photo.width, photo.height) / max(full.size)
    else:
        encode_scale = scale
    dlib = _dlib()
    shapes = dlib.full_object_detections()
    for rect in rectangles:
        rect = _scaled(dlib, rect, scale / encode_scale)
        shapes.append(models.landmarks(pixels, rect))
    encodings = models.encoder.compute_face_descriptor(pixels, shapes)
    faces = [
        Face(
            box=_box(shape.rect, encode_scale, photo),
            landmarks=tuple(
                (round(point.x * encode_scale), round(point.y * encode_scale))
                for point in shape.parts()
            ),
            encoding=np.asarray(encoding, dtype=np.float32),
            score=float(score),
            sharpness=face_sharpness(pixels, shape.rect),
        )
        for shape, encoding, score in zip(shapes, encodings, scores, strict=True)
    ]
    return sorted(faces, key=lambda face: face.width, reverse=True)


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
    shapes = dlib.full_object_detections()
    for top, right, bottom, left in boxes:
        shapes.append(models.landmarks(pixels, dlib.rectangle(left, top, right, bottom)))
    encodings = models.encoder.compute_face_descriptor(pixels, shapes)
    return [np.asarray(encoding, dtype=np.float32) for encoding in encodings]


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


@dataclass(frozen=True)
class _Models:
    detector: Any
    landmarks: Any
    encoder: Any


@functools.cache
def _models() -> _Models:
    """dlib's HOG detector, 5-point landmark model and ResNet encoder, loaded once per process."""
    import face_recognition_models as files

    dlib = _dlib()
    return _Models(
        detector=dlib.get_frontal_face_detector(),
        landmarks=dlib.shape_predictor(files.pose_predictor_five_point_model_location()),
        encoder=dlib.face_recognition_model_v1(files.face_recognition_model_location()),
    )


def _dlib() -> Any:
    import dlib

    return dlib
