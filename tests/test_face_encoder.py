"""dlib's face encoder run through torch gives dlib's own encodings, on real faces; and the
face stage picks its engine from what is installed."""

from __future__ import annotations

import numpy as np
import pytest
from faces import EILEEN, GRACE, portrait
from PIL import ImageFilter, ImageOps

from memories.analyze.faces import FaceEngine, _dlib, _models, pick_engine

torch = pytest.importorskip("torch")


def chips_of(images) -> list[np.ndarray]:
    dlib, models = _dlib(), _models()
    chips = []
    for image in images:
        pixels = np.asarray(image)
        for rect in models.detector(pixels, 1):
            shape = models.landmarks(pixels, rect)
            chips.append(dlib.get_face_chip(pixels, shape, size=150, padding=0.25))
    return chips


def test_the_torch_encoder_gives_dlibs_encodings():
    from memories.analyze.face_encoder import face_encoder

    faces = [portrait(GRACE), portrait(EILEEN)]
    faces += [ImageOps.mirror(face) for face in faces]
    faces += [portrait(GRACE).filter(ImageFilter.GaussianBlur(2))]
    chips = chips_of(faces)
    assert len(chips) == 5
    theirs = np.array([_models().encoder.compute_face_descriptor(chip) for chip in chips])
    ours = face_encoder("cpu").encode(chips)  # one batch
    assert ours.shape == (5, 128) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-4
    one_by_one = np.vstack([face_encoder("cpu").encode([chip]) for chip in chips])
    assert np.abs(one_by_one - ours).max() < 1e-4


@pytest.mark.devdata
def test_the_torch_encoder_gives_dlibs_encodings_on_the_devdata_faces():
    from conftest import DEVDATA
    from PIL import Image

    from memories.analyze.face_encoder import face_encoder

    paths = sorted((DEVDATA / "faces").rglob("*.jp*g"))[:8]
    if not paths:
        pytest.skip("no devdata faces")
    chips = chips_of(Image.open(path).convert("RGB") for path in paths)
    theirs = np.array([_models().encoder.compute_face_descriptor(chip) for chip in chips])
    assert np.abs(face_encoder("cpu").encode(chips) - theirs).max() < 1e-4


def test_a_file_that_is_not_the_encoder_is_refused(tmp_path):
    import face_recognition_models as files

    from memories.analyze.face_encoder import read_dlib_weights

    with pytest.raises(ValueError, match="not dlib's face recognition ResNet"):
        read_dlib_weights(files.pose_predictor_five_point_model_location())
    (tmp_path / "empty.dat").write_bytes(b"")
    with pytest.raises(ValueError):
        read_dlib_weights(tmp_path / "empty.dat")


def test_the_engine_follows_the_choice():
    assert pick_engine("dlib") == FaceEngine("hog", "dlib")
    cpu = pick_engine("cpu")
    assert cpu.device == "cpu" and cpu.detector in ("mtcnn", "hog")
    # no GPU here: asking for CUDA falls back to the CPU rather than failing
    if not torch.cuda.is_available():
        assert pick_engine("cuda") == cpu == pick_engine("auto")
    assert "torch" in cpu.describe() and "dlib" in pick_engine("dlib").describe()


def test_both_engines_find_the_same_face_and_the_same_person(make_photo):
    from faces import scene
    from test_faces import read

    from memories.analyze.faces import find_faces
    from memories.analyze.people import CLUSTER_DISTANCE
    from memories.doctor import _faces

    photo = read(make_photo("IMG_1.jpg", image=scene(GRACE, at=(300, 100), width=240)))
    [by_dlib] = find_faces(photo, engine=FaceEngine("hog", "dlib"))
    [by_torch] = find_faces(photo, engine=pick_engine("cpu"))
    top, right, bottom, left = by_dlib.box
    other = by_torch.box
    inter = max(0, min(right, other[1]) - max(left, other[3])) * max(
        0, min(bottom, other[2]) - max(top, other[0]))  # fmt: skip
    union = (right - left) * (bottom - top) + (other[1] - other[3]) * (other[2] - other[0])
    assert inter / (union - inter) > 0.6
    assert np.linalg.norm(by_dlib.encoding - by_torch.encoding) < CLUSTER_DISTANCE / 3
    assert "dlib's HOG detector and encoder" in _faces("dlib").detail
    assert "through torch" in _faces("cpu").detail
