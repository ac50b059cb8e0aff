"""Recaps encoded for real and decoded back: cuts on the music's beats, a clip's own sound
with the music ducked under it, Live Photos that move, a trip's map, and what happens to
music, clips and encoders that do not work."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import catalogued
from PIL import Image

from memories.model import (
    Memory,
    MemoryKind,
    Motion,
    Photo,
    PhotoKind,
    Place,
    TimelinePhoto,
)
from memories.render.clips import ClipFrames, ClipSource, probe_clip
from memories.render.collage import subject_of
from memories.render.encoders import Encoder
from memories.render.music import decode_audio
from memories.render.outputs import RenderSettings, render_memories
from memories.render.storyboard import Look, ShotKind
from memories.render.templates import load_templates
from memories.render.video import VideoPlan, encode_video, plan_video

LOOK = replace(load_templates("video", Look)["gentle"], fps=25, short_edge=72)
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
BEAT = 0.5
"""The click track's beat: 120 bpm, its first click at CLICKS_FROM."""
CLICKS_FROM = 0.25
RATE = 44100


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-v", "error", "-y", *args], check=True)


def click_track(path: Path, seconds: float = 80.0) -> Path:
    """A low hum (110 Hz) with a click on every beat: music whose beats are known."""
    clicks = (f"0.8*exp(-60*mod(t-{CLICKS_FROM},{BEAT}))*gte(t,{CLICKS_FROM})"
              "*sin(2*PI*3000*t)")  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='0.3*sin(2*PI*110*t)+{clicks}':s={RATE}:d={seconds}",
           "-c:a", "pcm_s16le", str(path))  # fmt: skip
    return path


def talking_clip(path: Path, seconds: float = 4.0) -> Path:
    """A moving picture with a voice-like sound: a 700 Hz tone in syllables."""
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=96x64:rate=25:duration={seconds}",
           "-f", "lavfi", "-i",
           f"aevalsrc='0.5*sin(2*PI*700*t)*(0.6+0.4*sin(2*PI*4*t))':s={RATE}:d={seconds}",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
           str(path))  # fmt: skip
    return path


def memory_of(sources: list[Photo], kind: MemoryKind = MemoryKind.EVENT,
              places: list[Place | None] | None = None) -> Memory:  # fmt: skip
    start = datetime(2024, 6, 14, 12)
    timeline = tuple(
        TimelinePhoto(
            path_text=photo.path_text, content_hash=photo.content_hash,
            kind=PhotoKind.VIDEO if photo.kind is PhotoKind.VIDEO else PhotoKind.PHOTO,
            local_time=start + timedelta(minutes=n), instant=1718366400.0 + 60 * n,
            gps=None, place=places[n] if places else None, score=0.7, dhash=None,
            landscape=photo.width > photo.height,
        )
        for n, photo in enumerate(sources)
    )  # fmt: skip
    return Memory(id="recap", kind=kind, title="A day of tests", dates="14 Jun 2024",
                  start=timeline[0].local_time, end=timeline[-1].local_time, place="Lyon",
                  people=(), photos=timeline, cover=timeline[0])  # fmt: skip


def planned(sources: list[Photo], memory: Memory, **options) -> VideoPlan:
    photos = {photo.content_hash: photo for photo in sources}
    subjects = {p.content_hash: subject_of(p, photos[p.content_hash])
                for p in memory.photos if p.kind is PhotoKind.PHOTO}  # fmt: skip
    return plan_video(memory, photos, subjects, LOOK, size=LOOK.frame_size("16:9"), **options)


def flat_photos(make_photo, count: int) -> list[Photo]:
    colours = [(220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 210, 30), (200, 40, 200),
               (30, 200, 200), (240, 140, 20), (120, 120, 120)]  # fmt: skip
    return [catalogued(make_photo(f"IMG_{n}.jpg", size=(160, 90), color=colours[n % 8]))
            for n in range(count)]  # fmt: skip


