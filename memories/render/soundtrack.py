"""A recap's sound: its music, ducked wherever a clip plays its own sound, mixed with those
sounds and written as a WAV for the encoder. Everything but the writing is pure."""

from __future__ import annotations

import math
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLIP_RMS = 0.12
"""The level (about -18 dBFS RMS) a clip's own sound is brought to: heard clearly over the
ducked music, with room for its peaks."""
MOST_BOOST = 10 ** (12 / 20)
"""The most a quiet clip is turned up (+12 dB): more would lift its hiss as much as its voice."""
LIMIT_FROM = 0.9
"""Above this the limiter bends the peaks, so that nothing reaches full scale."""
CEILING = 0.99


@dataclass(frozen=True, slots=True, eq=False)  # samples are an array: same only if it is it
class ClipSound:
    """A video clip's own sound, where it plays in the recap."""

    start: float
    """Seconds into the recap."""
    samples: np.ndarray
    """Shaped (frames, 2), at the mix's rate."""
    fade: float = 0.25
    """Seconds it fades in over, and out."""

    def duration(self, rate: int) -> float:
        return len(self.samples) / rate


def ducking_envelope(
    spans: Sequence[tuple[float, float]], *, under: float = 0.3, ramp: float = 0.4
) -> list[tuple[float, float]]:
    """The music's gain as breakpoints `(time, gain)`: 1 away from the spans, `under`
    through each; from one breakpoint to the next the gain follows a raised cosine. A dip is
    fully down when its span starts (a clip's first word is never under full music) and
    rises only once it ends; spans closer than two ramps make one dip."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start - ramp < merged[-1][1] + ramp:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    points: list[tuple[float, float]] = []
    for start, end in merged:
        points += [(start - ramp, 1.0), (start, under), (end, under), (end + ramp, 1.0)]
    return [(round(time, 3), gain) for time, gain in points]


def ducking_gains(
    duration: float,
    rate: int,
    spans: Sequence[tuple[float, float]],
    *,
    under: float = 0.3,
    ramp: float = 0.4,
) -> np.ndarray:
    """The music's gain at every sample of a recap `duration` seconds long (float32), as
    `ducking_envelope` describes it."""
    times = np.arange(round(duration * rate)) / rate
    return envelope_at(ducking_envelope(spans, under=under, ramp=ramp), times)


def envelope_at(points: Sequence[tuple[float, float]], times: np.ndarray) -> np.ndarray:
    """The gain of a breakpoint envelope at each of `times` (float32): a raised cosine from
    each breakpoint to the next, the first's gain before it and the last's after it."""
    if not points:
        return np.ones(len(times), np.float32)
    at = np.array([time for time, _ in points])
    gain = np.array([gain for _, gain in points])
    segment = np.clip(np.searchsorted(at, times, side="right") - 1, 0, len(at) - 1)
    following = np.minimum(segment + 1, len(at) - 1)
    width = at[following] - at[segment]
    progress = np.clip(np.divide(times - at[segment], width, out=np.ones_like(times),
                                 where=width > 0), 0.0, 1.0)  # fmt: skip
    shaped = 0.5 - 0.5 * np.cos(np.pi * progress)
    return (gain[segment] + (gain[following] - gain[segment]) * shaped).astype(np.float32)


def looped(samples: np.ndarray, rate: int, length: int, crossfade: float = 2.0) -> np.ndarray:
    """A track shorter than `length` frames repeated until it is that long, each repeat
    fading in (equal power) as the one before fades out, so that no seam is heard."""
    samples = np.asarray(samples, np.float32)
    if len(samples) >= length:
        return samples[:length].copy()
    if len(samples) == 0:
        return np.zeros((length, *samples.shape[1:]), np.float32)
    overlap = min(round(crossfade * rate), len(samples) // 2)
    stride = len(samples) - overlap
    shape = (-1,) + (1,) * (samples.ndim - 1)
    rising = np.sin(0.5 * np.pi * (np.arange(overlap) + 0.5) / overlap).reshape(shape)
    falling = np.cos(0.5 * np.pi * (np.arange(overlap) + 0.5) / overlap).reshape(shape)
    starts = range(0, length, stride)
    out = np.zeros((starts[-1] + len(samples), *samples.shape[1:]), np.float32)
    for index, start in enumerate(starts):
        piece = samples.copy()
        if overlap and index > 0:
            piece[:overlap] *= rising
        if overlap and index < len(starts) - 1:
            piece[-overlap:] *= falling
        out[start : start + len(piece)] += piece
    return out[:length]


def mix_soundtrack(
    duration: float,
    rate: int,
    *,
    music: np.ndarray | None,
    clip_sounds: Sequence[ClipSound],
    music_fade_in: float = 0.5,
    music_fade_out: float = 3.0,
    music_level: float = 0.8,
) -> np.ndarray:
    """The recap's sound, (frames, 2) float32: the music (mono or stereo; cut, or padded with
    silence, to the recap: looping it is the caller's choice) faded in and out and ducked
    under every clip's own sound, which plays at a level of its own. Peaks are bent under
    full scale, so nothing clips."""
    frames = round(duration * rate)
    mix = np.zeros((frames, 2), np.float32)
    if music is not None:
        tune = _stereo(music)[:frames]
        spans = [(clip.start, clip.start + clip.duration(rate)) for clip in clip_sounds]
        gains = ducking_gains(duration, rate, spans)[: len(tune)] * music_level
        gains *= _fades(len(tune), rate, music_fade_in, music_fade_out)
        mix[: len(tune)] += tune * gains[:, None]
    for clip in clip_sounds:
        _add_at(mix, round(clip.start * rate), _levelled(clip, rate))
    return soft_limited(mix)


def _levelled(clip: ClipSound, rate: int) -> np.ndarray:
    """The clip's sound at `CLIP_RMS`, faded in and out."""
    sound = _stereo(clip.samples)
    level = speech_rms(sound, rate)
    gain = min(MOST_BOOST, CLIP_RMS / level) if level > 0 else 1.0
    return sound * (gain * _fades(len(sound), rate, clip.fade, clip.fade))[:, None]


