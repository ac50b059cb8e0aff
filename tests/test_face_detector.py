"""MTCNN through torch (memories.analyze.face_detector) on real faces: the public-domain
portraits that ship in installed packages. It finds each face once, where dlib's detector finds
it, with the eyes where eyes are; it gives what the mtcnn package itself gives, within a few
per cent (recorded once with TensorFlow, which the tests do not need); batching changes nothing."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from memories.analyze.face_detector import Detection, pyramid_scales, weights_dir

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(
    weights_dir() is None, reason="the mtcnn package's weights are not installed"
)

# The mtcnn package's own detect_faces(image, output_type="numpy", box_format="xyxy") on
# these images (mtcnn 1.0.0, TensorFlow 2.21, CPU): x1, y1, x2, y2, confidence, then the five
# landmarks' x, then their y.
REFERENCE = {
    "astronaut": [
        [181.598, 63.726, 264.553, 171.079, 0.999,
         203.541, 245.409, 224.224, 201.789, 244.389, 100.103, 102.238, 126.420, 138.587, 140.377],
    ],
    "grace": [
        [178.357, 109.896, 351.415, 329.818, 0.989,
         220.421, 308.185, 268.286, 231.713, 303.637, 190.164, 186.048, 237.367, 277.024, 272.914],
    ],
    "both": [
        [684.448, 112.459, 865.654, 331.784, 1.000,
         734.566, 819.456, 778.725, 744.223, 816.273, 191.814, 186.883, 235.791, 278.618, 273.706],
        [180.918, 60.639, 267.468, 171.980, 0.998,
         202.909, 246.050, 223.889, 201.092, 244.833, 100.008, 102.702, 127.848, 138.154, 140.143],
    ],
}  # fmt: skip


@functools.cache
def image(name: str) -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins, 512x512), matplotlib's Grace Hopper
    (512x600), or both side by side on a 600-row black canvas."""
    if name == "astronaut":
        import skimage.data

        return skimage.data.astronaut()
    if name == "grace":
        import matplotlib.cbook
        from PIL import Image

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
            return np.asarray(Image.open(file).convert("RGB"))
    astronaut = np.zeros((600, 512, 3), np.uint8)
    astronaut[:512] = image("astronaut")
    return np.concatenate([astronaut, image("grace")], 1)


@functools.cache
def dlib_detector():
    import dlib

    return dlib.get_frontal_face_detector()


@pytest.fixture(scope="module")
def detector():
    from memories.analyze.face_detector import face_detector

    return face_detector("cpu")


def iou(a, b) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - width * height
    return width * height / union


def as_rows(faces: list[Detection]) -> np.ndarray:
    return np.array(
        [[*face.box, face.score, *(x for x, _ in face.landmarks), *(y for _, y in face.landmarks)]
         for face in faces]
    ).reshape(-1, 15)  # fmt: skip


@pytest.mark.parametrize("name", ["astronaut", "grace"])
def test_each_portrait_has_one_face_where_dlib_finds_it_with_the_eyes_in_its_upper_half(
    detector, name
):
    pixels = image(name)
    [face] = detector.detect([pixels])[0]
    [rect] = dlib_detector()(pixels, 0)
    assert iou(face.box, (rect.left(), rect.top(), rect.right(), rect.bottom())) >= 0.5
    assert face.score > 0.95
    left, top, right, bottom = face.box
    (lx, ly), (rx, ry), nose, mouth_left, mouth_right = face.landmarks
    for x, y in [(lx, ly), (rx, ry)]:
        assert left < x < right and top < y < (top + bottom) / 2
    assert lx < nose[0] < rx  # "left" is the image's left
    assert max(ly, ry) < nose[1] < min(mouth_left[1], mouth_right[1]) < bottom
    assert mouth_left[0] < mouth_right[0]


@pytest.mark.parametrize("name", ["astronaut", "grace", "both"])
def test_it_gives_what_the_mtcnn_package_gives(detector, name):
    # The pyramid is averaged down by OpenCV rather than TensorFlow, so P-Net's candidates
    # differ a little: the same faces, boxes within 8% of the face's size (the top edge moves
    # most), landmarks within 2%.
    ours = as_rows(detector.detect([image(name)])[0])
    theirs = np.array(REFERENCE[name])
    assert ours.shape == theirs.shape
    size = (theirs[:, 2] - theirs[:, 0])[:, None]
    assert (np.abs(ours[:, :4] - theirs[:, :4]) / size).max() < 0.08
    assert (np.abs(ours[:, 5:] - theirs[:, 5:]) / size).max() < 0.02
    assert np.abs(ours[:, 4] - theirs[:, 4]).max() < 0.05