def decoded_frames(path: Path) -> np.ndarray:
    source = ClipSource.of_file(path)
    info = probe_clip(source)
    count = round(info.duration * LOOK.fps)
    with ClipFrames(source, info, fps=LOOK.fps) as frames:
        return np.stack([frames.frame_at(n / LOOK.fps) for n in range(count)]).astype(np.float32)


def band_level(sound: np.ndarray, hertz: float, start: float, end: float) -> float:
    """dB of the `hertz` component in [start, end) of a mono track at RATE."""
    part = sound[int(start * RATE) : int(end * RATE)]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
    bins = np.fft.rfftfreq(len(part), 1 / RATE)
    near = (bins > hertz * 0.95) & (bins < hertz * 1.05)
    return float(20 * np.log10(spectrum[near].max() + 1e-9))


def test_cuts_fall_on_the_beats_and_the_music_dips_under_a_talking_clip(make_photo, tmp_path):
    sources = flat_photos(make_photo, 6)
    sources.insert(3, catalogued(talking_clip(tmp_path / "photos" / "VID_1.mp4")))
    memory = memory_of(sources)
    plan = planned(sources, memory, music=click_track(tmp_path / "clicks.wav"))
    output = tmp_path / "recap.mp4"
    assert encode_video(plan, memory, output, threads=1) == [] and not plan.notes

    board = plan.storyboard
    frames = decoded_frames(output)
    change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    hard_cuts = [shot for shot in board.shots[1:]
                 if shot.fade == 0 and shot.kind is ShotKind.PHOTO]  # fmt: skip
    assert len(hard_cuts) >= 3, "the track is loud throughout: cuts are hard"
    for shot in hard_cuts:
        nearest_beat = CLICKS_FROM + round((shot.start - CLICKS_FROM) / BEAT) * BEAT
        assert abs(shot.start - nearest_beat) < 1 / LOOK.fps, f"{shot.start} is off the beat"
        seen = int(np.argmax(change[max(0, round(shot.start * LOOK.fps) - 3) :][:7]))
        seen += max(0, round(shot.start * LOOK.fps) - 3) + 1  # the first frame of the new shot
        assert abs(seen / LOOK.fps - nearest_beat) <= 1 / LOOK.fps + 1e-6, (
            f"the picture changes at {seen / LOOK.fps:.2f} s, the beat is at {nearest_beat}"
        )

    clip = next(shot for shot in board.shots if shot.kind is ShotKind.CLIP)
    assert clip.sound
    sound = decode_audio(output, RATE, 1)[:, 0]
    inside = (clip.start + 0.6, clip.end - 0.6)
    before = (max(0.5, clip.start - 3.0), clip.start - 0.6)
    assert band_level(sound, 700, *inside) > band_level(sound, 700, *before) + 20, (
        "the clip's own voice plays while it is on screen"
    )
    assert band_level(sound, 110, *inside) < band_level(sound, 110, *before) - 6, (
        "the music is ducked under it"
    )
    after = (clip.end + 1.0, clip.end + 3.0)
    assert band_level(sound, 110, *after) > band_level(sound, 110, *inside) + 6, "and comes back"


def test_music_that_does_not_decode_is_named_and_the_recap_is_made_without_it(
    make_photo, tmp_path
):
    sources = flat_photos(make_photo, 3)
    memory = memory_of(sources)
    broken = tmp_path / "song.mp3"
    broken.write_bytes(b"ID3" + bytes(range(256)) * 40)
    plan = planned(sources, memory, music=broken)
    assert plan.music is None and [note.left_out for note in plan.notes] == [True]
    assert "song.mp3" in plan.notes[0].reason and "no music" in plan.notes[0].reason
    output = tmp_path / "recap.mp4"
    encode_video(plan, memory, output, threads=1)
    assert "Audio:" not in _report(output)


