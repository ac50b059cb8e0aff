"""Music for recaps: beats, bars and loudness found in click tracks made here (as WAV and as
AAC), files that are not music, and the soundtrack: ducking as golden breakpoints, a mix
measured by frequency band, loops without seams."""

from __future__ import annotations

import pickle
import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from memories.errors import ExitStatus
from memories.render.music import (
    DEFAULT_TEMPO,
    HOP,
    NO_AUDIO,
    MusicAnalysis,
    MusicUnusable,
    analyse_music,
    analyse_samples,
    decode_audio,
    looped_analysis,
    loudness_curve,
    onset_envelope,
    track_beats,
)  # fmt: skip
from memories.render.soundtrack import (
    CLIP_RMS,
    ClipSound,
    ducking_envelope,
    ducking_gains,
    looped,
    mix_soundtrack,
    soft_limited,
    write_wav,
)  # fmt: skip

RATE = 44100
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def click_track(
    bpm: float,
    seconds: float = 20.0,
    *,
    quiet: tuple[float, float] = (8.0, 12.0),
    first: float = 0.25,
    rate: int = RATE,
) -> tuple[np.ndarray, np.ndarray]:
    """Short noise bursts on every beat, every fourth louder, 20 dB softer through `quiet`:
    the samples and the clicks' times."""
    rng = np.random.default_rng(int(bpm))
    samples = np.zeros(round(seconds * rate), np.float32)
    times = np.arange(first, seconds - 0.05, 60.0 / bpm)
    burst = round(0.01 * rate)
    decay = np.exp(-np.arange(burst) / (burst / 4))
    for index, time in enumerate(times):
        level = 0.8 if index % 4 == 0 else 0.4
        if quiet[0] <= time < quiet[1]:
            level *= 0.1
        at = round(time * rate)
        samples[at : at + burst] += level * rng.uniform(-1, 1, burst) * decay
    return samples, times


def nearest(times: np.ndarray, to: np.ndarray) -> np.ndarray:
    """How far each of `to` is from the nearest of `times`."""
    times = np.asarray(times)
    return np.array([np.min(np.abs(times - t)) for t in to])


@pytest.fixture(scope="module")
def clicks_120(tmp_path_factory) -> tuple[Path, np.ndarray]:
    samples, times = click_track(120)
    path = tmp_path_factory.mktemp("music") / "clicks.wav"
    write_wav(samples, RATE, path)
    return path, times


@pytest.mark.parametrize("bpm", [120, 90])
def test_beats_bars_and_loudness_of_a_click_track(tmp_path, bpm):
    samples, clicks = click_track(bpm)
    write_wav(samples, RATE, tmp_path / "clicks.wav")
    music = analyse_music(tmp_path / "clicks.wav")
    assert abs(music.tempo - bpm) < 2
    assert music.duration == pytest.approx(20.0, abs=0.01)
    assert nearest(music.beats, clicks).max() < 0.025  # every click has its beat
    assert nearest(clicks, music.beats).max() < 0.025  # and every beat its click
    assert nearest(clicks[::4], music.bars).max() < 0.025  # bars start on the loud ones
    assert len(music.bars) == len(clicks[::4])
    assert music.phrases == music.bars[::4]
    quiet = np.mean([music.loudness_at(t) for t in np.arange(8.5, 11.5, 0.25)])
    loud = np.mean([music.loudness_at(t) for t in np.arange(1.0, 7.5, 0.25)])
    assert quiet < loud - 0.3
    assert all(0.0 <= value <= 1.0 for value in music.loudness)
    assert len(music.loudness) == 41  # every half second, 0 to 20 s


def test_beats_survive_lossy_compression(tmp_path, clicks_120):
    wav, clicks = clicks_120
    m4a = tmp_path / "clicks.m4a"
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac",
                    "-b:a", "128k", str(m4a)], check=True, timeout=30)  # fmt: skip
    delay = _delay(decode_audio(wav)[:, 0], decode_audio(m4a)[:, 0], 22050)
    assert abs(delay) < 0.05  # the encoder's priming samples, if any are left
    music = analyse_music(m4a)
    assert abs(music.tempo - 120) < 2
    assert nearest(music.beats, clicks + delay).max() < 0.030


def _delay(original: np.ndarray, copy: np.ndarray, rate: int) -> float:
    """Seconds `copy` lags `original` by, from their cross-correlation within 0.1 s."""
    size = len(original) + len(copy)
    correlation = np.fft.irfft(np.fft.rfft(copy, size) * np.conj(np.fft.rfft(original, size)))
    reach = round(0.1 * rate)
    lags = np.concatenate([np.arange(0, reach), np.arange(-reach, 0)])
    values = np.concatenate([correlation[:reach], correlation[-reach:]])
    return float(lags[np.argmax(values)] / rate)


