"""Recap videos: what a memory's recap is made of (its clips and their best seconds, the
Live Photos' motions, the music's beats, a trip's route), its storyboard
(render/storyboard.py), and its encoding: frames painted (render/painter.py) and piped to
the ffmpeg that imageio-ffmpeg ships, with a soundtrack of the music ducked under the clips'
own sound; H.264, yuv420p, faststart, so that it plays in every browser and phone, on this
machine's hardware encoder when one works (render/encoders.py)."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from memories.errors import ConfigError, MemoriesError
from memories.model import Memory, Photo, PhotoKind
from memories.render.framing import Subject
from memories.render.location import MP4_LOCATION_KEY, Point, iso6709
from memories.render.storyboard import Look, ShotKind, ShotSubject, Storyboard, plan_storyboard

if TYPE_CHECKING:
    from memories.render.clips import ClipInfo, ClipSource
    from memories.render.encoders import Encoder
    from memories.render.music import MusicAnalysis
    from memories.render.trip_map import Stop
    from memories.render.veil import Veil

MUSIC_SUFFIXES = (".mp3", ".m4a", ".aac", ".wav", ".ogg", ".oga", ".opus", ".flac")
AUDIO_RATE = 44100
LOOP_CROSSFADE_S = 2.0
"""A track shorter than its recap plays again, crossfading into itself over this long."""
MUSIC_ROOM = 1.3
"""Music must last this many times the unmusical storyboard to play without a loop: the
cuts on its beats may lengthen the recap."""
LIVE_SHAPE_TOLERANCE = 0.03
"""A Live Photo's motion plays only when its shape is the still's (within this share)."""
FULL_DISK_BYTES = 4 * 1024 * 1024
"""Less space than this left beside a video ffmpeg did not finish means the disk is full."""
FFMPEG_TIMEOUT_S = 3600


@dataclass(frozen=True, slots=True)
class VideoNote:
    """Something a recap left out or did otherwise than asked, in one line."""

    path: str
    reason: str
    left_out: bool
    """A file left out of the recap (the run exits 1); else a change, such as a looped
    track or another encoder."""


@dataclass(frozen=True, slots=True)
class Moving:
    """A clip, or a Live Photo's motion, as the painter reads it."""

    source: ClipSource
    info: ClipInfo


@dataclass(frozen=True, slots=True)
class VideoPlan:
    """A recap before it is frames: its storyboard, what each shot shows, and its music."""

    storyboard: Storyboard
    sources: tuple[Photo, ...]
    look: Look
    music: Path | None
    music_loops: bool = False
    moving: Mapping[int, Moving] = field(default_factory=dict)
    """The clips and Live Photo motions, by the index of their source."""
    route: tuple[Stop, ...] | None = None
    """A trip's stops, for its map."""
    notes: tuple[VideoNote, ...] = ()
    veil: Veil | None = None
    """Faces to blur in its stills and clips (a shared copy's strangers)."""


def plan_video(
    memory: Memory,
    photos: Mapping[str, Photo],
    subjects: Mapping[str, Subject],
    look: Look,
    *,
    size: tuple[int, int],
    music: Path | None = None,
    route_map: bool = True,
) -> VideoPlan:
    """The storyboard for a memory's photos and clips, in time order, opening on its cover
    (after a trip's map), cut on the music's beats when it has music. Reads each clip (to
    find its best seconds; one the bundled ffmpeg cannot decode is left out) and the music
    (one that cannot be decoded is left out; one shorter than the recap loops). `subjects`
    gives the framing of each still photo by content hash. Without `route_map`, a trip's
    recap shows no map."""
    from memories.render.clip_scores import score_clip
    from memories.render.clips import ClipSource, ClipUnusable, probe_clip
    from memories.render.trip_map import trip_stops

    notes: list[VideoNote] = []
    sources: list[Photo] = []
    shot_subjects: list[ShotSubject] = []
    moving: dict[int, Moving] = {}
    cover = 0
    for photo in memory.photos:
        if photo.kind not in (PhotoKind.PHOTO, PhotoKind.VIDEO):
            continue
        source = photos[photo.content_hash]
        if photo.kind is PhotoKind.VIDEO:
            try:
                clip = ClipSource.of_file(source.path)
                info = probe_clip(clip)
                scores = score_clip(clip, info)
            except ClipUnusable as error:
                notes.append(VideoNote(source.path_text, f"left out of the recap: {error}", True))
                continue
            moving[len(sources)] = Moving(clip, info)
            shot_subject = ShotSubject(Subject(info.width, info.height),
                                       clip_seconds=info.duration, scores=scores,
                                       sound=info.has_audio)  # fmt: skip
        else:
            shot_subject = ShotSubject(subjects[photo.content_hash])
            if (motion := _live_motion(source)) is not None:
                moving[len(sources)] = motion
                shot_subject = replace(shot_subject, motion_seconds=motion.info.duration)
        if photo == memory.cover:
            cover = len(sources)
        sources.append(source)
        shot_subjects.append(shot_subject)
    if sources and sources[cover].kind is PhotoKind.VIDEO:
        cover = next((i for i, p in enumerate(sources) if p.kind is PhotoKind.PHOTO), cover)
    route = (trip_stops(memory) or None) if route_map else None  # one town: where it is
    cards = len(memory.insights)
    board = plan_storyboard(shot_subjects, look, size=size, cover=cover,
                            route_map=route is not None, cards=cards)  # fmt: skip
    rhythm, loops = None, False
    if music is not None:
        rhythm, loops, music_notes = _rhythm(music, board.duration * MUSIC_ROOM)
        notes += music_notes
        if rhythm is None:
            music = None
        else:
            board = plan_storyboard(shot_subjects, look, size=size, cover=cover,
                                    music=rhythm, route_map=route is not None,
                                    cards=cards)  # fmt: skip
    return VideoPlan(board, tuple(sources), look, music, loops, moving, route,
                     tuple(notes))  # fmt: skip