def test_music_shorter_than_the_recap_plays_again_and_says_so(make_photo, tmp_path):
    sources = flat_photos(make_photo, 6)
    memory = memory_of(sources)
    plan = planned(sources, memory, music=click_track(tmp_path / "short.wav", seconds=8.0))
    assert plan.music_loops and [note.left_out for note in plan.notes] == [False]
    assert "plays again" in plan.notes[0].reason
    output = tmp_path / "recap.mp4"
    encode_video(plan, memory, output, threads=1)
    sound = decode_audio(output, RATE, 1)[:, 0]
    windows = sound[: len(sound) // RATE * RATE].reshape(-1, RATE)
    assert np.sqrt((windows[1:-3] ** 2).mean(axis=1)).min() > 0.05, "no silence after 8 s"


def test_a_clip_that_does_not_decode_is_left_out_with_its_reason(make_photo, tmp_path):
    sources = flat_photos(make_photo, 3)
    clip = talking_clip(tmp_path / "photos" / "VID_2.mp4")
    video = catalogued(clip)
    data = clip.read_bytes()
    clip.write_bytes(data[:48] + bytes(len(data) - 48))  # the same size, its frames gone
    sources.append(video)
    plan = planned(sources, memory_of(sources))
    assert [shot.kind for shot in plan.storyboard.shots].count(ShotKind.CLIP) == 0
    assert len(plan.notes) == 1 and plan.notes[0].left_out
    assert plan.notes[0].path == str(clip) and "left out of the recap" in plan.notes[0].reason


def test_a_live_photo_plays_its_motion(make_photo, tmp_path):
    sources = flat_photos(make_photo, 3)
    motion = tmp_path / "photos" / "IMG_1.MOV"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=3", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(motion))  # fmt: skip
    sources[1] = sources[1]._replace(motion=Motion(str(motion)))
    memory = memory_of(sources)
    plan = planned(sources, memory)
    live = next(shot for shot in plan.storyboard.shots if shot.kind is ShotKind.LIVE)
    assert live.source == 1 and live.duration == pytest.approx(3.0, abs=0.05)
    output = tmp_path / "recap.mp4"
    encode_video(plan, memory, output, threads=1)
    frames = decoded_frames(output)
    moving = frames[round((live.start + live.fade + 0.1) * LOOK.fps) :
                    round((live.end - 0.9) * LOOK.fps)]  # fmt: skip
    assert np.abs(np.diff(moving, axis=0)).mean() > 1.0, "its frames move"
    assert frames[round((live.start + 1) * LOOK.fps)].std() > 20, "the motion, not a flat still"


def test_a_live_photos_motion_of_another_shape_leaves_the_photo_a_still(make_photo, tmp_path):
    sources = flat_photos(make_photo, 3)
    motion = tmp_path / "photos" / "IMG_1.MOV"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=90x160:rate=25:duration=3", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(motion))  # fmt: skip
    sources[1] = sources[1]._replace(motion=Motion(str(motion)))
    plan = planned(sources, memory_of(sources))
    kinds = [shot.kind for shot in plan.storyboard.shots]
    assert ShotKind.LIVE not in kinds and kinds.count(ShotKind.PHOTO) == 3


def test_a_trip_opens_on_its_route_map(make_photo, tmp_path):
    sources = flat_photos(make_photo, 4)
    lyon = Place("Lyon", None, "France", "FR", 45.76, 4.84)
    annecy = Place("Annecy", None, "France", "FR", 45.90, 6.13)
    memory = memory_of(sources, MemoryKind.TRIP, [lyon, lyon, annecy, annecy])
    plan = planned(sources, memory)
    kinds = [shot.kind for shot in plan.storyboard.shots]
    assert kinds[:2] == [ShotKind.TITLE, ShotKind.MAP]
    assert [stop.name for stop in plan.route or ()] == ["Lyon", "Annecy"]
    output = tmp_path / "recap.mp4"
    encode_video(plan, memory, output, threads=1)
    shown = plan.storyboard.shots[1]
    frame = decoded_frames(output)[round((shown.start + shown.duration / 2) * LOOK.fps)]
    assert frame.std() > 5, "a map, not a flat card"


def test_a_hardware_encoder_that_fails_leaves_the_video_to_libx264(make_photo, tmp_path):
    sources = flat_photos(make_photo, 2)
    memory = memory_of(sources)
    plan = planned(sources, memory)
    failing = Encoder("broken", "h264_no_such_encoder", True, "an encoder this ffmpeg lacks")
    output = tmp_path / "recap.mp4"
    notes = encode_video(plan, memory, output, threads=1, encoder=failing)
    assert len(notes) == 1 and not notes[0].left_out
    assert "h264_no_such_encoder failed" in notes[0].reason and "libx264" in notes[0].reason
    assert "h264" in _report(output) and "yuv420p" in _report(output)


def _report(path: Path) -> str:
    run = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True,
                         text=True, check=False)  # fmt: skip
    return run.stderr


