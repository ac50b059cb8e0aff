"""Video clips as a recap uses them (render/clips.py): what they are, their frames upright and
in SDR, their sound, and their best seconds, on clips the bundled ffmpeg makes in tmp_path."""

from __future__ import annotations

import io
import pickle
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from faces import GRACE, scene
from PIL import Image

from memories.errors import ExitStatus
from memories.model import Motion
from memories.render.clip_scores import (
    LOUDNESS_FLOOR_DB,
    ClipScores,
    SegmentWeights,
    best_segment,
    score_clip,
    speech_loudness,
)
from memories.render.clips import ClipFrames, ClipSource, ClipUnusable, clip_audio, probe_clip

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SHARED = Path(__file__).resolve().parents[2] / "shared"
PHOTOPRISM_HEVC = SHARED / "devdata/peers/photoprism/pkg/media/video/testdata/quicktime-hvc1.mov"
RED_TOP = "color=c=gray:s=180x320:r=10:d=1,drawbox=x=0:y=0:w=iw:h=ih/5:c=red:t=fill"
"""An upright portrait picture: grey, with a red band along its top."""
X264 = ["-c:v", "libx264", "-preset", "ultrafast"]


def encode(path: Path, *args: str) -> Path:
    subprocess.run([FFMPEG, "-v", "error", "-y", *args, str(path)], check=True, timeout=60)
    return path


def source_of(path: Path) -> ClipSource:
    return ClipSource.of_file(path)


def first_frame(source: ClipSource, size: tuple[int, int]) -> np.ndarray:
    with ClipFrames(source, probe_clip(source), size=size, fps=10) as frames:
        return frames.frame_at(0.0)


# Fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def action_in_the_middle(tmp_path: Path) -> Path:
    """9 s: still grey for 3 s, then a bright square crossing it while a voice-like tone
    (800 Hz, its loudness wavering 5 times a second) plays, then still again; a 50 Hz rumble,
    like wind, all along."""
    picture = ("color=c=0x606060:s=320x180:r=25:d=9[ground];color=c=white:s=40x40:r=25:d=9[box];"
               "[ground][box]overlay=x='40+(t-3)*70':y=70:enable='gte(t,3)*lt(t,6)'")  # fmt: skip
    voice = "0.4*sin(2*PI*800*t)*(0.6+0.4*sin(2*PI*5*t))*gte(t,3)*lt(t,6)"
    sound = f"aevalsrc='0.3*sin(2*PI*50*t)+{voice}':s=44100:d=9"
    return encode(tmp_path / "action.mp4", "-filter_complex", picture, "-f", "lavfi",
                  "-i", sound, *X264, "-c:a", "aac", "-b:a", "96k")  # fmt: skip


@pytest.fixture
def quarter_turned(tmp_path: Path) -> Path:
    """Stored 320x180 on its side (as a phone held upright records it), with a display matrix
    that turns it upright: 90 degrees counter-clockwise."""
    stored = encode(tmp_path / "stored.mp4", "-f", "lavfi", "-i", f"{RED_TOP},transpose=clock",
                    *X264)  # fmt: skip
    return encode(tmp_path / "turned.mp4", "-display_rotation", "90", "-i", str(stored),
                  "-c", "copy")  # fmt: skip


def hdr_clip(path: Path, transfer: str) -> Path:
    """A 10-bit HEVC as an iPhone makes it: mid-grey, with a red band along its top."""
    tags = f"colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc"
    return encode(path, "-f", "lavfi", "-i", RED_TOP.replace("180x320", "320x180"),
                  "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                  "-x265-params", f"log-level=error:{tags}", "-color_primaries", "bt2020",
                  "-color_trc", transfer, "-colorspace", "bt2020nc")  # fmt: skip


def scores(
    motion: list[float],
    *,
    sharpness: list[float] | None = None,
    loudness: list[float] | None = None,
    faces: list[float] | None = None,
    rate: float = 2.0,
) -> ClipScores:
    """Hand-made scores: flat sharpness, silence and no faces unless given."""
    count = len(motion)
    return ClipScores(
        times=np.arange(count) / rate,
        motion=np.array(motion, float),
        sharpness=np.array(sharpness or [100.0] * count, float),
        loudness=np.array(loudness or [LOUDNESS_FLOOR_DB] * count, float),
        faces=np.array(faces or [0.0] * count, float),
        rate=rate,
        duration=count / rate,
    )


# The best seconds -----------------------------------------------------------------------------


