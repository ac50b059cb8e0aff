"""Finding faces with the real dlib models: boxes in full-size displayed pixels, small faces in
large photos, and encodings that group variants of one person and keep two people apart."""

from __future__ import annotations

import numpy as np
import pytest
from faces import EILEEN, GRACE, portrait, scene, variants
from PIL import Image

from memories.analyze.faces import DETECTION_EDGE, detection_plan, find_faces, find_faces_many
from memories.analyze.people import regroup
from memories.errors import UnreadablePhoto
from memories.model import FileEntry, KnownFace, Photo
from memories.scan.metadata import read_media


def read(path) -> Photo:
    stat = path.stat()
    photo = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
    assert isinstance(photo, Photo), photo
    return photo


def test_detection_scans_large_photos_reduced_and_small_ones_whole():
    assert detection_plan(4032, 3024) == detection_plan(3024, 4032)
    assert detection_plan(4032, 3024).edge == DETECTION_EDGE
    assert detection_plan(800, 600).edge == 800
    assert all(detection_plan(w, h).upsample == 1 for w, h in [(4032, 3024), (640, 480)])


def test_the_box_is_where_the_face_was_pasted(make_photo):
    photo = read(make_photo("IMG_1.jpg", image=scene(GRACE, at=(300, 100), width=240)))
    [face] = find_faces(photo)
    top, right, bottom, left = face.box
    # Grace's face sits in the middle third of her portrait.
    assert 300 < left < right < 540 and 100 < top < bottom < 100 + 280
    assert face.encoding.shape == (128,) and face.encoding.dtype == np.float32
    assert len(face.landmarks) == 5 and face.score > 0


def test_a_blurred_face_measures_blurred_and_does_not_vote(make_photo):
    from PIL import ImageFilter

    from memories.analyze.people import TRUSTED_SHARPNESS, trusted

    sharp = scene(EILEEN, width=240)
    [face] = find_faces(read(make_photo("sharp.jpg", image=sharp)))
    blurred_scene = sharp.filter(ImageFilter.GaussianBlur(2))
    [blurred] = find_faces(read(make_photo("blurred.jpg", image=blurred_scene)))
    assert face.sharpness is not None and face.sharpness > 3 * TRUSTED_SHARPNESS
    assert blurred.sharpness is not None and blurred.sharpness < TRUSTED_SHARPNESS
    known = [KnownFace(1, "a", face.box, face.encoding, None, False, face.sharpness),
             KnownFace(2, "b", blurred.box, blurred.encoding, None, False, blurred.sharpness)]
    assert [trusted(k) for k in known] == [True, False]


def test_boxes_are_in_displayed_pixels_for_rotated_photos(make_photo):
    upright = scene(EILEEN, size=(480, 640), at=(100, 250), width=240)
    # Stored turned on its side, with orientation 6 saying "rotate 90 degrees clockwise".
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    plain = read(make_photo("IMG_1.jpg", image=upright))
    rotated = read(make_photo("IMG_2.jpg", image=stored, orientation=6))
    assert (rotated.width, rotated.height) == (480, 640)
    [face_plain], [face_rotated] = find_faces(plain), find_faces(rotated)
    assert np.allclose(face_plain.box, face_rotated.box, atol=6)
    assert np.linalg.norm(face_plain.encoding - face_rotated.encoding) < 0.15


def test_a_small_face_in_a_large_photo_is_found_and_encoded_from_full_size(make_photo):
    big = read(make_photo("IMG_1.jpg", image=scene(GRACE, size=(4000, 3000), width=380,
                                                   at=(2600, 1900))))  # fmt: skip
    [face] = find_faces(big)
    assert face.box[3] > 2600 and face.box[1] < 2600 + 380  # mapped back to full size
    assert 100 <= face.width <= 180  # about 60 px in the detection image: encoded full size
    close_up = find_faces(read(make_photo("IMG_2.jpg", image=portrait(GRACE))))[0]
    assert np.linalg.norm(face.encoding - close_up.encoding) < 0.35


def test_an_undecodable_photo_gives_its_error(make_photo):
    path = make_photo("IMG_1.jpg", size=(640, 480))
    data = bytearray(path.read_bytes())
    table = data.index(b"\xff\xc4")
    data[table + 5 : table + 21] = b"\xff" * 16
    path.write_bytes(bytes(data))
    [result] = find_faces_many([read(path)])
    assert isinstance(result, UnreadablePhoto) and "cannot be decoded" in result.reason


def test_no_face_no_faces(make_photo):
    assert find_faces(read(make_photo("IMG_1.jpg", size=(640, 480)))) == []


@pytest.fixture(scope="module")
def variant_faces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    found = []
    for person in (GRACE, EILEEN):
        for name, image in variants(person).items():
            path = folder / f"{person}-{name}.png"
            image.save(path)
            faces = find_faces(read(path))
            assert len(faces) == 1, (person, name, len(faces))
            found.append((person, faces[0]))
    return found


def test_variants_of_one_person_group_together_and_two_people_never_merge(variant_faces):
    faces = [
        KnownFace(index, f"photo{index}", face.box, face.encoding, None, False)
        for index, (_, face) in enumerate(variant_faces)
    ]
    grouping = regroup(faces)
    assert grouping.unassigned == [] and grouping.people == {}
    groups = [{variant_faces[i][0] for i in ids} for ids in grouping.new_people]
    assert sorted(map(sorted, groups)) == [[EILEEN], [GRACE]]
    assert sorted(len(ids) for ids in grouping.new_people) == [6, 6]
