"""Render speed: our recap video against an ffmpeg-only slideshow, and collage times.

    python benchmarks/render.py [--photos 30] [--preset veryfast] [--aspect 16:9]
                                [--encoder nvenc]

On the same phone-sized photos (12 MP JPEGs with faces, made once by faces_speed.py's
generator and cached under benchmarks/.cache/), a 1080p video clip with sound and a music
track (both generated once into the same cache), in one run:
  - ours: the recap `memories build` makes (1920x1080, 30 fps, the gentle look: cuts on the
    music's beats, camera moves towards faces, portraits whole over their blur, the clip's
    best seconds with its own sound and the music ducked under it), timed from reading the
    clip and the music to the finished file, encoded with libx264;
  - baseline: the same shots with the same durations and fades through ffmpeg alone: each
    photo scaled and centre-cropped, `zoompan` into its centre, the clip's same seconds
    cropped, `xfade` between shots, the music laid under with a fade out, libx264 at the
    same preset and quality;
  - with --encoder: ours again with that encoder (nvenc, qsv, vaapi, amf), against libx264;
  - how often each keeps every face whole in frame (sampled over each shot's frames);
  - each collage layout, planned, drawn and saved at 2048 px.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import imageio_ffmpeg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faces_speed import CACHE, make_roll

from memories.analyze.faces import find_faces_many
from memories.model import FileEntry, Memory, MemoryKind, Photo, PhotoKind, TimelinePhoto
from memories.parallel import map_in_batches
from memories.render.collage import draw_collage, plan_collage, subject_of
from memories.render.encoders import ENCODERS
from memories.render.files import save_jpeg
from memories.render.framing import Rect, cuts_a_face
from memories.render.layout import LayoutTemplate
from memories.render.storyboard import Look, ShotKind, Storyboard, window_at
from memories.render.templates import load_templates
from memories.render.video import VideoPlan, encode_video, plan_video
from memories.scan.metadata import read_media

ZOOM = 1.15
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--aspect", default="16:9", choices=("16:9", "9:16", "1:1"))
    parser.add_argument("--encoder", choices=sorted(set(ENCODERS) - {"libx264"}))
    args = parser.parse_args()

    photos, _ = make_roll(CACHE / f"faces-{args.photos}", args.photos)
    clip, music = media(CACHE / "recap-media")
    print(f"{len(photos)} photos of {photos[0].width}x{photos[0].height}, a clip of "
          f"{clip.width}x{clip.height} ({clip.duration:.0f} s, with sound), a music track; "
          f"cores: {os.cpu_count()}")  # fmt: skip
    memory, by_hash = memory_of([*photos[:len(photos) // 2], clip, *photos[len(photos) // 2:]])
    look = replace(load_templates("video", Look)["gentle"], preset=args.preset)
    subjects = {p.content_hash: subject_of(p, by_hash[p.content_hash])
                for p in memory.photos if p.kind is PhotoKind.PHOTO}  # fmt: skip

    def planned() -> VideoPlan:
        return plan_video(memory, by_hash, subjects, look, size=look.frame_size(args.aspect),
                          music=music)  # fmt: skip

    with tempfile.TemporaryDirectory() as scratch:
        ours_path, base_path = Path(scratch) / "ours.mp4", Path(scratch) / "baseline.mp4"
        started = time.perf_counter()
        plan = planned()
        planning = time.perf_counter() - started
        encode_video(plan, memory, ours_path, threads=os.cpu_count() or 2)
        ours = time.perf_counter() - started
        board = plan.storyboard
        print(f"recap: {len(board.shots)} shots, {board.duration:.1f} s at {board.fps} fps, "
              f"{board.width}x{board.height}, {sum(s.fade == 0 for s in board.shots[1:])} cuts "
              f"on beats, libx264 preset {look.preset}, crf {look.crf}\n")  # fmt: skip
        started = time.perf_counter()
        ffmpeg_slideshow(plan, base_path, look)
        baseline = time.perf_counter() - started
        for label, seconds, path in (("ours", ours, ours_path), ("baseline", baseline, base_path)):
            rate = board.duration * board.fps / seconds
            size = path.stat().st_size / 1e6
            print(f"{label:>9}: {seconds:6.1f} s, {rate:5.1f} frames/s, "
                  f"{frames_in(path)} frames, {size:.1f} MB")  # fmt: skip
        print(f"           (ours: {planning:.1f} s reading the clip and the music, "
              f"{ours - planning:.1f} s painting and encoding)")  # fmt: skip
        print(f"    ratio: ours takes {ours / baseline:.2f}x the baseline's time (target <= 1.2x)")
        if args.encoder:
            hardware = ENCODERS[args.encoder]
            started = time.perf_counter()
            notes = encode_video(planned(), memory, Path(scratch) / "hw.mp4",
                                 threads=os.cpu_count() or 2, encoder=hardware)  # fmt: skip
            fast = time.perf_counter() - started
            print(f"{hardware.codec:>9}: {fast:6.1f} s; libx264 takes {ours / fast:.2f}x as long "
                  f"(target >= 3x){'; ' + notes[0].reason if notes else ''}")  # fmt: skip

    ours_whole, base_whole = faces_kept(board, plan.sources, subjects_faces(memory, plan))
    print(f"\nfaces whole in frame: ours {ours_whole:.1%}, baseline {base_whole:.1%} "
          "(share of face appearances over sampled frames of photo shots; target >= 98%)")

    print("\ncollages (plan + draw + save, 2048 px):")
    layouts = load_templates("collage", LayoutTemplate)
    stills = replace(memory, photos=tuple(p for p in memory.photos if p.kind is PhotoKind.PHOTO))
    with tempfile.TemporaryDirectory() as scratch:
        for name in sorted(layouts):
            started = time.perf_counter()
            collage = plan_collage(stills, by_hash, layouts, layout=name)
            assert collage is not None
            save_jpeg(draw_collage(collage, stills), Path(scratch) / f"{name}.jpg")
            print(f"  {name:>7}: {time.perf_counter() - started:.2f} s "
                  f"({len(collage.photos)} photos)")  # fmt: skip


def media(folder: Path) -> tuple[Photo, Path]:
    """A 1080p clip of 12 s whose action and talking are in its middle, and 3 minutes of
    music at 112 bpm: generated once."""
    folder.mkdir(parents=True, exist_ok=True)
    clip, music = folder / "VID_0001.mp4", folder / "music.m4a"
    if not clip.exists():
        voice = "0.4*sin(2*PI*600*t)*(0.6+0.4*sin(2*PI*5*t))*between(t,4,8)"
        subprocess.run([
            FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
            "testsrc2=size=1920x1080:rate=30:duration=12", "-f", "lavfi", "-i",
            f"aevalsrc='{voice}+0.01*sin(2*PI*90*t)':s=48000:d=12", "-c:v", "libx264",
            "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip),
        ], check=True)  # fmt: skip
    if not music.exists():
        beat = 60 / 112
        kick = f"0.9*exp(-30*mod(t,{beat}))*sin(2*PI*60*t)"
        hat = f"0.2*exp(-80*mod(t+{beat / 2},{beat}))*sin(2*PI*5000*t)"
        pad = "0.15*sin(2*PI*220*t)*(0.5+0.5*sin(2*PI*t/16))"
        subprocess.run([
            FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
            f"aevalsrc='{kick}+{hat}+{pad}':s=44100:d=180", "-c:a", "aac", "-b:a", "160k",
            str(music),
        ], check=True)  # fmt: skip
    stat = clip.stat()
    photo = read_media(FileEntry(str(clip), stat.st_size, stat.st_mtime_ns))
    assert isinstance(photo, Photo), photo
    return photo, music


def memory_of(photos: list[Photo]) -> tuple[Memory, dict[str, Photo]]:
    """A memory of every photo and clip, with the faces our face stage finds on the photos."""
    stills = [photo for photo in photos if photo.kind is PhotoKind.PHOTO]
    found = dict(map_in_batches(find_faces_many, stills, os.cpu_count() or 1, batch_size=2,
                                parallel_from=2))  # fmt: skip
    start = datetime(2024, 6, 14, 10)
    timeline = []
    for number, photo in enumerate(photos):
        faces = found.get(photo)
        boxes = tuple(("1", face.box) for face in faces) if isinstance(faces, list) else ()
        timeline.append(TimelinePhoto(
            path_text=photo.path_text, content_hash=photo.content_hash, kind=photo.kind,
            local_time=start + timedelta(minutes=number), instant=1718359200.0 + 60 * number,
            gps=None, place=None, score=0.7, dhash=None, landscape=photo.width > photo.height,
            people=frozenset({"1"}) if boxes else frozenset(), faces=boxes,
        ))  # fmt: skip
    memory = Memory(
        id="benchmark", kind=MemoryKind.EVENT, title="A day of thirty photos",
        dates="14 Jun 2024", start=timeline[0].local_time, end=timeline[-1].local_time,
        place="Lyon", people=(), photos=tuple(timeline), cover=timeline[0],
    )  # fmt: skip
    return memory, {photo.content_hash: photo for photo in photos}


def subjects_faces(memory: Memory, plan: VideoPlan) -> list[tuple[tuple[int, int, int, int], ...]]:
    """The faces of each of the plan's sources, by its index."""
    faces = {photo.content_hash: tuple(box for _, box in photo.faces) for photo in memory.photos}
    return [faces[source.content_hash] for source in plan.sources]