def test_the_best_seconds_are_where_it_moves_and_speaks(action_in_the_middle):
    source = source_of(action_in_the_middle)
    info = probe_clip(source)
    found = score_clip(source, info)
    assert len(found.times) == pytest.approx(36, abs=1)
    middle, still = (found.times >= 3.25) & (found.times < 5.75), found.times < 2.5
    assert found.motion[middle].mean() > 5 * max(found.motion[still].mean(), 0.1)
    # the rumble is below the speech band: the voice is what counts
    assert found.loudness[middle].min() > found.loudness[still].max() + 20
    assert not found.faces.any()
    assert abs(best_segment(found, 3.0) - 3.0) <= 0.5


def test_faces_count_in_the_score(tmp_path):
    """2 s of an empty lawn, then 2 s of Grace Hopper on it."""
    empty, person = tmp_path / "empty.png", tmp_path / "person.png"
    scene(GRACE).save(person)
    Image.new("RGB", (640, 480), (90, 130, 80)).save(empty)
    clip = encode(tmp_path / "faces.mp4", "-loop", "1", "-t", "2", "-i", str(empty),
                  "-loop", "1", "-t", "2", "-i", str(person), "-filter_complex",
                  "[0][1]concat=n=2,fps=10,format=yuv420p", *X264)  # fmt: skip
    source = source_of(clip)
    found = score_clip(source, probe_clip(source))
    assert not found.faces[found.times < 2].any() and (found.faces[found.times >= 2] == 1).all()
    assert best_segment(found, 2.0) == 2.0


def test_a_clip_without_sound_is_at_the_loudness_floor(quarter_turned):
    source = source_of(quarter_turned)
    found = score_clip(source, probe_clip(source), faces=False)
    assert (found.loudness == LOUDNESS_FLOOR_DB).all()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("action from 4 s", 4.0),
        ("a blurred whip-pan at 6 s, a sharp walk at 1 s", 1.0),
        ("action at the very end", 8.0),
        ("faces from 2 s", 2.0),
        ("three as good: the one starting in a pause", 5.0),
    ],
)
def test_best_segment_golden(case, expected):
    quiet, talk = LOUDNESS_FLOOR_DB, -20.0
    still = [0.0] * 20
    made = {
        "action from 4 s": scores(still[:8] + [20.0] * 4 + still[:8]),
        "a blurred whip-pan at 6 s, a sharp walk at 1 s": scores(
            still[:2] + [8.0] * 4 + still[:6] + [60.0] * 4 + still[:4],
            sharpness=[100.0] * 12 + [3.0] * 4 + [100.0] * 4,
        ),
        "action at the very end": scores(still[:16] + [20.0] * 4),
        "faces from 2 s": scores(still, faces=[0] * 4 + [2] * 4 + [0] * 12),
        "three as good: the one starting in a pause": scores(
            still[:8] + [20.0] * 6 + still[:6],  # 4 s to 7 s: three windows hold 2 s of it
            loudness=[talk] * 10 + [quiet] + [talk] * 9,  # a pause at 5 s
        ),
    }[case]
    assert best_segment(made, 2.0) == expected


def test_best_segment_of_a_short_clip_is_its_start():
    assert best_segment(scores([0.0, 50.0, 0.0]), 1.5) == 0.0
    assert best_segment(scores([0.0, 50.0, 0.0]), 5.0) == 0.0


def test_a_start_in_silence_wins_only_when_nearly_as_good():
    loud = [-20.0] * 20
    loud[0] = LOUDNESS_FLOOR_DB  # a pause at 0 s; the action is at 5 s
    made = scores([1.0] * 10 + [30.0] * 4 + [1.0] * 6, loudness=loud)
    assert best_segment(made, 2.0) == 5.0
    lenient = SegmentWeights(quiet_start=1.0)  # everything "nearly as good": silence decides
    assert best_segment(made, 2.0, weights=lenient) == 0.0


def test_speech_loudness_counts_the_voice_band():
    rate = 16_000
    times = np.arange(rate) / rate
    voice = speech_loudness(0.5 * np.sin(2 * np.pi * 1000 * times), rate, 4.0, 4)
    rumble = speech_loudness(0.5 * np.sin(2 * np.pi * 40 * times), rate, 4.0, 4)
    assert voice == pytest.approx([20 * np.log10(0.5 / np.sqrt(2))] * 4, abs=0.2)
    assert (rumble < voice - 30).all()
    assert (speech_loudness(np.zeros(0), rate, 4.0, 3) == LOUDNESS_FLOOR_DB).all()