def test_beats_fill_a_quiet_intro_with_a_steady_grid():
    samples, clicks = click_track(100, 16, first=6.0, quiet=(0, 0), rate=22050)
    music = analyse_samples(samples, 22050)
    assert abs(music.tempo - 100) < 2
    intro = np.array(music.beats_between(0.0, 6.0))
    assert 0.0 <= intro[0] < 0.6
    assert np.allclose(np.diff(intro), 0.6, atol=0.002)
    assert nearest(music.beats, clicks).max() < 0.025


@pytest.mark.parametrize(
    "samples",
    [
        np.zeros(5 * 22050, np.float32),
        0.3 * np.random.default_rng(0).standard_normal(10 * 22050).astype(np.float32),
        0.5 * np.sin(2 * np.pi * 110 * np.arange(10 * 22050) / 22050).astype(np.float32),
    ],
    ids=["silence", "noise", "drone"],
)  # fmt: skip
def test_music_without_a_beat_gets_a_steady_default_grid(samples):
    music = analyse_samples(samples, 22050)
    assert music.tempo == DEFAULT_TEMPO
    assert music.beats[0] == 0.0
    assert music.beats[-1] > music.duration - 60 / DEFAULT_TEMPO
    assert np.allclose(np.diff(music.beats), 60 / DEFAULT_TEMPO, atol=0.001)
    assert music.bars == music.beats[::4]


def test_a_silent_file_is_analysed_as_silence(tmp_path):
    write_wav(np.zeros(3 * RATE, np.float32), RATE, tmp_path / "silence.wav")
    music = analyse_music(tmp_path / "silence.wav")
    assert music.duration == pytest.approx(3.0, abs=0.01)
    assert set(music.loudness) == {0.0}
    assert music.loudness_at(1.3) == 0.0
    assert len(music.beats) == 5


def test_a_file_that_is_not_audio_is_unusable(tmp_path):
    path = tmp_path / "song.mp3"
    path.write_bytes(np.random.default_rng(1).bytes(20_000))
    with pytest.raises(MusicUnusable, match=r"song\.mp3") as caught:
        analyse_music(path)
    assert "ffmpeg: " in str(caught.value)
    assert caught.value.exit_status is ExitStatus.SKIPPED
    assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)  # from a worker
    assert "\n" not in str(caught.value)


def test_a_clip_gives_its_sound_track_or_says_it_has_none(tmp_path):
    silent, talking = tmp_path / "silent.mp4", tmp_path / "talking.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=48000"]
    for path, inputs in ((silent, picture), (talking, picture + sound)):
        subprocess.run([FFMPEG, "-nostdin", "-v", "error", *inputs, "-c:v", "mpeg4",
                        "-c:a", "aac", str(path)], check=True, timeout=30)  # fmt: skip
    with pytest.raises(MusicUnusable, match="no audio") as caught:
        decode_audio(silent)
    assert caught.value.reason == NO_AUDIO
    track = decode_audio(talking, 48000, 2, start=0.25, length=0.5)
    assert track.dtype == np.float32 and track.shape[1] == 2
    assert len(track) == pytest.approx(24000, abs=1100)
    assert np.sqrt(np.mean(track**2)) > 0.05


def test_decode_gives_frames_by_channels(tmp_path, clicks_120):
    wav, _ = clicks_120
    stereo = decode_audio(wav, RATE, 2)
    assert stereo.shape == (20 * RATE, 2) and stereo.dtype == np.float32
    assert stereo.flags.writeable
    window = decode_audio(wav, 22050, 1, start=1.0, length=2.0)
    assert window.shape == (44100, 1)
    assert np.allclose(stereo[:, 0], stereo[:, 1])


def test_onset_envelope_peaks_at_each_click():
    samples, clicks = click_track(120, 6, rate=22050, quiet=(0, 0))
    envelope, frames_per_second = onset_envelope(samples, 22050)
    assert frames_per_second == pytest.approx(22050 / HOP)
    assert len(envelope) == pytest.approx(6 * frames_per_second, abs=2)
    assert envelope.min() >= 0.0
    peaks = np.flatnonzero(envelope > 0.5 * envelope.max()) / frames_per_second
    assert nearest(peaks, clicks).max() < 0.03
    assert nearest(clicks, peaks).max() < 0.03


def test_track_beats_on_an_envelope_of_spikes():
    frames_per_second = 100.0
    envelope = np.zeros(3000)
    envelope[37::50] = 1.0  # 120 bpm, from 0.37 s
    tempo, beats = track_beats(envelope, frames_per_second)
    assert tempo == pytest.approx(120, abs=0.5)
    assert np.allclose(beats, np.arange(0.37, 30, 0.5), atol=0.011)