def ffmpeg_slideshow(plan: VideoPlan, path: Path, look: Look) -> None:
    """The same shots, durations and fades, with ffmpeg's own filters only, and the music
    under them."""
    board = plan.storyboard
    width, height = board.width, board.height
    frame = 1 / board.fps
    inputs: list[str] = []
    chains: list[str] = []
    # in whole frames, so that each fade starts exactly where the stream before it allows:
    # a shot lasts until the next one's fade ends (a hard cut fades over one frame)
    starts = [round(shot.start * board.fps) for shot in board.shots]
    fades = [max(1, round(shot.fade * board.fps)) for shot in board.shots]
    for index, shot in enumerate(board.shots):
        if index + 1 < len(board.shots):
            frames = starts[index + 1] + fades[index + 1] - starts[index]
        else:
            frames = round(shot.duration * board.fps)
        seconds = frames / board.fps
        source = plan.sources[shot.source].path
        big_w, big_h = round(width * ZOOM * 1.2 / 2) * 2, round(height * ZOOM * 1.2 / 2) * 2
        if shot.kind is ShotKind.CLIP:
            inputs += ["-ss", f"{shot.clip_from:.3f}", "-t", f"{seconds:.3f}",
                       "-i", str(source)]  # fmt: skip
            chains.append(
                f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=increase,"
                f"crop={width}:{height},fps={board.fps},format=yuv420p,settb=AVTB[v{index}]"
            )
            continue
        inputs += ["-i", str(source)]
        chains.append(
            f"[{index}:v]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,"
            f"crop={big_w}:{big_h},zoompan=z='1+{ZOOM - 1}*on/{frames}':"
            f"x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d={frames}:s={width}x{height}:"
            f"fps={board.fps},format=yuv420p,settb=AVTB[v{index}]"
        )
    previous = "v0"
    for index in range(1, len(board.shots)):
        # a quarter frame early: a time rounded up past its frame's would never come
        chains.append(f"[{previous}][v{index}]xfade=transition=fade:"
                      f"duration={fades[index] * frame:.6f}:"
                      f"offset={(starts[index] - 0.25) * frame:.6f}[x{index}]")  # fmt: skip
        previous = f"x{index}"
    audio: list[str] = []
    if plan.music is not None:
        inputs += ["-i", str(plan.music)]
        fade_from = max(0.0, board.duration - 3)
        chains.append(f"[{len(board.shots)}:a]atrim=0:{board.duration:.3f},"
                      f"afade=t=out:st={fade_from:.3f}:d=3[music]")  # fmt: skip
        audio = ["-map", "[music]", "-c:a", "aac", "-b:a", "160k"]
    command = [
        FFMPEG, "-y", "-loglevel", "error", *inputs,
        "-filter_complex", ";".join(chains), "-map", f"[{previous}]", *audio, "-c:v", "libx264",
        "-preset", look.preset, "-crf", str(look.crf), "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True)


def frames_in(path: Path) -> int:
    return imageio_ffmpeg.count_frames_and_secs(str(path))[0]


def faces_kept(board: Storyboard, sources, faces) -> tuple[float, float]:
    """Share of (face, sampled frame) pairs where the face is whole in frame: ours (from the
    storyboard's windows) and the baseline's (a centre crop zooming into the centre)."""
    ours = base = total = 0
    aspect = board.width / board.height
    for shot in board.shots:
        if shot.kind not in (ShotKind.PHOTO, ShotKind.LIVE) or not faces[shot.source]:
            continue
        photo = sources[shot.source]
        for moment in np.linspace(shot.start, shot.end, 10):
            window = window_at(shot, moment)
            progress = (moment - shot.start) / shot.duration
            zoom = 1 + (ZOOM - 1) * progress
            baseline_window = centre_zoom(photo.width, photo.height, aspect, zoom)
            for face in faces[shot.source]:
                total += 1
                ours += whole(window, face)
                base += whole(baseline_window, face)
    return ours / max(total, 1), base / max(total, 1)


def centre_zoom(width: int, height: int, aspect: float, zoom: float) -> Rect:
    crop_w = min(width, height * aspect) / zoom
    crop_h = crop_w / aspect
    return Rect((width - crop_w) / 2, (height - crop_h) / 2, crop_w, crop_h)


def whole(window: Rect, face: tuple[int, int, int, int]) -> bool:
    top, right, bottom, left = face
    inside = (left >= window.left and right <= window.right and top >= window.top
              and bottom <= window.bottom)  # fmt: skip
    return inside and not cuts_a_face(window, [face])


if __name__ == "__main__":
    main()