def speech_rms(samples: np.ndarray, rate: int) -> float:
    """The RMS of a sound where it is heard: over its 0.1 s blocks louder than -70 dBFS and
    than a tenth of their mean power (gates like EBU R 128's), so that the pauses in what a
    clip says do not make it seem quiet."""
    block = max(1, round(0.1 * rate))
    count = len(samples) // block
    if count == 0:
        return float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0
    power = np.square(samples[: count * block], dtype=np.float64).reshape(count, -1).mean(axis=1)
    heard = power[power > 1e-7]
    heard = heard[heard > heard.mean() / 10] if len(heard) else heard
    return math.sqrt(float(heard.mean())) if len(heard) else 0.0


def soft_limited(samples: np.ndarray) -> np.ndarray:
    """`samples` unchanged up to `LIMIT_FROM`, above it bent smoothly (tanh) towards
    `CEILING`: a loud moment is squeezed a little instead of clipping."""
    size = np.abs(samples)
    room = CEILING - LIMIT_FROM
    bent = LIMIT_FROM + room * np.tanh((size - LIMIT_FROM) / room)
    return np.where(size > LIMIT_FROM, np.sign(samples) * bent, samples).astype(np.float32)


def _fades(frames: int, rate: int, fade_in: float, fade_out: float) -> np.ndarray:
    """Gains that rise (a quarter sine) over `fade_in` s and fall over the last `fade_out` s,
    each at most half of `frames`."""
    gains = np.ones(frames, np.float32)
    rising = min(round(fade_in * rate), frames // 2)
    falling = min(round(fade_out * rate), frames // 2)
    if rising:
        gains[:rising] = np.sin(0.5 * np.pi * (np.arange(rising) + 0.5) / rising)
    if falling:
        gains[frames - falling :] *= np.cos(0.5 * np.pi * (np.arange(falling) + 0.5) / falling)
    return gains


def _stereo(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    return np.repeat(samples, 2, axis=1) if samples.shape[1] == 1 else samples[:, :2]


def _add_at(mix: np.ndarray, start: int, sound: np.ndarray) -> None:
    """Add `sound` into `mix` from frame `start`, cutting what falls outside it."""
    skip = max(0, -start)
    first, last = max(0, start), min(len(mix), start + len(sound))
    if first < last:
        mix[first:last] += sound[skip : skip + last - first]


def write_wav(samples: np.ndarray, rate: int, path: Path) -> None:
    """`samples` (mono or stereo floats in -1..1) as a 16-bit PCM stereo WAV file."""
    pcm = np.round(np.clip(_stereo(samples), -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(2)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(pcm.tobytes())
