"""`memories share`: a copy of a memory for sending, drawn again from the originals, on
photos and a clip of two real faces (one named, one not): strangers blurred in every still
and through the clip (measured by the face's sharpness), no names, no places, no location,
camera serial or file name anywhere in its bytes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import TINY_LOOK, catalogued, exif_bytes
from faces import EILEEN, GRACE, portrait, scene
from PIL import Image
from test_build import scene as no_one
from test_recap import memory_of as recap_of
from test_recap import planned
from typer.testing import CliRunner

from memories.cli import app
from memories.model import (
    Insight,
    Memory,
    MemoryKind,
    Motion,
    PhotoKind,
    Phrase,
    Place,
    TimelinePhoto,
)
from memories.render.clips import ClipFrames, ClipSource, probe_clip
from memories.render.storyboard import ShotKind
from memories.render.veil import FaceTrack, Strangers, Veil, blur_faces, is_named
from memories.share import mentions, shared_words, stranger_boxes

TODAY = ("--today", "2025-06-14")
SERIAL = "SN-12345"
LYON = (45.7640, 4.8357)


def run(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def sharpness(pixels: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The variance of the Laplacian of the box's grey crop at 64x64 (as faces are judged)."""
    import cv2

    top, right, bottom, left = box
    grey = cv2.cvtColor(np.ascontiguousarray(pixels[top:bottom, left:right]), cv2.COLOR_RGB2GRAY)
    crop = cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(crop, cv2.CV_64F).var())