def test_a_rendered_trip_has_its_map_and_its_route_in_memory_json(make_photo, tmp_path):
    sources = flat_photos(make_photo, 4)
    lyon = Place("Lyon", None, "France", "FR", 45.76, 4.84)
    annecy = Place("Annecy", None, "France", "FR", 45.90, 6.13)
    memory = memory_of(sources, MemoryKind.TRIP, [lyon, lyon, annecy, annecy])
    root = tmp_path / "library"
    report = render_memories([memory], {p.content_hash: p for p in sources}, root,
                             RenderSettings(video=False, long_edge=256))  # fmt: skip
    assert report.new == ["recap"]
    record = json.loads((root / "recap" / "memory.json").read_text())
    assert record["outputs"]["map"] == "map.jpg" and record["route"] == ["Lyon", "Annecy"]
    assert "Lyon → Annecy" in (root / "recap" / "index.html").read_text()
    with Image.open(root / "recap" / "map.jpg") as drawn:
        assert drawn.size == (1600, 900) and not drawn.getexif(), "no GPS in the file"
    drawn_before = {name: (root / "recap" / name).read_bytes()
                    for name in ("map.jpg", "cover.jpg", "collage.jpg")}  # fmt: skip
    german = replace(memory, title="Reise nach Annecy", dates="3.–9. Apr. 2024", language="de")
    report = render_memories([german], {p.content_hash: p for p in sources}, root,
                             RenderSettings(video=False, long_edge=256, language="de"))  # fmt: skip
    assert report.updated == ["recap"]
    drawn_after = {name: (root / "recap" / name).read_bytes() for name in drawn_before}
    assert drawn_after["map.jpg"] == drawn_before["map.jpg"], "a map has no words to change"
    assert drawn_after["cover.jpg"] == drawn_before["cover.jpg"]
    assert drawn_after["collage.jpg"] != drawn_before["collage.jpg"], "its title band did"


def test_number_cards_share_the_blurred_cover_but_not_each_others_words(make_photo):
    from memories.model import Insight
    from memories.render.painter import Painter

    sources = flat_photos(make_photo, 6)
    numbers = (Insight("days", "143 days with photos", "in 9 months", 143, ()),
               Insight("streak", "12 days in a row", "3-14 August", 12, ()))  # fmt: skip
    memory = replace(memory_of(sources, MemoryKind.YEAR), insights=numbers)
    plan = planned(sources, memory)
    cards = [shot for shot in plan.storyboard.shots if shot.kind is ShotKind.CARD]
    assert [card.card for card in cards] == [0, 1]
    moments = [shot.start + shot.duration / 2 for shot in cards]
    painter, alone = Painter(plan, memory), Painter(plan, memory)
    first, second = painter.frame(moments[0]), painter.frame(moments[1])
    assert not np.array_equal(first, second)
    assert np.array_equal(second, alone.frame(moments[1])), "no words left by the card before"
    painter.close()
    alone.close()