def test_a_blank_image_has_no_faces(detector):
    assert detector.detect([np.full((480, 640, 3), 128, np.uint8)]) == [[]]
    assert detector.detect([np.zeros((30, 40, 3), np.uint8)]) == [[]]
    assert detector.detect([]) == []


def test_two_portraits_side_by_side_are_two_faces(detector):
    faces = detector.detect([image("both")])[0]
    assert len(faces) == 2
    centres = sorted((face.box[0] + face.box[2]) / 2 for face in faces)
    assert centres[0] < 512 < centres[1]
    assert faces[0].score >= faces[1].score


def test_images_of_different_sizes_detected_together_give_what_each_gives_alone(detector):
    images = [image("both"), image("astronaut"), image("grace")[40:560, 20:500],
              np.full((200, 300, 3), 90, np.uint8), image("grace")]  # fmt: skip
    alone = [as_rows(detector.detect([pixels], 40)[0]) for pixels in images]
    together = [as_rows(faces) for faces in detector.detect(images, 40)]
    assert [len(faces) for faces in together] == [2, 1, 1, 0, 1]
    for one, other in zip(alone, together, strict=True):
        assert one.shape == other.shape and np.allclose(one, other, rtol=0, atol=1e-3)


def test_padded_batches_as_on_a_gpu_give_the_same(detector):
    """The GPU's way (all images of a pyramid level in one padded batch), run on the CPU."""
    from memories.analyze.face_detector import FaceDetector

    images = [image("both"), image("grace")[40:560, 20:500]]
    padded = FaceDetector("cpu")
    padded.pad_batches = True
    ours = [as_rows(faces) for faces in padded.detect(images, 40)]
    theirs = [as_rows(faces) for faces in detector.detect(images, 40)]
    for one, other in zip(ours, theirs, strict=True):
        assert one.shape == other.shape and np.allclose(one, other, rtol=0, atol=1e-3)


def test_the_pyramid_reaches_from_the_smallest_face_to_the_whole_image():
    """The package counts its levels from the image alone: with a large min_face it ends on
    levels too small for P-Net (and fails), with a small one it stops before the largest
    faces. Here the levels run from min_face down to the window."""
    from memories.analyze.face_detector import WINDOW, face_detector

    for min_face in (12, 20, 40):
        scales = pyramid_scales(512, 600, min_face)
        assert scales[0] == WINDOW / min_face
        assert 512 * scales[-1] >= WINDOW > 512 * scales[-1] * 0.709
    [face] = face_detector("cpu").detect([image("grace")], 40)[0]
    assert face.score > 0.95
    # a face that fills a small photo (a 150x150 crop), looked for down to 12 pixels
    crop = np.ascontiguousarray(image("astronaut")[40:190, 160:310])
    assert len(face_detector("cpu").detect([crop], 12)[0]) == 1


def test_the_gpus_whole_way_run_on_the_cpu_finds_the_same_faces(detector):
    """A GPU averages the pyramid with torch and samples all crops in one grid, from the
    image as floats on the device; run here on the CPU, it finds the same faces, within a few
    per cent of the CPU's way."""
    from memories.analyze.face_detector import FaceDetector

    images = [image("both"), image("grace")[40:560, 20:500]]
    gpu_way = FaceDetector("cpu")
    gpu_way._on_cpu, gpu_way.pad_batches = False, True
    ours = [as_rows(faces) for faces in gpu_way.detect(images, 40)]
    theirs = [as_rows(faces) for faces in detector.detect(images, 40)]
    for one, other in zip(ours, theirs, strict=True):
        assert one.shape == other.shape
        one, other = one[np.argsort(one[:, 0])], other[np.argsort(other[:, 0])]  # left to right
        size = (other[:, 2] - other[:, 0])[:, None]
        assert (np.abs(one[:, :4] - other[:, :4]) / size).max() < 0.08
        assert (np.abs(one[:, 5:] - other[:, 5:]) / size).max() < 0.03
