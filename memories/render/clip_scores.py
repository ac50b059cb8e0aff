"""What happens when in a video clip, from one low-resolution pass over it (motion,
sharpness, faces, the loudness of voices), and the seconds of it most worth showing."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memories.render.clips import (
    PROBE_TIMEOUT_S,
    ClipInfo,
    ClipSource,
    ClipUnusable,
    ffmpeg_complaint,
    run_ffmpeg,
)  # fmt: skip

SCORE_EDGE = 320
"""Long edge of the grey frames a clip is scored on. dlib's HOG detector, upsampled once,
finds faces down to an eighth of it there (40 px), in about 17 ms a frame."""
AUDIO_RATE = 16_000
SPEECH_BAND = (300.0, 3400.0)
"""Hz: voices and laughter; wind rumble and hum lie mostly below."""
LOUDNESS_FLOOR_DB = -80.0
"""The loudness of silence, and of a clip without sound."""


@dataclass(frozen=True, slots=True, eq=False)
class ClipScores:
    """What happens in a clip, sampled `rate` times a second (sample k covers k/rate to
    (k+1)/rate seconds)."""

    times: np.ndarray
    motion: np.ndarray
    """Mean absolute difference from the sample before, in grey levels (0-255)."""
    sharpness: np.ndarray
    """Variance of the Laplacian of the grey frame."""
    loudness: np.ndarray
    """RMS of the speech band, in dB of full scale; `LOUDNESS_FLOOR_DB` at the quietest."""
    faces: np.ndarray
    """Faces found in the frame of that second (all zero when faces were not looked for)."""
    rate: float
    duration: float


def score_clip(
    source: ClipSource, info: ClipInfo, *, rate: float = 4.0, faces: bool = True
) -> ClipScores:
    """One low-resolution pass over the clip: grey frames `rate` times a second (long edge
    `SCORE_EDGE`), its sound at 16 kHz mono, and dlib's HOG detector on a frame a second."""
    scale = SCORE_EDGE / max(info.width, info.height)
    width, height = max(2, round(info.width * scale)), max(2, round(info.height * scale))
    with tempfile.TemporaryDirectory() as folder:
        sound = Path(folder) / "sound.f32"
        command = ["-v", "error", "-autorotate", "-i", source.url,
                   "-map", f"0:{info.video_stream}", "-an", "-sn", "-dn",
                   "-vf", f"fps={rate},scale={width}:{height}:flags=area,format=gray",
                   "-f", "rawvideo", "pipe:1"]  # fmt: skip
        if info.audio_stream is not None:
            command += ["-map", f"0:{info.audio_stream}", "-vn", "-ac", "1",
                        "-ar", str(AUDIO_RATE), "-f", "f32le", str(sound)]  # fmt: skip
        run = run_ffmpeg(source, command, timeout=PROBE_TIMEOUT_S + 10 * info.duration)
        if run.returncode != 0:
            raise ClipUnusable(source.path, f"cannot decode it ({ffmpeg_complaint(run.stderr)})")
        audio = np.fromfile(sound, np.float32) if sound.exists() else np.zeros(0, np.float32)
    frames = np.frombuffer(run.stdout, np.uint8)
    frames = frames[: len(frames) // (width * height) * width * height].reshape(-1, height, width)
    if not len(frames):
        raise ClipUnusable(source.path, "cannot decode it (no frame came out)")
    return ClipScores(
        times=np.arange(len(frames)) / rate,
        motion=_motion(frames),
        sharpness=np.array([_sharpness(frame) for frame in frames]),
        loudness=speech_loudness(audio, AUDIO_RATE, rate, len(frames)),
        faces=_faces(frames, rate) if faces else np.zeros(len(frames)),
        rate=rate,
        duration=info.duration,
    )


def _motion(frames: np.ndarray) -> np.ndarray:
    change = np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2))
    return np.concatenate([change[:1] if len(change) else [0.0], change])


def _sharpness(frame: np.ndarray) -> float:
    import cv2

    return float(cv2.Laplacian(frame, cv2.CV_64F).var())