def heavy_blur(pixels: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The sharpness of the box after a heavy Gaussian blur of it and around it (sigma a
    tenth of its width), saved as a JPEG as outputs are: the noise of the encoding counts."""
    import cv2

    top, right, bottom, left = box
    reach = right - left
    around = (slice(max(0, top - reach), bottom + reach),
              slice(max(0, left - reach), right + reach))  # fmt: skip
    blurred = np.array(pixels)
    blurred[around] = cv2.GaussianBlur(np.ascontiguousarray(blurred[around]), (0, 0), reach / 10)
    encoded = io.BytesIO()
    Image.fromarray(blurred).save(encoded, "JPEG", quality=90)
    return sharpness(np.asarray(Image.open(encoded).convert("RGB")), box)


def faces_in(pixels: np.ndarray) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    from memories.analyze.faces import MIN_SCORE, encodings_at, hog_detector

    pixels = np.ascontiguousarray(pixels)
    found, _, _ = hog_detector().run(pixels, 1, MIN_SCORE)
    boxes = [(r.top(), r.right(), r.bottom(), r.left()) for r in found]
    return list(zip(boxes, encodings_at(pixels, boxes), strict=True)) if boxes else []


def encoding_of(person: str) -> np.ndarray:
    [(_, encoding)] = faces_in(np.asarray(scene(person)))
    return encoding


def frames_of(video: Path, fps: int = 4) -> list[np.ndarray]:
    source = ClipSource.of_file(video)
    info = probe_clip(source)
    with ClipFrames(source, info, fps=fps) as frames:
        return [np.array(frames.frame_at(i / fps)) for i in range(int(info.duration * fps))]


def clip_of_eileen(path: Path) -> Path:
    """3 s at 640x360: Eileen's face crossing a plain wall, dated by its name and its tag."""
    frames = []
    for n in range(50):
        frames.append(scene(EILEEN, size=(640, 360), width=200, at=(40 + 6 * n, 60)).tobytes())
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-s", "640x360", "-r", "16", "-i", "-", "-c:v", "libx264",
         "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-metadata", "creation_time=2024-06-14T10:30:00Z", str(path)],
        input=b"".join(frames), check=True, timeout=60,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A morning in Lyon: Grace and Eileen together, Grace alone, a wall, and a clip of
    Eileen; every photo with GPS and a camera serial. Grace is named; Eileen is not."""
    root = tmp_path_factory.mktemp("share")
    album = root / "photos"
    album.mkdir()
    both = scene(GRACE, size=(900, 500), width=260, at=(40, 80))
    both.paste(portrait(EILEEN).resize((260, 260)), (560, 100))
    pictures = [both, scene(GRACE, at=(120, 60)), scene(GRACE, at=(300, 100)), no_one(3)]
    for n, picture in enumerate(pictures):
        picture.save(album / f"IMG_{n}.jpg",
                     exif=exif_bytes(taken_at=f"2024:06:14 1{n}:00:00", gps=LYON,
                                     model=f"Pixel 8 {SERIAL}"))  # fmt: skip
    clip_of_eileen(album / "VID_20240614_103000.mp4")
    config = root / "config"
    (config / "video").mkdir(parents=True)
    (config / "video" / "tiny.toml").write_text(TINY_LOOK.replace("short_edge = 72",
                                                                  "short_edge = 360"))  # fmt: skip
    (config / "config.toml").write_text('look = "tiny"\nsize = 900\nworkers = 1\n')
    return root, album, config


@pytest.fixture
def library(built, tmp_path, monkeypatch):
    root, album, config = built
    monkeypatch.setenv("MEMORIES_CONFIG", str(config / "config.toml"))
    if not (root / "Memories").is_dir():
        result = run("build", album, "-l", root / "Memories", *TODAY)
        assert result.exit_code == 0, result.output
        people = json.loads(run("people", "-l", root / "Memories", "--json").stdout)
        [grace] = [person for person in people if len(person["faces"]) == 3]
        assert run("people", "name", grace["id"], "Grace", "-l", root / "Memories").exit_code == 0
        assert run("build", album, "-l", root / "Memories", *TODAY).exit_code == 0
    return shutil.copytree(root / "Memories", tmp_path / "Memories")


def the_memory(library: Path) -> dict:
    memories = json.loads(run("list", "-l", library, "--json", "--kind", "event", *TODAY).stdout)
    [memory] = memories
    return memory


def share(library: Path, *options) -> tuple[dict, Path]:
    memory = the_memory(library)
    result = run("share", memory["id"], "-l", library, "--json", *TODAY, *options)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return report, Path(report["folder"])


def every_byte(folder: Path) -> list[tuple[str, bytes]]:
    """Each file of the copy, and each file inside its zip, with its bytes."""
    found = []
    for path in sorted(folder.parent.rglob("*")):
        if path.is_file() and path.suffix == ".zip":
            with zipfile.ZipFile(path) as bundle:
                found.append((path.name, path.read_bytes()))
                found += [(name, bundle.read(name)) for name in bundle.namelist()]
        elif path.is_file():
            found.append((path.name, path.read_bytes()))
    return found


# The shared copy, end to end --------------------------------------------------------------


def test_a_shared_copy_goes_in_the_library_and_leaves_its_outputs_alone(library):
    before = {path: path.read_bytes() for path in library.glob("*/*.*")}
    report, folder = share(library)
    assert folder.parent == library / "shared"
    assert folder.name == "2024-06-14-lyon", "the memory's own id"
    assert report["files"] == ["collage.jpg", "cover.jpg", "recap.mp4"]
    assert report["removed"] == ["location", "camera data", "file names"]
    assert report["blurred"] is None and report["zip"] is None and report["left_out"] == []
    assert {path: path.read_bytes() for path in library.glob("*/*.*")} == before
    again, _ = share(library)
    assert again["folder"] == report["folder"], "shared again, in the same place"
    assert list((library / "shared").iterdir()) == [folder], "nothing half-made left"


def test_a_copy_goes_to_the_folder_named_and_a_clip_left_out_is_exit_code_one(library, tmp_path):
    memory = the_memory(library)
    clip = Path(next(path for path in memory["photos"] if path.endswith(".mp4")))
    data = clip.read_bytes()
    clip.write_bytes(data[:48] + bytes(len(data) - 48))  # the same size, its frames gone
    try:
        result = run("share", memory["id"], "-l", library, "--json", *TODAY,
                     "--to", tmp_path / "out")  # fmt: skip
    finally:
        clip.write_bytes(data)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert Path(report["folder"]) == tmp_path / "out" / memory["id"]
    assert [Path(note["path"]) for note in report["left_out"]] == [clip]
    assert (tmp_path / "out" / memory["id"] / "recap.mp4").is_file(), "made without it"


def test_a_shared_copy_carries_no_location_camera_or_file_name(library):
    _, folder = share(library, "--zip")
    files = every_byte(folder)
    assert {name for name, _ in files} >= {"collage.jpg", "cover.jpg", "recap.mp4",
                                           f"{folder.name}.zip"}  # fmt: skip
    for name, data in files:
        assert SERIAL.encode() not in data and b"Pixel" not in data, name
        assert b"45.76" not in data and b"45,76" not in data, name
        for original in ("IMG_0", "IMG_1", "IMG_2", "IMG_3", "VID_20240614"):
            assert original.encode() not in data, f"{original} named in {name}"
    for path in folder.glob("*.jpg"):
        with Image.open(path) as image:
            assert not image.getexif(), path.name


def test_no_names_and_no_place_leave_them_out_of_every_byte(library):
    report, folder = share(library, "--no-names", "--no-place", "--zip")
    assert report["title"] == "A morning"
    assert folder.name == "2024-06-14-a-morning"
    assert report["removed"][3:] == ["names (Grace)", "place (Lyon)"]
    for name, data in every_byte(folder):
        for word in ("Grace", "Lyon", "lyon"):
            for encoded in (word.encode(), word.encode("utf-16-le")):
                assert encoded not in data, f"{word} in {name}"


def test_blur_strangers_blurs_the_unnamed_face_in_stills_and_through_the_clip(library):
    report, folder = share(library, "--blur-strangers")
    assert report["blurred"] == {"faces": 1, "photos": 1, "clips": 1}
    eileen, grace = encoding_of(EILEEN), encoding_of(GRACE)
    own = library / the_memory(library)["id"]
    for picture in ("collage.jpg", "cover.jpg"):
        mine = np.asarray(Image.open(own / picture).convert("RGB"))
        shared = np.asarray(Image.open(folder / picture).convert("RGB"))
        seen = faces_in(mine)
        for box, encoding in seen:
            if np.linalg.norm(encoding - eileen) < 0.6:  # Eileen, in the library's own
                assert sharpness(shared, box) <= heavy_blur(mine, box), picture
            elif np.linalg.norm(encoding - grace) < 0.6:
                assert np.array_equal(crop(shared, box), crop(mine, box)), "Grace untouched"
        assert not any(np.linalg.norm(e - eileen) < 0.6 for _, e in faces_in(shared)), picture
    mine_frames, shared_frames = frames_of(own / "recap.mp4"), frames_of(folder / "recap.mp4")
    assert len(mine_frames) == len(shared_frames)
    eileen_frames = grace_frames = 0
    for mine, shared in zip(mine_frames, shared_frames, strict=True):
        for box, encoding in faces_in(mine):
            if np.linalg.norm(encoding - eileen) < 0.6:
                eileen_frames += 1  # H.264 adds its own noise to a smooth patch: half again
                assert sharpness(shared, box) <= 1.5 * heavy_blur(mine, box)
            elif np.linalg.norm(encoding - grace) < 0.6:
                grace_frames += 1
                assert sharpness(shared, box) > 0.7 * sharpness(mine, box), "Grace stays sharp"
        assert not any(np.linalg.norm(e - eileen) < 0.6 for _, e in faces_in(shared))
    assert eileen_frames >= 4 and grace_frames >= 4, (eileen_frames, grace_frames)


def crop(pixels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    top, right, bottom, left = box
    return pixels[top:bottom, left:right]


def test_an_unknown_memory_is_a_one_line_usage_error(library):
    result = run("share", "1999-01-01-nothing", "-l", library, *TODAY)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("memories: no memory with id")


# The words of a shared copy (pure) ---------------------------------------------------------


def memory_of(kind: MemoryKind, title: str, *, place: str | None = None,
              people: tuple[str, ...] = (), years: tuple[int, int] = (2021, 2024),
              insights: tuple[Insight, ...] = (), phrase: Phrase | None = None,
              language: str = "en") -> Memory:  # fmt: skip
    lyon = Place("Lyon", "Auvergne-Rhône-Alpes", "France", "FR", *LYON)
    photo = TimelinePhoto("/p/a.jpg", "h", PhotoKind.PHOTO, datetime(years[0], 6, 14), 0.0,
                          LYON, lyon, 0.5, None, True)  # fmt: skip
    return Memory(f"m-{kind}", kind, title, "14 Jun", datetime(years[0], 6, 14),
                  datetime(years[1], 6, 14), place, people, (photo,), photo,
                  insights=insights, phrase=phrase, language=language)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "title", "place", "people", "nameless", "placeless"),
    [
        (MemoryKind.EVENT, "An evening in Lyon", "Lyon", ("Ana",), "An evening in Lyon",
         "An evening"),
        (MemoryKind.TRIP, "Trip to Lyon", "Lyon", (), "Trip to Lyon", "A trip"),
        (MemoryKind.PLACE, "Lyon over the years", "Lyon", (), "Lyon over the years",
         "Over the years"),
        (MemoryKind.TOGETHER, "Ana and Léo", None, ("Ana", "Léo"), "Together", "Ana and Léo"),
        (MemoryKind.PERSON, "Ana over the years", None, ("Ana",), "Over the years",
         "Ana over the years"),
        (MemoryKind.PERSON_YEAR, "Ana in 2021", None, ("Ana",), "A year, 2021", "Ana in 2021"),
        (MemoryKind.BIRTHDAY, "Ana turns 6", None, ("Ana",), "A birthday", "Ana turns 6"),
        (MemoryKind.THEN_AND_NOW, "Ana, 2021 and 2024", None, ("Ana",),
         "Then and now, 2021 and 2024", "Ana, 2021 and 2024"),
        (MemoryKind.THEN_AND_NOW, "Lyon, 2021 and 2024", "Lyon", (), "Lyon, 2021 and 2024",
         "Then and now, 2021 and 2024"),
        (MemoryKind.ON_THIS_DAY, "On this day, 3 years ago", None, ("Ana",),
         "On this day, 3 years ago", "On this day, 3 years ago"),
    ],
)  # fmt: skip
def test_titles_without_names_or_places(kind, title, place, people, nameless, placeless):
    said = Phrase.of("event_part_in", part="evening", place=place) if place else None
    memory = memory_of(kind, title, place=place, people=people,
                       phrase=said if kind is MemoryKind.EVENT else None)  # fmt: skip
    without_names = shared_words(memory, no_names=True, no_place=False)
    assert (without_names.title, without_names.people) == (nameless, ())
    without_place = shared_words(memory, no_names=False, no_place=True)
    assert (without_place.title, without_place.place) == (placeless, None)
    assert without_place.people == people


def test_a_copy_without_places_is_titled_in_the_memorys_language():
    said = Phrase.of("event_part_in", part="evening", place="Lyon")
    memory = memory_of(MemoryKind.EVENT, "Ein Abend in Lyon", place="Lyon", phrase=said,
                       language="de")  # fmt: skip
    assert shared_words(memory, no_names=False, no_place=True).title == "Ein Abend"
    birthday = memory_of(MemoryKind.BIRTHDAY, "Ana wird 6", people=("Ana",), language="fr")
    assert shared_words(birthday, no_names=True, no_place=False).title == "Un anniversaire"


def test_a_name_the_library_knows_is_taken_out_of_any_title():
    memory = memory_of(MemoryKind.EVENT, "A day at Rosa's", people=())
    assert shared_words(memory, no_names=True, no_place=False, names=["Rosa"]).title == "A memory"
    assert mentions("A day at Rosa's", ["rosa"]) and not mentions("Rosamund", ["Rosa"])


def test_a_years_numbers_that_name_people_or_places_are_left_out():
    cards = (Insight("days", "143 days with photos", "3-14 August", 143, ()),
             Insight("people", "Ana in 80 photos", "", 80, ()),
             Insight("furthest", "1,200 km from home", "Kyoto", 1200, ()),
             Insight("busiest_day", "40 photos in a day", "14 June, in Lyon", 40, ()))  # fmt: skip
    memory = memory_of(MemoryKind.YEAR, "2024 in review", people=("Ana",), insights=cards)
    kept = shared_words(memory, no_names=True, no_place=True).insights
    assert [card.kind for card in kept] == ["days"]
    assert len(shared_words(memory, no_names=False, no_place=False).insights) == 4


def test_no_place_drops_the_busiest_day_even_in_a_town_the_memory_does_not_show():
    """The card names the town of that day's photos, from the whole year: a town none of
    the memory's own photos (all in Lyon here) is in."""
    busiest = Insight("busiest_day", "Busiest day: 6 April (40 photos)", "Saturday in Kyoto",
                      40, ())  # fmt: skip
    memory = memory_of(MemoryKind.YEAR, "2024 in review", insights=(busiest,))
    assert shared_words(memory, no_names=False, no_place=True).insights == ()
    assert shared_words(memory, no_names=True, no_place=False).insights == (busiest,)