# What a clip is, upright ----------------------------------------------------------------------


def test_a_quarter_turned_clip_is_shown_upright(quarter_turned):
    source = source_of(quarter_turned)
    info = probe_clip(source)
    assert (info.width, info.height, info.rotation) == (180, 320, 270)  # 90 counter-clockwise
    assert (info.codec, info.hdr, info.has_audio, info.bit_depth) == ("h264", None, False, 8)
    assert info.duration == pytest.approx(1.0, abs=0.05) and info.fps == 10
    frame = first_frame(source, (180, 320))
    assert frame.shape == (320, 180, 3) and frame.dtype == np.uint8
    red, grey = frame[:50].mean(axis=(0, 1)), frame[100:].mean(axis=(0, 1))
    assert red[0] > 200 and red[1] < 40 and red[2] < 40, "the red band is along the top"
    assert abs(grey - 128).max() < 12
    assert first_frame(source, (90, 160)).shape == (160, 90, 3)


@pytest.mark.parametrize(
    ("size", "matrix", "colour_range"),
    [((1280, 720), "bt709", "tv"), ((640, 480), "bt601", "tv"), ((640, 480), "bt709", "pc")],
)
def test_sdr_colours_come_out_through_the_clips_own_matrix_and_range(
    tmp_path, size, matrix, colour_range
):
    """Untagged, HD is BT.709 and SD BT.601; a full-range clip's darks stay dark."""
    tagged = "" if colour_range == "pc" else ",setparams=colorspace=unknown"
    picture = (f"color=c=0x00C000:s={size[0]}x{size[1]}:r=10:d=0.3,"
               "drawbox=x=0:y=0:w=iw/2:h=ih:c=0x202020:t=fill,"
               f"scale=out_color_matrix={matrix}:out_range={colour_range},"
               f"format={'yuvj420p' if colour_range == 'pc' else 'yuv420p'}{tagged}")  # fmt: skip
    lossless = [*X264, "-qp", "0"]
    source = source_of(encode(tmp_path / "green.mp4", "-f", "lavfi", "-i", picture, *lossless))
    assert probe_clip(source).full_range is (colour_range == "pc")
    frame = first_frame(source, (64, 48)).astype(int)
    assert abs(frame[24, 48] - [0, 192, 0]).max() <= 8, "green, as it was drawn"
    assert abs(frame[24, 16] - [31, 31, 31]).max() <= 4, "a dark grey neither lifted nor crushed"


@pytest.mark.parametrize(("transfer", "kind"), [("arib-std-b67", "hlg"), ("smpte2084", "pq")])
def test_hdr_comes_out_sdr_neither_washed_out_nor_dark(tmp_path, transfer, kind):
    source = source_of(hdr_clip(tmp_path / f"{kind}.mp4", transfer))
    info = probe_clip(source)
    assert (info.hdr, info.bit_depth, info.codec) == (kind, 10, "hevc")
    frame = first_frame(source, (160, 90)).astype(int)
    grey, red = frame[60:].mean(axis=(0, 1)), frame[:15].mean(axis=(0, 1))
    assert 90 <= grey.mean() <= 200 and np.ptp(grey) < 8, f"mid-grey stays mid-grey: {grey}"
    assert red[0] > 200 and red[1] < 50 and red[2] < 50, f"red stays red: {red}"


# Frames in time -------------------------------------------------------------------------------


def test_frames_follow_time_seek_exactly_and_hold_at_the_end(tmp_path):
    """Brightness 80 per second (limited range 16 + 70 t): each frame tells its time."""
    ramp = "color=c=black:s=64x48:r=10:d=3,format=yuv420p,geq=lum='16+70*T':cb=128:cr=128"
    source = source_of(encode(tmp_path / "ramp.mp4", "-f", "lavfi", "-i", ramp, *X264,
                              "-g", "30"))  # fmt: skip
    info = probe_clip(source)

    def seconds(frame: np.ndarray) -> float:
        return float(frame.mean()) / (70 * 255 / 219)

    with ClipFrames(source, info, start=1.0, length=1.5, size=(32, 24), fps=10) as frames:
        assert seconds(frames.frame_at(0.0)) == pytest.approx(1.0, abs=0.06)  # past a keyframe
        assert seconds(frames.frame_at(0.5)) == pytest.approx(1.5, abs=0.06)
        assert seconds(frames.frame_at(0.2)) == pytest.approx(1.2, abs=0.06)  # back: restarted
        last = frames.frame_at(1.45)
        assert seconds(last) == pytest.approx(2.4, abs=0.06)
        assert frames.frame_at(4.0) is last, "the last frame holds past the end"
    with ClipFrames(source, info, size=(32, 24), fps=10) as frames:
        assert seconds(frames.frame_at(0.1)) == pytest.approx(0.1, abs=0.06)
        frames.close()  # and asked again: it starts again
        assert seconds(frames.frame_at(2.9)) == pytest.approx(2.9, abs=0.06)