def speech_loudness(audio: np.ndarray, audio_rate: int, rate: float, count: int) -> np.ndarray:
    """The RMS (dBFS) of the speech band in each of `count` windows of 1/`rate` seconds of
    mono `audio`; `LOUDNESS_FLOOR_DB` where there is no sound."""
    window = round(audio_rate / rate)
    padded = np.zeros(count * window, np.float64)
    padded[: min(len(audio), len(padded))] = audio[: len(padded)]
    spectrum = np.fft.rfft(padded.reshape(count, window), axis=1)
    frequencies = np.fft.rfftfreq(window, 1 / audio_rate)
    band = (frequencies >= SPEECH_BAND[0]) & (frequencies <= SPEECH_BAND[1])
    mean_square = 2 * (np.abs(spectrum[:, band]) ** 2).sum(axis=1) / window**2  # Parseval
    return np.maximum(LOUDNESS_FLOOR_DB, 10 * np.log10(mean_square + 1e-12))


def _faces(frames: np.ndarray, rate: float) -> np.ndarray:
    """Faces in a frame of each second, given to every sample of that second."""
    try:
        from memories.analyze.faces import MIN_SCORE, hog_detector

        detector = hog_detector()
    except ImportError:  # dlib is not installed: faces do not count
        return np.zeros(len(frames))
    step = max(1, round(rate))
    found = [len(detector.run(np.ascontiguousarray(frames[i]), 1, MIN_SCORE)[0])
             for i in range(0, len(frames), step)]  # fmt: skip
    return np.repeat(np.array(found, np.float64), step)[: len(frames)]


@dataclass(frozen=True, slots=True)
class SegmentWeights:
    """How much each thing happening counts in `best_segment`, each measured 0 to 1."""

    motion: float = 1.0
    """Counted as far as the frame stays sharp: a blurred whip-pan is not action."""
    sharpness: float = 0.5
    faces: float = 1.0
    loudness: float = 0.75
    quiet_start: float = 0.04
    """A start this share below the best still wins if its sound is quieter (not mid-word)."""


def best_segment(
    scores: ClipScores, length: float, *, weights: SegmentWeights = SegmentWeights()
) -> float:
    """The start second of the `length`-second window with the most happening, never
    running past the clip's end; 0 for a clip no longer than `length`. Pure."""
    count = len(scores.times)
    if scores.duration <= length or count == 0:
        return 0.0
    interest = (weights.motion * _share(scores.motion, 2.0) * _share(scores.sharpness, 20.0)
                + weights.sharpness * _share(scores.sharpness, 20.0)
                + weights.faces * np.minimum(scores.faces, 3) / 3
                + weights.loudness * _loud_share(scores.loudness))  # fmt: skip
    span = max(1, round(length * scores.rate))
    last = min(count - 1, math.floor((scores.duration - length) * scores.rate + 1e-6))
    sums = np.concatenate([[0.0], np.cumsum(interest)])
    starts = np.arange(last + 1)
    ends = np.minimum(starts + span, count)
    means = np.round((sums[ends] - sums[starts]) / (ends - starts), 9)  # ties are ties
    best = float(means.max())
    near = starts[means >= best - weights.quiet_start * abs(best)]
    quietest = min(near, key=lambda k: (scores.loudness[k], -means[k], k))
    return round(float(quietest) / scores.rate, 3)


def _share(values: np.ndarray, floor: float) -> np.ndarray:
    """0 to 1, against the clip's own high (its 95th percentile), or `floor` if that is lower:
    a clip with hardly any of it does not have its noise made much of."""
    top = max(float(np.percentile(values, 95)), floor) if len(values) else floor
    return np.clip(values / top, 0.0, 1.0)


def _loud_share(loudness: np.ndarray) -> np.ndarray:
    """0 at the clip's quiet (its 10th percentile), 1 at its loudest or 20 dB above the quiet."""
    quiet = float(np.percentile(loudness, 10))
    return np.clip((loudness - quiet) / max(float(loudness.max()) - quiet, 20.0), 0.0, 1.0)