# Blurring (pure pixels) --------------------------------------------------------------------


def test_a_blurred_face_is_as_soft_as_a_heavy_blur_and_found_no_more():
    picture = np.array(scene(EILEEN))
    [(box, encoding)] = faces_in(picture)
    assert is_named(encoding, encoding_of(EILEEN)[None, :])
    before = sharpness(picture, box)
    blur_faces(picture, [box], 1.0)
    assert sharpness(picture, box) <= heavy_blur(np.array(scene(EILEEN)), box) < before / 4
    assert faces_in(picture) == []


def test_a_veil_scales_its_boxes_to_the_picture_it_is_given():
    full = scene(EILEEN, size=(1280, 960), width=520, at=(360, 160))
    [(box, _)] = faces_in(np.asarray(full))
    veil = Veil({"h": (box,)})
    small = veil.still("h", full.resize((640, 480)), full_width=1280)
    assert faces_in(np.asarray(small)) == []
    assert veil.still("other", full, 1280) is full


def test_a_track_covers_a_face_between_the_frames_it_was_found_in():
    box = (10, 50, 50, 10)
    track = FaceTrack((0.0, 1 / 6, 2 / 6, 1.0), ((box,), (), (), ()))
    assert track.at(0.0) == [box] and track.at(0.3) == [box]
    assert track.at(0.7) == [] and track.faces == 1