def test_track_beats_without_onsets_lays_the_default_grid():
    tempo, beats = track_beats(np.zeros(430), 43.0)
    assert tempo == DEFAULT_TEMPO
    assert np.allclose(beats, np.arange(0, 10, 0.6))


def test_loudness_curve_maps_quiet_to_0_and_loud_to_1():
    rate = 8000
    tone = np.sin(2 * np.pi * 200 * np.arange(4 * rate) / rate)
    samples = np.concatenate([0.01 * tone, tone, np.zeros(2 * rate)])
    curve = loudness_curve(samples, rate, 0.5)
    assert len(curve) == 21  # 0 to 10 s
    assert np.allclose(curve[1:8], 0.0) and np.allclose(curve[9:16], 1.0)
    assert np.allclose(curve[17:], 0.0)  # the silence, the floor's own level or not
    assert loudness_curve(np.zeros(rate), rate, 0.5).tolist() == [0.0, 0.0, 0.0]


def test_analysis_reads_between_its_samples():
    music = MusicAnalysis(duration=2.0, tempo=120.0, beats=(0.0, 0.5, 1.0, 1.5),
                          bars=(0.0,), phrases=(0.0,), loudness=(0.0, 1.0, 0.5))  # fmt: skip
    assert music.loudness_at(0.25) == pytest.approx(0.5)
    assert music.loudness_at(0.75) == pytest.approx(0.75)
    assert music.loudness_at(-1.0) == 0.0 and music.loudness_at(9.0) == 0.5
    assert music.beats_between(0.5, 1.5) == (0.5, 1.0)


def test_a_looped_analysis_is_the_analysis_of_the_loop():
    rate = 22050
    samples, _ = click_track(120, 5.0, quiet=(0, 0), rate=rate)
    once = analyse_samples(samples, rate)
    looped_once = looped_analysis(once, 12.0, crossfade=0.8)  # repeats 4.2 s apart
    heard = analyse_samples(looped(samples, rate, 12 * rate, crossfade=0.8), rate)
    assert looped_once.duration == 12.0 and looped_once.tempo == once.tempo
    assert looped_once.beats[: len(once.beats_between(0, 4.6))] == once.beats_between(0, 4.6)
    assert np.all(np.diff(looped_once.beats) > 0)
    away_from_seams = [t for t in heard.beats if min(abs(t - 4.6), abs(t - 8.8)) > 0.8]
    assert nearest(looped_once.beats, away_from_seams).max() < 0.025
    assert set(looped_once.bars) <= set(looped_once.beats)
    assert len(looped_once.loudness) == 25
    assert looped_once.loudness_at(6.0) == pytest.approx(once.loudness_at(1.8), abs=0.001)
    assert looped_analysis(once, 3.0) is once


def test_golden_ducking_envelope():
    spans = [(2.0, 4.0), (4.2, 6.0)]
    assert ducking_envelope(spans, under=0.3, ramp=0.4) == [
        (1.6, 1.0), (2.0, 0.3), (6.0, 0.3), (6.4, 1.0),
    ]  # fmt: skip
    assert ducking_envelope([(1.0, 2.0), (5.0, 6.0)], ramp=0.5) == [
        (0.5, 1.0), (1.0, 0.3), (2.0, 0.3), (2.5, 1.0),
        (4.5, 1.0), (5.0, 0.3), (6.0, 0.3), (6.5, 1.0),
    ]  # fmt: skip
    rate = 1000
    gains = ducking_gains(8.0, rate, spans, under=0.3, ramp=0.4)
    assert gains.dtype == np.float32 and len(gains) == 8000
    assert np.all(gains[:1600] == 1.0) and np.all(gains[6400:] == 1.0)
    assert np.allclose(gains[2000:6001], 0.3)  # down when the clip starts, till it ends
    assert gains[1800] == pytest.approx(0.65, abs=0.01)  # halfway down the raised cosine
    assert np.all(np.diff(gains[1600:2001]) <= 0) and np.all(np.diff(gains[6000:6401]) >= 0)


def band_rms(samples: np.ndarray, rate: int, low: float, high: float) -> float:
    """The RMS of the part of `samples` between `low` and `high` Hz."""
    spectrum = np.fft.rfft(samples)
    frequencies = np.fft.rfftfreq(len(samples), 1 / rate)
    spectrum[(frequencies < low) | (frequencies > high)] = 0
    return float(np.sqrt(np.mean(np.fft.irfft(spectrum, len(samples)) ** 2)))