def pick_music(source: Path | None, memory_id: str) -> Path | None:
    """The music for a memory: the file given, or one from the folder given (the same one
    for the same memory on every run); None without either."""
    if source is None:
        return None
    if source.is_file():
        return source
    if source.is_dir():
        tracks = sorted(p for p in source.iterdir() if p.suffix.lower() in MUSIC_SUFFIXES)
        if not tracks:
            raise ConfigError(f"no music files ({', '.join(MUSIC_SUFFIXES)}) in {source}")
        digest = int.from_bytes(hashlib.sha256(memory_id.encode()).digest()[:8], "big")
        return tracks[digest % len(tracks)]
    raise ConfigError(f"music: {source} is not a file or folder")


def encode_video(
    plan: VideoPlan,
    memory: Memory,
    path: Path,
    *,
    threads: int = 2,
    location: Point | None = None,
    encoder: Encoder | None = None,
) -> list[VideoNote]:
    """Paint every frame and encode the video to `path` (an .mp4 name) with `encoder`
    (libx264 when None); a hardware encoder that fails makes the video again with libx264,
    and the note returned says so. The video carries no metadata but its encoder's name,
    and a `location` when one is given (`--keep-location`)."""
    from memories.render.encoders import LIBX264, fallback_note

    encoder = encoder or LIBX264
    notes: list[VideoNote] = []
    with tempfile.TemporaryDirectory(prefix="memories-recap-") as scratch:
        sound, sound_notes = _soundtrack(plan, Path(scratch))
        notes += sound_notes
        failure = _run_encoder(plan, memory, path, encoder, sound, threads, location, scratch)
        if failure is not None and encoder.hardware:
            notes.append(VideoNote("", fallback_note(encoder, failure), False))
            failure = _run_encoder(plan, memory, path, LIBX264, sound, threads, location,
                                   scratch)  # fmt: skip
    if failure is not None or not is_whole_mp4(path):
        if shutil.disk_usage(path.parent).free < FULL_DISK_BYTES:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise MemoriesError(f"ffmpeg did not finish the video of {memory.id}: {failure}")
    return notes


def is_whole_mp4(path: Path) -> bool:
    """Whether the file is MP4 boxes that end exactly where it ends, one of them the `moov`
    index: what a finished encode leaves, and a killed or starved one does not."""
    if not path.is_file():
        return False
    size = path.stat().st_size
    offset, kinds = 0, set()
    with open(path, "rb") as file:
        while offset < size:
            file.seek(offset)
            header = file.read(16)
            if len(header) < 8:
                return False
            length, kind = struct.unpack(">I4s", header[:8])
            if length == 1 and len(header) == 16:  # a 64-bit size follows
                length = struct.unpack(">Q", header[8:])[0]
            elif length == 0:  # the box runs to the end of the file
                length = size - offset
            if length < 8:
                return False
            kinds.add(kind)
            offset += length
    return offset == size and b"moov" in kinds


