"""What a piece of music does over time, for cutting a recap on its beats: its tempo, every
beat, the bars and phrases they group into, and how loud it is from moment to moment."""

from __future__ import annotations

import bisect
import functools
import math
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from memories.errors import MusicUnusable

ANALYSIS_RATE = 22050
"""Samples per second music is analysed at: beats live well below 11 kHz."""
LONGEST_ANALYSED_S = 600.0
"""Music beyond its first ten minutes is not analysed: a recap lasts a minute at most, and
an hour-long mix would take a gigabyte and many seconds."""
DECODE_TIMEOUT_S = 120
WINDOW = 2048
HOP = 256
FLUX_LAG = 2
"""Frames between the two spectra the flux compares: a sharp sound is seen over 512
samples, as with a 512-sample hop, but placed twice as finely."""
SEEN_AFTER = 448
"""Samples into a window a sharp sound (a click) is when the beat tracker, smoothing the
flux, finds it most strongly: measured on click tracks, it unbiases the beats' times."""
DEFAULT_TEMPO = 100.0
"""The grid laid over music with no beat to find (a drone, a silence)."""
SLOWEST_BPM, FASTEST_BPM, LIKELIEST_BPM = 60.0, 180.0, 120.0
TIGHTNESS = 100.0
"""How much the beat tracker prefers an even beat to following every onset (Ellis' alpha)."""
CLEAR_BEAT = 0.05
"""The least self-similarity, one beat apart, of an onset envelope that has a beat: white
noise has about 0.015, and drums under a noise as loud as they are, about 0.04."""
BEATS_PER_BAR, BARS_PER_PHRASE = 4, 4
LOUDNESS_STEP = 0.5
SILENT_DB = -90.0
"""RMS below this (dBFS) is silence, whatever the rest of the track does."""
NO_AUDIO = "no audio stream"


@dataclass(frozen=True, slots=True)
class MusicAnalysis:
    """A track's beats and loudness, every time in seconds from its start (to the ms)."""

    duration: float
    tempo: float
    """Beats per minute."""
    beats: tuple[float, ...]
    bars: tuple[float, ...]
    """The beats that start a bar of four."""
    phrases: tuple[float, ...]
    """The bars that start a phrase of four bars."""
    loudness: tuple[float, ...]
    """0 (the track's quietest) to 1 (its loudest), every `loudness_step` seconds from 0."""
    loudness_step: float = LOUDNESS_STEP

    def loudness_at(self, time: float) -> float:
        """The loudness at `time`, between its samples by a straight line."""
        if not self.loudness:
            return 0.0
        times = np.arange(len(self.loudness)) * self.loudness_step
        return float(np.interp(time, times, self.loudness))

    def beats_between(self, start: float, end: float) -> tuple[float, ...]:
        """The beats at or after `start` and before `end`."""
        first = bisect.bisect_left(self.beats, start)
        last = bisect.bisect_left(self.beats, end)
        return self.beats[first:last]


def analyse_music(path: Path, *, length: float | None = LONGEST_ANALYSED_S) -> MusicAnalysis:
    """The beats, bars, phrases and loudness of the music in `path` (its first `length`
    seconds; None for all of it)."""
    mono = decode_audio(path, ANALYSIS_RATE, 1, length=length)[:, 0]
    return analyse_samples(mono, ANALYSIS_RATE)


def analyse_samples(mono: np.ndarray, rate: int) -> MusicAnalysis:
    """`analyse_music` for samples already decoded (one channel)."""
    envelope, frames_per_second = onset_envelope(mono, rate)
    tempo, beats = track_beats(envelope, frames_per_second)
    duration = len(mono) / rate
    beats = beats[beats < duration]
    bars = bar_starts(beats, envelope, frames_per_second)
    loudness = loudness_curve(mono, rate, LOUDNESS_STEP)
    return MusicAnalysis(
        duration=round(duration, 3),
        tempo=round(tempo, 2),
        beats=_milliseconds(beats),
        bars=_milliseconds(bars),
        phrases=_milliseconds(bars[::BARS_PER_PHRASE]),
        loudness=tuple(round(float(value), 3) for value in loudness),
    )