def test_strangers_are_unnamed_hidden_or_ungrouped_faces():
    faces = {"a": [(1, (0, 10, 10, 0)), (2, (0, 30, 10, 20)), (None, (0, 50, 10, 40))],
             "b": [(1, (5, 15, 15, 5))]}  # fmt: skip
    assert stranger_boxes(faces, named_people={1}) == {
        "a": ((0, 30, 10, 20), (0, 50, 10, 40)), "b": ()}  # fmt: skip


def test_a_live_photos_motion_is_followed_face_by_face(make_photo, tmp_path):
    sources = [catalogued(make_photo(f"IMG_{n}.jpg", image=no_one(n).resize((640, 360))))
               for n in range(3)]  # fmt: skip
    motion = clip_of_eileen(tmp_path / "IMG_1.MOV")
    sources[1] = sources[1]._replace(motion=Motion(str(motion)))
    plan = planned(sources, recap_of(sources))
    live = next(shot for shot in plan.storyboard.shots if shot.kind is ShotKind.LIVE)
    strangers = Strangers({}, encoding_of(GRACE)[None, :])
    veil = strangers.video_veil(plan)
    track = veil.tracks[sources[1].content_hash]
    assert strangers.clips_blurred == [sources[1].content_hash]
    found = [boxes for boxes in track.boxes if boxes]
    assert len(found) >= 0.8 * len(track.boxes), "found in nearly every frame looked at"
    lefts = [boxes[0][3] for boxes in found]
    assert lefts[-1] - lefts[0] > 40, "followed as it crosses the frame"
    source = ClipSource.of_file(motion)
    with ClipFrames(source, probe_clip(source), start=live.clip_from, fps=8) as frames:
        for step in range(0, 16, 3):
            frame = frames.frame_at(step / 8)
            assert faces_in(frame), "Eileen, in the motion as it is"
            assert faces_in(veil.frame(sources[1].content_hash, live.clip_from + step / 8,
                                       frame, 1.0)) == []  # fmt: skip