# Motion photos and files that are not clips ---------------------------------------------------


def test_a_motion_photos_clip_inside_its_jpeg(tmp_path):
    folder = tmp_path / "Pixel 8, holiday"
    folder.mkdir()
    clip = encode(tmp_path / "clip.mp4", "-f", "lavfi", "-i", RED_TOP, "-f", "lavfi",
                  "-i", "sine=f=440:d=1", *X264, "-c:a", "aac", "-shortest")  # fmt: skip
    still = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(still, "JPEG")
    photo = folder / "PXL_2024, 1.MP.jpg"
    photo.write_bytes(still.getvalue() + clip.read_bytes())
    source = ClipSource.of_motion(Motion(str(photo), len(still.getvalue()), clip.stat().st_size))
    assert source.url.startswith("subfile,,start,") and source.url.endswith(f":file:{photo}")
    info = probe_clip(source)
    assert (info.width, info.height, info.has_audio) == (180, 320, True)
    frame = first_frame(source, (90, 160))
    assert frame[:20, :, 0].mean() > 200 and frame[:20, :, 1].mean() < 40
    sound = clip_audio(source, 0.2, 0.5)
    assert sound is not None and sound.shape == (22050, 2) and np.abs(sound).max() > 0.05
    assert ClipSource.of_motion(Motion(str(clip))).url == f"file:{clip}"


def test_a_file_that_is_not_a_video_is_unusable_by_name(tmp_path):
    junk = tmp_path / "IMG_0001.MOV"
    junk.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ClipUnusable, match=r"^IMG_0001\.MOV: not a video") as raised:
        probe_clip(source_of(junk))
    assert raised.value.exit_status is ExitStatus.SKIPPED
    assert str(pickle.loads(pickle.dumps(raised.value))) == str(raised.value)
    voice = encode(tmp_path / "voice.m4a", "-f", "lavfi", "-i", "sine=d=0.5")
    with pytest.raises(ClipUnusable, match=r"voice\.m4a: no video stream"):
        probe_clip(source_of(voice))


def test_a_clip_whose_frames_are_cut_off_cannot_be_decoded(tmp_path):
    whole = encode(tmp_path / "whole.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=10:d=2",
                   *X264, "-movflags", "+faststart")  # fmt: skip
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[:3000])  # the index is whole, the pictures are not
    with pytest.raises(
        ClipUnusable, match=r"^cut\.mp4: the bundled ffmpeg cannot decode h264 \(.+\)$"
    ) as raised:
        probe_clip(source_of(cut))
    assert "Input #0" not in str(raised.value), "the reason is the decoder's, not the report"


# Sound ----------------------------------------------------------------------------------------


def test_clip_audio_is_the_segments_sound_or_none(tmp_path, quarter_turned):
    assert clip_audio(source_of(quarter_turned), 0.0, 1.0) is None
    toned = encode(tmp_path / "tone.mp4", "-f", "lavfi", "-i", RED_TOP, "-f", "lavfi",
                   "-i", "sine=f=440:d=2", *X264, "-c:a", "aac")  # fmt: skip
    sound = clip_audio(source_of(toned), 0.5, 1.0, rate=44100)
    assert sound is not None and sound.shape == (44100, 2) and sound.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(sound[:, 0]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 s: a bin per hertz
    tail = clip_audio(source_of(toned), 1.5, 1.0)
    assert tail is not None and tail.shape == (44100, 2) and not tail[-4000:].any()


# Real files (opt-in: ../shared) ---------------------------------------------------------------


@pytest.mark.skipif(not PHOTOPRISM_HEVC.is_file(), reason="../shared/devdata is not present")
def test_an_iphone_hevc_turned_by_its_display_matrix_comes_out_portrait():
    source = source_of(PHOTOPRISM_HEVC)
    info = probe_clip(source)
    assert (info.width, info.height, info.rotation, info.codec) == (720, 1280, 90, "hevc")
    assert info.has_audio and info.hdr is None
    with ClipFrames(source, info, size=(180, 320), fps=10) as frames:
        assert frames.frame_at(0.5).shape == (320, 180, 3)