def looped_analysis(music: MusicAnalysis, length: float, crossfade: float = 2.0) -> MusicAnalysis:
    """The analysis of `music` played again and again for `length` seconds, as
    `soundtrack.looped` plays it: each repeat comes in `crossfade` seconds (at most half the
    track) before the one before ends, and counts from the middle of that crossfade on."""
    overlap = min(crossfade, music.duration / 2)
    stride = music.duration - overlap
    if music.duration >= length or stride <= 0:
        return music
    later = (n * stride + overlap / 2 for n in range(1, math.ceil(length / stride) + 1))
    seams = [0.0, *(seam for seam in later if seam < length)]
    ends = [*seams[1:], length]

    def played(times: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(
            round(time + n * stride, 3)
            for n, (start, end) in enumerate(zip(seams, ends, strict=True))
            for time in times
            if start <= time + n * stride < end
        )

    def loudness_at(time: float) -> float:
        repeat = bisect.bisect_right(seams, time) - 1
        return round(music.loudness_at(time - repeat * stride), 3)

    times = np.arange(int(length / music.loudness_step) + 1) * music.loudness_step
    return replace(
        music,
        duration=round(length, 3),
        beats=played(music.beats),
        bars=played(music.bars),
        phrases=played(music.phrases),
        loudness=tuple(loudness_at(float(time)) for time in times),
    )


def decode_audio(
    path: Path,
    rate: int = ANALYSIS_RATE,
    channels: int = 1,
    *,
    start: float = 0.0,
    length: float | None = None,
) -> np.ndarray:
    """The sound of any media file (music, or a video clip's sound track), as float32 samples
    shaped (frames, channels), decoded by the ffmpeg that imageio-ffmpeg ships. A file with
    no sound raises MusicUnusable with `NO_AUDIO` as its reason."""
    from imageio_ffmpeg import get_ffmpeg_exe

    window = ["-ss", f"{start:.3f}"] if start > 0 else []
    if length is not None:
        window += ["-t", f"{length:.3f}"]
    command = [get_ffmpeg_exe(), "-nostdin", "-v", "error", *window, "-i", f"file:{path}",
               "-vn", "-ac", str(channels), "-ar", str(rate), "-f", "f32le", "-"]  # fmt: skip
    try:
        run = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL,
                             timeout=DECODE_TIMEOUT_S, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise MusicUnusable(path, f"ffmpeg took over {DECODE_TIMEOUT_S} s") from error
    complaint = run.stderr.decode("utf-8", "replace")
    if run.returncode != 0 or not run.stdout:
        raise MusicUnusable(path, _reason(complaint))
    frames = len(run.stdout) // (4 * channels)
    samples = np.frombuffer(run.stdout, dtype="<f4", count=frames * channels)
    return samples.reshape(frames, channels).astype(np.float32)  # a writable copy


def _reason(complaint: str) -> str:
    """ffmpeg's last word on why it decoded nothing, without its `[demuxer @ 0x...]`."""
    lines = [line.strip() for line in complaint.splitlines() if line.strip()]
    if not lines or any("does not contain any stream" in line for line in lines):
        return NO_AUDIO
    last = re.sub(r"^\[[^\]]*\]\s*", "", lines[-1])
    if last.startswith("Error") and ": " in last:  # "Error opening input files: <why>"
        last = last.rsplit(": ", 1)[1]
    return f"ffmpeg: {last}"


def onset_envelope(mono: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """How strongly something starts at each moment (a note, a drum hit): the spectral flux
    of a log-magnitude mel spectrogram, half-wave rectified. Frame `i` is at `i / fps` s,
    where `fps`, the second value, is frames per second."""
    from scipy import fft

    frames_per_second = rate / HOP
    # padding the front puts the moment a sound is seen by frame i at sample i * HOP
    lead, tail = np.zeros(WINDOW - SEEN_AFTER, np.float32), np.zeros(WINDOW, np.float32)
    padded = np.concatenate([lead, np.asarray(mono, np.float32), tail])
    count = len(mono) // HOP + 1
    hann = np.hanning(WINDOW + 1)[:-1].astype(np.float32)
    bands = _mel_bands(rate, WINDOW)
    power = np.empty((count, bands.shape[1]), np.float32)
    chunk = 1024  # frames at a time: a whole song's frames at once would take 100s of MB
    for first in range(0, count, chunk):
        frames = np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[
            first * HOP : (first + chunk - 1) * HOP + 1 : HOP
        ][: count - first]
        spectrum = fft.rfft(frames * hann, axis=1)
        power[first : first + len(frames)] = (spectrum.real**2 + spectrum.imag**2) @ bands
    loudest = float(power.max(initial=0.0))
    if loudest <= 0.0:
        return np.zeros(count, np.float32), frames_per_second
    decibels = 10 * np.log10(np.maximum(power, loudest * 1e-8))  # an 80 dB range, as heard
    flux = np.maximum(0.0, decibels[FLUX_LAG:] - decibels[:-FLUX_LAG]).mean(axis=1)
    return np.concatenate([np.zeros(FLUX_LAG), flux]).astype(np.float32), frames_per_second


@functools.lru_cache(maxsize=4)
def _mel_bands(rate: int, window: int, count: int = 64) -> np.ndarray:
    """Triangular weights (FFT bins x bands) that sum a power spectrum into bands spaced as
    the ear hears pitch, so that flux counts a drum hit once, not once per bin."""

    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595 * np.log10(1 + hz / 700)

    edges_mel = np.linspace(mel(np.array(30.0)), mel(np.array(rate / 2)), count + 2)
    edges = 700 * (10 ** (edges_mel / 2595) - 1)
    bins = np.fft.rfftfreq(window, 1 / rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).T.astype(np.float32)


def track_beats(envelope: np.ndarray, frames_per_second: float) -> tuple[float, np.ndarray]:
    """The tempo (bpm) and every beat's time (s) over the whole envelope. The tempo is the
    envelope's strongest self-similarity between 60 and 180 bpm, leaning towards 120; the
    beats are Ellis' (2007) dynamic programme, which follows onsets where they are strong
    and keeps an even grid where they are weak. No clear beat gets a grid at 100 bpm."""
    envelope = np.asarray(envelope, np.float64)
    end = len(envelope) / frames_per_second
    period = _beat_period(envelope, frames_per_second)
    if period is None:
        return DEFAULT_TEMPO, _milliseconds_array(np.arange(0.0, end, 60.0 / DEFAULT_TEMPO))
    frames = _beat_frames(envelope / envelope.std(), period)
    step = period / frames_per_second
    beats = frames / frames_per_second
    # a steady grid on where the programme found no onset to start or end on
    before = beats[0] - step * np.arange(int(beats[0] / step), 0, -1)
    after = beats[-1] + step * np.arange(1, int((end - beats[-1]) / step) + 1)
    beats = np.concatenate([before, beats, after]).clip(0.0)  # never -0.0 from rounding
    return 60.0 / step, _milliseconds_array(beats)


def _beat_period(envelope: np.ndarray, frames_per_second: float) -> float | None:
    """Frames between beats (a fraction), or None when the envelope has no clear beat."""
    if len(envelope) < 4:
        return None
    # smoothed, so that a beat falling between frames does not split its peak over two lags
    smoothed = np.convolve(envelope, [0.25, 0.5, 0.25], "same")
    centred = smoothed - smoothed.mean()
    if not np.any(centred):
        return None
    size = 1 << int(2 * len(centred) - 1).bit_length()
    spectrum = np.fft.rfft(centred, size)
    similarity = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, size)[: len(centred)]
    similarity /= similarity[0]
    shortest = int(np.floor(60 * frames_per_second / FASTEST_BPM))
    longest = int(np.ceil(60 * frames_per_second / SLOWEST_BPM))
    if longest + 2 >= len(similarity):
        return None
    lags = np.arange(shortest, longest + 1)
    bpm = 60 * frames_per_second / lags
    leaning = np.exp(-0.5 * np.log2(bpm / LIKELIEST_BPM) ** 2)  # one octave's spread
    best = int(lags[np.argmax(similarity[lags] * leaning)])
    period = _peak(similarity, best, 1)
    if similarity[round(period)] < CLEAR_BEAT:
        return None
    # the peak several beats away, divided back, pins the period down finer than a frame
    for beats in (2, 4, 8):
        around = round(period * beats)
        if around + beats >= len(similarity) // 2:
            break
        period = _peak(similarity, around, max(1, beats // 2)) / beats
    return period


def _peak(values: np.ndarray, near: int, reach: int) -> float:
    """Where `values` peaks within `reach` of index `near`, between indices (parabolic)."""
    low, high = max(1, near - reach), min(len(values) - 2, near + reach)
    top = low + int(np.argmax(values[low : high + 1]))
    before, at, after = values[top - 1], values[top], values[top + 1]
    curvature = before - 2 * at + after
    if curvature >= 0:
        return float(top)
    return top + float(np.clip(0.5 * (before - after) / curvature, -0.5, 0.5))


def _beat_frames(envelope: np.ndarray, period: float) -> np.ndarray:
    """Ellis' dynamic programme: the frames, about a period apart, whose onsets add up to
    most, less a cost for every gap that is not a period (its log ratio, squared)."""
    spread = np.arange(-round(period), round(period) + 1)
    local = np.convolve(envelope, np.exp(-0.5 * (spread * 32.0 / period) ** 2), "same")
    shortest, longest = max(1, round(period / 2)), round(2 * period)
    gaps = np.arange(shortest, longest + 1)
    gap_cost = -TIGHTNESS * np.log(gaps / period) ** 2
    score = local.copy()
    previous = np.full(len(local), -1)
    for frame in range(shortest, len(local)):
        before = score[max(0, frame - longest) : frame - shortest + 1][::-1]  # nearest first
        candidates = before + gap_cost[: len(before)]
        best = int(np.argmax(candidates))
        # a beat may begin a line of its own rather than follow one whose gap costs more than
        # the line gained: so the line begins at the first onset, not in the silence before
        if candidates[best] > 0:
            score[frame] += candidates[best]
            previous[frame] = frame - shortest - best
    tail = len(local) - 1 - int(np.argmax(score[-round(period) :][::-1]))
    beats = [tail]
    while previous[beats[-1]] >= 0:
        beats.append(int(previous[beats[-1]]))
    return np.array(beats[::-1], dtype=np.float64)


def bar_starts(beats: np.ndarray, envelope: np.ndarray, frames_per_second: float) -> np.ndarray:
    """Every fourth beat, starting on whichever of the first four has, with every fourth
    after it, the strongest onsets (a downbeat is most often the hardest hit); on the first
    beat where the envelope has no beat to find."""
    beats = np.asarray(beats)
    if len(beats) == 0 or _beat_period(np.asarray(envelope, np.float64), frames_per_second) is None:
        return beats[::BEATS_PER_BAR]
    frames = np.clip(np.round(beats * frames_per_second).astype(int), 0, len(envelope) - 1)
    # the strongest onset within a frame of the beat, since a beat lands between frames
    padded = np.pad(np.asarray(envelope, np.float64), 1)
    strength = np.maximum.reduce([padded[frames], padded[frames + 1], padded[frames + 2]])
    phases = [strength[phase::BEATS_PER_BAR].mean() for phase in range(min(4, len(beats)))]
    return beats[int(np.argmax(phases)) :: BEATS_PER_BAR]


def loudness_curve(mono: np.ndarray, rate: int, step: float) -> np.ndarray:
    """How loud the sound is every `step` seconds from 0, from 0 to 1: the RMS (in dB) over
    the two steps around each time (so that a sparse sound, a click every 0.7 s, does not
    flicker), mapped from the track's quiet floor (its quietest twentieth, at most 60 dB
    under its loudest) to its loudest. Silence is 0."""
    samples = np.asarray(mono, np.float32)
    if len(samples) == 0:
        return np.zeros(0)
    width = max(1, round(step * rate))
    count = len(samples) // width + 1
    # energies of the steps between the sampled times; each time's window is the two beside it
    padded = np.concatenate([samples, np.zeros(count * width - len(samples), np.float32)])
    energy = np.square(padded, dtype=np.float64).reshape(count, width).sum(axis=1)
    frames = np.minimum(len(samples) - np.arange(count) * width, width)
    energy, frames = np.concatenate([[0.0], energy]), np.concatenate([[0], frames])
    rms = np.sqrt((energy[:-1] + energy[1:]) / np.maximum(frames[:-1] + frames[1:], 1))
    decibels = 20 * np.log10(np.maximum(rms, 1e-12))
    heard = decibels > SILENT_DB
    if not heard.any():
        return np.zeros(count)
    loudest = decibels[heard].max()
    floor = max(float(np.percentile(decibels[heard], 5)), loudest - 60.0)
    if loudest - floor < 1.0:  # an even sound is as loud as it gets throughout
        return heard.astype(np.float64)
    return np.where(heard, np.clip((decibels - floor) / (loudest - floor), 0.0, 1.0), 0.0)


def _milliseconds_array(times: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(times, np.float64), 3)


def _milliseconds(times: np.ndarray) -> tuple[float, ...]:
    return tuple(round(float(time), 3) for time in times)
