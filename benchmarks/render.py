"""Render speed: our recap video against an ffmpeg-only slideshow, and collage times.

    python benchmarks/render.py [--photos 30] [--preset veryfast]

On the same phone-sized photos (12 MP JPEGs with faces, made once by faces_speed.py's
generator and cached under benchmarks/.cache/), in one run:
  - ours: the recap video `memories build` makes (1920x1080, 30 fps, the gentle look: camera
    moves towards faces, portraits whole over their blur, crossfades), encoded with libx264;
  - baseline: the same shots with the same durations and crossfades through ffmpeg alone:
    each photo scaled and centre-cropped to 16:9, `zoompan` into its centre, `xfade` between
    shots, libx264 at the same preset and quality;
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
from memories.model import Memory, MemoryKind, Photo, PhotoKind, TimelinePhoto
from memories.parallel import map_in_batches
from memories.render.collage import draw_collage, plan_collage, subject_of
from memories.render.files import save_jpeg
from memories.render.framing import Rect, cuts_a_face
from memories.render.layout import LayoutTemplate
from memories.render.storyboard import Look, ShotKind, Storyboard, window_at
from memories.render.templates import load_templates
from memories.render.video import encode_video, plan_video

ZOOM = 1.15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--preset", default="veryfast")
    args = parser.parse_args()

    photos, _ = make_roll(CACHE / f"faces-{args.photos}", args.photos)
    print(f"{len(photos)} photos of {photos[0].width}x{photos[0].height}, cores: {os.cpu_count()}")
    memory, by_hash = memory_of(photos)
    look = replace(load_templates("video", Look)["gentle"], preset=args.preset)
    subjects = {p.content_hash: subject_of(p, by_hash[p.content_hash]) for p in memory.photos}
    plan = plan_video(memory, by_hash, subjects, look, size=look.frame_size("16:9"))
    board = plan.storyboard
    print(f"recap: {len(board.shots)} shots, {board.duration:.1f} s at {board.fps} fps, "
          f"1920x1080, libx264 preset {look.preset}, crf {look.crf}\n")  # fmt: skip

    with tempfile.TemporaryDirectory() as scratch:
        ours_path, base_path = Path(scratch) / "ours.mp4", Path(scratch) / "baseline.mp4"
        started = time.perf_counter()
        encode_video(plan, memory, ours_path, threads=os.cpu_count() or 2)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        ffmpeg_slideshow(board, plan.sources, base_path, look)
        baseline = time.perf_counter() - started
        for label, seconds, path in (("ours", ours, ours_path), ("baseline", baseline, base_path)):
            rate = board.duration * board.fps / seconds
            size = path.stat().st_size / 1e6
            print(f"{label:>9}: {seconds:6.1f} s, {rate:5.1f} frames/s, "
                  f"{frames_in(path)} frames, {size:.1f} MB")  # fmt: skip
        print(f"    ratio: ours takes {ours / baseline:.2f}x the baseline's time (target <= 1.5x)")

    ours_whole, base_whole = faces_kept(board, plan.sources, subjects_faces(memory))
    print(f"\nfaces whole in frame: ours {ours_whole:.1%}, baseline {base_whole:.1%} "
          "(share of face appearances over sampled frames of photo shots)")

    print("\ncollages (plan + draw + save, 2048 px):")
    layouts = load_templates("collage", LayoutTemplate)
    with tempfile.TemporaryDirectory() as scratch:
        for name in sorted(layouts):
            started = time.perf_counter()
            collage = plan_collage(memory, by_hash, layouts, layout=name)
            assert collage is not None
            save_jpeg(draw_collage(collage, memory), Path(scratch) / f"{name}.jpg")
            print(f"  {name:>7}: {time.perf_counter() - started:.2f} s "
                  f"({len(collage.photos)} photos)")  # fmt: skip


def memory_of(photos: list[Photo]) -> tuple[Memory, dict[str, Photo]]:
    """A memory of every photo, with the faces our face stage finds on them."""
    found = map_in_batches(find_faces_many, photos, os.cpu_count() or 1, batch_size=2,
                           parallel_from=2)  # fmt: skip
    start = datetime(2024, 6, 14, 10)
    timeline = []
    for number, (photo, faces) in enumerate(found):
        boxes = tuple(("1", face.box) for face in faces) if isinstance(faces, list) else ()
        timeline.append(TimelinePhoto(
            path_text=photo.path_text, content_hash=photo.content_hash, kind=PhotoKind.PHOTO,
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


def subjects_faces(memory: Memory) -> list[tuple[tuple[int, int, int, int], ...]]:
    return [tuple(box for _, box in photo.faces) for photo in memory.photos]


def ffmpeg_slideshow(board: Storyboard, sources, path: Path, look: Look) -> None:
    """The same shots, durations and crossfades, with ffmpeg's own filters only."""
    width, height = board.width, board.height
    inputs: list[str] = []
    chains: list[str] = []
    for index, shot in enumerate(board.shots):
        frames = round(shot.duration * board.fps)
        inputs += ["-i", str(sources[shot.source].path)]
        big_w, big_h = round(width * ZOOM * 1.2 / 2) * 2, round(height * ZOOM * 1.2 / 2) * 2
        chains.append(
            f"[{index}:v]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,"
            f"crop={big_w}:{big_h},zoompan=z='1+{ZOOM - 1}*on/{frames}':"
            f"x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d={frames}:s={width}x{height}:"
            f"fps={board.fps},format=yuv420p,settb=AVTB[v{index}]"
        )
    previous = "v0"
    for index, shot in enumerate(board.shots[1:], start=1):
        chains.append(f"[{previous}][v{index}]xfade=transition=fade:duration={board.crossfade}:"
                      f"offset={shot.start:.3f}[x{index}]")  # fmt: skip
        previous = f"x{index}"
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *inputs,
        "-filter_complex", ";".join(chains), "-map", f"[{previous}]", "-c:v", "libx264",
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
        if shot.kind is not ShotKind.PHOTO or not faces[shot.source]:
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