def test_the_mix_ducks_the_music_under_a_clip():
    rate = 16000
    times = np.arange(8 * rate) / rate
    music = np.sin(2 * np.pi * 440 * times).astype(np.float32)
    burst = 0.02 * np.sin(2 * np.pi * 1000 * times[: 2 * rate])  # a quiet phone clip
    clip = ClipSound(start=2.0, samples=np.stack([burst, burst], axis=1))
    mix = mix_soundtrack(8.0, rate, music=music, clip_sounds=[clip])
    assert mix.shape == (8 * rate, 2) and mix.dtype == np.float32
    assert np.abs(mix).max() < 1.0
    left = mix[:, 0]

    def level(start: float, end: float, low: float, high: float) -> float:
        return band_rms(left[round(start * rate) : round(end * rate)], rate, low, high)

    ducked = 20 * np.log10(level(2.5, 3.5, 300, 600) / level(0.5, 1.5, 300, 600))
    assert ducked <= -8.0
    clip_level = level(2.5, 3.5, 800, 1200)
    assert clip_level > 0.05  # brought up (by at most 12 dB) to be heard over the music
    assert clip_level < 0.02 * 4.0 / np.sqrt(2)
    assert level(5.0, 5.5, 800, 1200) < 1e-3  # and gone once the clip is over


def test_a_loud_clip_is_brought_down_by_what_it_says_not_its_pauses():
    rate = 8000
    tone = 0.7 * np.sin(2 * np.pi * 300 * np.arange(rate) / rate)
    said = np.concatenate([tone, np.zeros(2 * rate), tone])  # a word, a long pause, a word
    clip = ClipSound(start=0.0, samples=np.stack([said, said], axis=1))
    mix = mix_soundtrack(4.0, rate, music=None, clip_sounds=[clip])
    spoken = mix[round(0.3 * rate) : round(0.7 * rate), 0]
    assert np.sqrt(np.mean(spoken**2)) == pytest.approx(CLIP_RMS, rel=0.02)


def test_the_mix_never_clips_and_pads_short_music():
    rate = 8000
    loud = np.ones((2 * rate, 2), np.float32)
    clip = ClipSound(start=0.5, samples=np.full((rate, 2), 0.9, np.float32))
    mix = mix_soundtrack(4.0, rate, music=loud[:, 0], clip_sounds=[clip], music_level=1.0)
    assert np.abs(mix).max() < 1.0
    assert np.all(mix[2 * rate :] == 0.0)  # silence after the music, whoever loops it
    assert mix_soundtrack(1.0, rate, music=None, clip_sounds=[]).shape == (rate, 2)
    samples = np.array([-5.0, -0.5, 0.0, 0.89, 0.95, 50.0], np.float32)
    limited = soft_limited(samples)
    assert np.all(np.abs(limited) < 1.0) and np.all(np.diff(limited) >= 0)
    assert np.array_equal(limited[1:4], samples[1:4])


def test_a_short_track_loops_without_a_gap():
    rate = 8000
    track = np.random.default_rng(2).uniform(-0.5, 0.5, 3 * rate).astype(np.float32)
    loop = looped(track, rate, 10 * rate, crossfade=0.5)
    assert loop.shape == (10 * rate,)
    windows = loop.reshape(-1, rate // 10)
    rms = np.sqrt(np.mean(windows**2, axis=1))
    assert rms.min() > 0.5 * rms.max()  # no gap, no dip at a seam
    stride = round(2.5 * rate)
    seam = loop[stride : stride + rate // 2]  # the first repeat fading in over the first's end
    fading_out = track[stride : stride + rate // 2]
    fading_in = track[: rate // 2]
    assert np.corrcoef(seam, fading_out)[0, 1] > 0.4 and np.corrcoef(seam, fading_in)[0, 1] > 0.4
    assert np.array_equal(loop[:stride], track[:stride])
    stereo = looped(np.stack([track, track], axis=1), rate, 10 * rate)  # a 1.5 s crossfade
    assert stereo.shape == (10 * rate, 2)
    rms = np.sqrt(np.mean(stereo[:, 0].reshape(-1, rate // 10) ** 2, axis=1))
    assert rms.min() > 0.5 * rms.max()


def test_wav_is_16_bit_stereo(tmp_path):
    path = tmp_path / "sound.wav"
    write_wav(np.linspace(-1.5, 1.5, 800, dtype=np.float32), 8000, path)
    with wave.open(str(path)) as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (2, 2, 8000)
        frames = np.frombuffer(file.readframes(800), "<i2").reshape(-1, 2)
    assert frames.min() == -32767 and frames.max() == 32767
    assert np.array_equal(frames[:, 0], frames[:, 1])
