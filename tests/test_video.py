"""Recap videos: the storyboard as golden data, its timing rules, and one real encode of a
tiny video (with a clip and music) checked by decoding it.

Set MEMORIES_UPDATE_GOLDEN=1 to rewrite tests/golden/storyboard.json after a deliberate
change, then read the diff.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import struct
import wave
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import catalogued
from PIL import Image

from memories.model import Memory, MemoryKind, PhotoKind, TimelinePhoto
from memories.render.clips import ClipFrames, ClipSource, probe_clip
from memories.render.collage import subject_of
from memories.render.framing import Rect, Subject, cuts_a_face
from memories.render.storyboard import (
    Look,
    Shot,
    ShotKind,
    ShotSubject,
    plan_storyboard,
    shots_at,
    target_length,
    window_at,
)  # fmt: skip
from memories.render.templates import load_templates
from memories.render.video import encode_video, is_whole_mp4, pick_music, plan_video

GOLDEN = Path(__file__).parent / "golden" / "storyboard.json"
LOOKS = load_templates("video", Look)
FACE = (900, 3500, 1500, 2900)


def stills(count: int) -> list[ShotSubject]:
    shapes = [(4000, 3000, (FACE,)), (3000, 4000, ()), (4000, 2250, ())]
    return [ShotSubject(Subject(*shapes[n % 3])) for n in range(count)]


def test_golden_storyboard():
    subjects = [*stills(4), ShotSubject(Subject(1920, 1080), clip_seconds=7.5), *stills(1)]
    board = plan_storyboard(subjects, LOOKS["gentle"], size=(1920, 1080), cover=0)
    actual = json.loads(json.dumps(asdict(board)))
    if os.environ.get("MEMORIES_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(actual, indent=1) + "\n")
    assert actual == json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("count", [1, 3, 8, 15, 24])
@pytest.mark.parametrize("look", sorted(LOOKS))
def test_length_follows_the_photo_count(count, look):
    board = plan_storyboard(stills(count), LOOKS[look], size=(1920, 1080))
    assert [shot.kind for shot in (board.shots[0], board.shots[-1])] == [ShotKind.TITLE,
                                                                         ShotKind.END]  # fmt: skip
    longest = LOOKS[look]
    longest = longest.title_seconds + longest.end_seconds + count * (
        longest.max_photo_seconds - longest.crossfade) - longest.crossfade
    assert board.duration == pytest.approx(min(target_length(count), longest), abs=0.05)
    for earlier, later in zip(board.shots, board.shots[1:], strict=False):
        assert later.start == pytest.approx(earlier.end - later.fade, abs=0.002)
        assert later.fade == LOOKS[look].crossfade


def test_the_camera_ends_close_on_faces_and_shows_portraits_whole():
    board = plan_storyboard(stills(3), LOOKS["gentle"], size=(1920, 1080))
    with_face, portrait = board.shots[1], board.shots[2]
    assert not with_face.fit and with_face.move_to.width < with_face.move_from.width
    for moment in np.linspace(with_face.start, with_face.end, 12):
        assert not cuts_a_face(window_at(with_face, moment), [FACE])
    assert portrait.fit, "a portrait photo on a landscape frame is shown whole, over its blur"
    assert (portrait.move_from.width, portrait.move_from.height) in [(3000, 4000)] or (
        portrait.move_to.width,
        portrait.move_to.height,
    ) == (3000, 4000)


def test_crossfades_blend_the_shot_before():
    board = plan_storyboard(stills(2), LOOKS["gentle"], size=(1920, 1080))
    second = board.shots[2]
    shot, previous, progress = shots_at(board, second.start + second.fade / 2)
    assert (shot, previous, progress) == (second, board.shots[1], pytest.approx(0.5))
    assert shots_at(board, second.start + second.fade + 0.01)[1] is None


def test_portrait_frames_for_phones():
    assert LOOKS["gentle"].frame_size("9:16") == (1080, 1920)
    assert LOOKS["gentle"].frame_size("1:1") == (1080, 1080)
    assert replace(LOOKS["gentle"], short_edge=720).frame_size("16:9") == (1280, 720)


def test_music_from_a_folder_is_the_same_for_the_same_memory(tmp_path):
    for name in ("a.mp3", "b.m4a", "c.wav", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    picked = pick_music(tmp_path, "2024-06-14-lyon")
    assert picked == pick_music(tmp_path, "2024-06-14-lyon") and picked.suffix != ".txt"


# A real encode ----------------------------------------------------------------------------


def write_clip(path: Path, seconds: float = 1.5, fps: int = 10, size=(96, 64)) -> Path:
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=fps, macro_block_size=1)
    writer.send(None)
    for number in range(int(seconds * fps)):
        frame = np.full((size[1], size[0], 3), (number * 17) % 255, dtype=np.uint8)
        writer.send(frame.tobytes())
    writer.close()
    return path


def write_tone(path: Path, seconds: float = 30.0, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        count = int(seconds * rate)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(count))
        sound.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return path


def test_a_tiny_recap_encodes_as_h264_with_music_and_plays_back(make_photo, tmp_path):
    paths = [make_photo(f"IMG_{n}.jpg", size=(160, 120) if n else (90, 120),
                        color=(60 * n, 120, 200 - 50 * n)) for n in range(3)]  # fmt: skip
    paths.append(write_clip(tmp_path / "photos" / "VID_1.mp4"))
    sources = [catalogued(path) for path in paths]
    timeline = [
        TimelinePhoto(
            path_text=photo.path_text, content_hash=photo.content_hash,
            kind=PhotoKind.VIDEO if photo.kind is PhotoKind.VIDEO else PhotoKind.PHOTO,
            local_time=datetime(2024, 6, 14, 12, n), instant=1718366400.0 + 60 * n, gps=None,
            place=None, score=0.7, dhash=None, landscape=photo.width > photo.height,
        )
        for n, photo in enumerate(sources)
    ]  # fmt: skip
    memory = Memory(
        id="tiny", kind=MemoryKind.EVENT, title="A tiny day", dates="14 Jun 2024",
        start=timeline[0].local_time, end=timeline[-1].local_time, place="Lyon",
        people=("Ana", "Ben"), photos=tuple(timeline), cover=timeline[1],
    )  # fmt: skip
    photos = {photo.content_hash: photo for photo in sources}
    subjects = {p.content_hash: subject_of(p, photos[p.content_hash])
                for p in timeline if p.kind is PhotoKind.PHOTO}  # fmt: skip
    look = replace(LOOKS["gentle"], fps=8, short_edge=72)
    plan = plan_video(memory, photos, subjects, look, size=look.frame_size("16:9"),
                      music=write_tone(tmp_path / "tone.wav"))  # fmt: skip
    assert [shot.kind for shot in plan.storyboard.shots].count(ShotKind.CLIP) == 1
    output = tmp_path / "recap.mp4"
    encode_video(plan, memory, output, threads=1)

    head = output.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096), (
        "faststart: the index comes before the data, so playback starts at once"
    )
    probe = _ffmpeg_info(output)
    assert "h264" in probe and "yuv420p" in probe and "128x72" in probe
    assert "Audio: aac" in probe
    source = ClipSource.of_file(output)
    info = probe_clip(source)
    assert info.duration == pytest.approx(plan.storyboard.duration, abs=0.3)
    frames = [ClipFrames(source, info, start=t).frame_at(0) for t in (0.5, info.duration / 2)]
    assert all(frame.shape == (72, 128, 3) and frame.std() > 1 for frame in frames)

    assert is_whole_mp4(output)
    cut_short = tmp_path / "cut.mp4"
    cut_short.write_bytes(output.read_bytes()[: output.stat().st_size - 1000])
    assert not is_whole_mp4(cut_short), "what a full disk leaves is told apart"


def _ffmpeg_info(path: Path) -> str:
    import subprocess

    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result.stderr


# Phones first ------------------------------------------------------------------------------


def test_a_phone_frame_fills_with_a_wide_photo_whose_faces_fit_and_keeps_them_whole():
    landscape_with_face = ShotSubject(Subject(4000, 3000, (FACE,)))
    board = plan_storyboard([landscape_with_face], LOOKS["gentle"], size=(1080, 1920))
    shot = board.shots[1]
    assert not shot.fit, "filled, not shown small over its blur"
    assert shot.move_from.width / shot.move_from.height == pytest.approx(1080 / 1920, rel=0.01)
    for moment in np.linspace(shot.start, shot.end, 12):
        assert not cuts_a_face(window_at(shot, moment), [FACE])


def test_a_phone_frame_pans_across_a_wide_photo_without_faces():
    board = plan_storyboard([ShotSubject(Subject(4000, 3000))], LOOKS["gentle"],
                            size=(1080, 1920))  # fmt: skip
    shot = board.shots[1]
    assert not shot.fit
    assert (shot.move_from.width, shot.move_from.top) == (shot.move_to.width, shot.move_to.top)
    assert abs(shot.move_to.left - shot.move_from.left) > 1000, "the camera travels across"
    assert min(shot.move_from.left, shot.move_to.left) >= 0
    assert max(shot.move_from.right, shot.move_to.right) <= 4000


def test_a_group_too_wide_for_a_phone_frame_is_shown_whole():
    faces = ((1000, 600, 1400, 200), (1000, 3800, 1400, 3400))
    board = plan_storyboard([ShotSubject(Subject(4000, 3000, faces))], LOOKS["gentle"],
                            size=(1080, 1920))  # fmt: skip
    assert board.shots[1].fit


@pytest.mark.parametrize("size", [(1080, 1920), (1080, 1080), (1920, 1080)])
def test_card_words_stay_where_a_phone_does_not_cover_them(size):
    from PIL import Image, ImageDraw

    from memories.render.painter import card_words
    from memories.render.storyboard import text_area
    from memories.render.text import text_box

    memory = Memory(
        id="m", kind=MemoryKind.TRIP, title="A long weekend by the lakes of Annecy and Geneva",
        dates="3-9 Apr 2024", start=datetime(2024, 4, 3), end=datetime(2024, 4, 9),
        place="Annecy", people=("Ana", "Ben", "Chloé"), photos=(), cover=None,  # type: ignore[arg-type]
    )  # fmt: skip
    area = text_area(*size)
    draw = ImageDraw.Draw(Image.new("RGB", size))
    for kind in (ShotKind.TITLE, ShotKind.END):
        shot = Shot(kind, 0.0, 1.0, 0, False, Rect(0, 0, 1, 1), Rect(0, 0, 1, 1))
        for text, points, (middle, top) in card_words(memory, shot, *size):
            left, upper, right, lower = text_box(draw, (middle, top), text, points, anchor="ma")
            assert area.left <= left and right <= area.right, text
            assert area.top <= upper and lower <= area.bottom, text
    if size == (1080, 1920):
        assert area.bottom <= 1920 * 0.75 and area.right <= 1080 * 0.85


def test_a_years_numbers_come_as_cards_spread_between_its_photos():
    board = plan_storyboard(stills(9), LOOKS["gentle"], size=(1920, 1080), cards=3)
    kinds = [shot.kind for shot in board.shots]
    cards = [shot for shot in board.shots if shot.kind is ShotKind.CARD]
    assert [card.card for card in cards] == [0, 1, 2]
    positions = [index for index, kind in enumerate(kinds) if kind is ShotKind.CARD]
    assert positions[0] > 2 and positions[-1] < len(kinds) - 2, "between photos, not at the ends"
    assert min(b - a for a, b in itertools.pairwise(positions)) >= 3, "spread out"
    assert board.duration <= 60.5


def test_a_backdrop_fills_any_frame_from_a_photo_of_any_shape():
    """Rounding once put the crop a hair outside the photo (Pillow refused it): one photo
    size in twelve, at phone and landscape frames."""
    from memories.render.painter import _cover

    for width in range(100, 400, 7):
        for height in range(100, 400, 11):
            for frame in ((240, 135), (135, 240), (160, 90)):
                assert _cover(Image.new("RGB", (width, height)), frame).size == frame