def _run_encoder(
    plan: VideoPlan, memory: Memory, path: Path, encoder: Encoder, sound: Path | None,
    threads: int, location: Point | None, scratch: str,
) -> str | None:  # fmt: skip
    """Paint the frames into ffmpeg with `encoder`; None when it finished, else the last
    line ffmpeg said."""
    from imageio_ffmpeg import get_ffmpeg_exe

    from memories.render.painter import Painter

    board = plan.storyboard
    command = [
        get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
        *encoder.input_params(), "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{board.width}x{board.height}", "-r", str(board.fps), "-i", "pipe:0",
    ]  # fmt: skip
    if sound is not None:
        command += ["-i", str(sound), "-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", "160k"]
    if encoder.upload_filter is not None:
        command += ["-vf", encoder.upload_filter]
    command += [*encoder.output_params(plan.look.crf, plan.look.preset),
                "-threads", str(threads), *_location_params(location),
                "-t", f"{board.duration:.3f}", "-f", "mp4", str(path)]  # fmt: skip
    errors_path = Path(scratch) / "ffmpeg.log"
    painter = Painter(plan, memory)
    with open(errors_path, "wb") as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors)
        assert process.stdin is not None
        try:
            for number in range(round(board.duration * board.fps)):
                process.stdin.write(painter.frame(number / board.fps).data)
            process.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped; its exit status and log say why
        except BaseException:
            process.kill()
            raise
        finally:
            painter.close()
        try:
            returned = process.wait(timeout=FFMPEG_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            returned = -1
    if returned == 0:
        return None
    from memories.render.encoders import failure_reason

    return failure_reason(errors_path.read_text("utf-8", "replace")) or (
        f"ffmpeg exited with {returned}")  # fmt: skip


def _soundtrack(plan: VideoPlan, scratch: Path) -> tuple[Path | None, list[VideoNote]]:
    """The recap's sound as a WAV file: its music (looped when short, faded in and out)
    ducked under each clip's own sound; None when it has neither."""
    from memories.render.clips import ClipUnusable, clip_audio
    from memories.render.music import MusicUnusable, decode_audio
    from memories.render.soundtrack import ClipSound, looped, mix_soundtrack, write_wav

    board, notes = plan.storyboard, []
    sounds = []
    for shot in board.shots:
        if shot.kind is ShotKind.CLIP and shot.sound:
            moving = plan.moving[shot.source]
            try:
                samples = clip_audio(moving.source, shot.clip_from, shot.duration, AUDIO_RATE)
            except ClipUnusable as error:
                notes.append(VideoNote(str(plan.sources[shot.source].path),
                                       f"its sound is left out: {error}", True))  # fmt: skip
                continue
            if samples is not None and len(samples):
                sounds.append(ClipSound(shot.start, samples, fade=max(0.25, shot.fade)))
    music = None
    if plan.music is not None:
        try:
            music = decode_audio(plan.music, AUDIO_RATE, 2, length=board.duration + 1)
        except MusicUnusable as error:
            notes.append(VideoNote(str(plan.music), str(error), True))
        else:
            if plan.music_loops:
                music = looped(music, AUDIO_RATE, round(board.duration * AUDIO_RATE),
                               LOOP_CROSSFADE_S)  # fmt: skip
    if music is None and not sounds:
        return None, notes
    mixed = mix_soundtrack(board.duration, AUDIO_RATE, music=music, clip_sounds=sounds)
    path = scratch / "sound.wav"
    write_wav(mixed, AUDIO_RATE, path)
    return path, notes


def _rhythm(music: Path, needed: float) -> tuple[MusicAnalysis | None, bool, list[VideoNote]]:
    """The music's beats over at least `needed` seconds, whether it loops to get there, and
    what to tell the user; no rhythm for music that cannot be decoded."""
    from memories.render.music import MusicUnusable, analyse_music, looped_analysis

    try:
        rhythm = analyse_music(music)
    except MusicUnusable as error:
        return None, False, [VideoNote(str(music), f"{error}; the recap has no music", True)]
    if rhythm.duration >= needed:
        return rhythm, False, []
    note = VideoNote(str(music), f"the music lasts {rhythm.duration:.0f} s, shorter than the "
                     "recap: it plays again, crossfading into itself", False)  # fmt: skip
    return looped_analysis(rhythm, needed, LOOP_CROSSFADE_S), True, [note]


def _live_motion(photo: Photo) -> Moving | None:
    """A Live Photo's or motion photo's clip, when it decodes and is shaped like the still
    (its frames are framed like the still's pixels); None otherwise: the photo shows still."""
    from memories.render.clips import ClipSource, ClipUnusable, probe_clip

    if photo.motion is None or not photo.width or not photo.height:
        return None
    try:
        source = ClipSource.of_motion(photo.motion)
        info = probe_clip(source)
    except ClipUnusable:
        return None
    if abs(info.width / info.height / (photo.width / photo.height) - 1) > LIVE_SHAPE_TOLERANCE:
        return None
    return Moving(source, info)


def _location_params(location: Point | None) -> list[str]:
    if location is None:
        return ["-movflags", "+faststart"]
    tag = f"{MP4_LOCATION_KEY}={iso6709(location)}"
    return ["-movflags", "+faststart+use_metadata_tags", "-metadata", tag]

