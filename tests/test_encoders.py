"""Which H.264 encoder makes recap videos here: hardware ones tried once and remembered,
libx264 when none works; the same quality asked of each; real encodes with the bundled
ffmpeg."""

from __future__ import annotations

import json
import re
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from typer.testing import CliRunner

from memories.cli import app
from memories.errors import ConfigError
from memories.render import encoders
from memories.render.encoders import (
    AMF,
    LIBX264,
    NVENC,
    QSV,
    VAAPI,
    EncoderSurvey,
    Trial,
    candidates,
    choose_encoder,
    describe_encoders,
    failure_reason,
    fallback_note,
    gpu_devices,
)
from memories.render.video import is_whole_mp4

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
KEYFRAMES = ["-force_key_frames:v", "expr:gte(t,n_forced*2)"]
needs_no_gpu = pytest.mark.skipif(bool(gpu_devices()), reason="this machine has a GPU device")


@pytest.fixture
def counted_trials(monkeypatch):
    """The commands the real trial function ran (counted, still run)."""
    commands: list[list[str]] = []
    real = encoders._try_encode

    def counting(command):
        commands.append(command)
        return real(command)

    monkeypatch.setattr(encoders, "_try_encode", counting)
    return commands


@needs_no_gpu
def test_auto_is_libx264_here_tried_once_and_again_when_the_devices_change(
    tmp_path, counted_trials
):
    assert choose_encoder(cache_dir=tmp_path) is LIBX264
    assert counted_trials == []  # no GPU device: nothing worth trying
    assert not (tmp_path / "encoders.json").exists(), "nor worth writing down"
    assert choose_encoder("auto", cache_dir=tmp_path) is LIBX264
    assert counted_trials == []

    # an NVIDIA device appears: NVENC is tried, for real, and fails on this machine
    nvidia = ["/dev/nvidia0", "/dev/nvidiactl"]
    assert choose_encoder(cache_dir=tmp_path, devices=nvidia) is LIBX264
    [command] = counted_trials
    assert "h264_nvenc" in command
    record = json.loads((tmp_path / "encoders.json").read_text())
    assert record["key"]["devices"] == nvidia and record["key"]["ffmpeg"][0] == FFMPEG
    [trial] = record["trials"]
    assert trial["encoder"] == "nvenc" and trial["failure"]
    assert choose_encoder(cache_dir=tmp_path, devices=nvidia) is LIBX264
    assert len(counted_trials) == 1  # remembered under the new key
    [line] = describe_encoders(tmp_path, devices=nvidia)
    assert line.startswith("libx264 (no hardware encoder works here: h264_nvenc: ")


def test_another_ffmpeg_is_tried_again(tmp_path, counted_trials):
    copy = tmp_path / "ffmpeg"
    copy.write_bytes(b"#!/bin/sh\nexit 1\n")
    copy.chmod(0o755)
    devices = ["/dev/dri/renderD128"]
    choose_encoder(cache_dir=tmp_path, devices=devices, ffmpeg=FFMPEG)
    assert len(counted_trials) == 3  # qsv, vaapi, amf
    choose_encoder(cache_dir=tmp_path, devices=devices, ffmpeg=str(copy))
    assert len(counted_trials) == 6
    survey = encoders.survey_encoders(tmp_path, devices=devices, ffmpeg=str(copy))
    assert [trial.failure for trial in survey.trials] == ["ffmpeg exited with status 1"] * 3


def test_only_encoders_whose_device_is_there_are_tried():
    assert candidates([]) == []
    assert candidates(["/dev/nvidia0", "/dev/nvidiactl"]) == [NVENC]
    assert candidates(["/dev/dri/renderD128"]) == [QSV, VAAPI, AMF]
    assert candidates(["/dev/dri/renderD128", "/dev/nvidia0"]) == [NVENC, QSV, VAAPI, AMF]
    assert candidates(["/dev/dxg"]) == [NVENC, QSV]  # WSL2


def test_a_damaged_cache_is_tried_again(tmp_path, counted_trials):
    (tmp_path / "encoders.json").write_text("{not json")
    assert choose_encoder(cache_dir=tmp_path, devices=["/dev/nvidia0"]) is LIBX264
    assert len(counted_trials) == 1
    assert json.loads((tmp_path / "encoders.json").read_text())["trials"]


@needs_no_gpu
def test_a_forced_nvenc_is_not_tried_and_fails_on_a_real_encode(tmp_path, counted_trials):
    assert choose_encoder("nvenc", cache_dir=tmp_path) is NVENC
    assert counted_trials == [] and not (tmp_path / "encoders.json").exists()
    video = tmp_path / "recap.mp4"
    result = _encode_frames(NVENC, video, frames=5)
    # what the caller sees: ffmpeg's non-zero exit and its words, and no whole video
    assert result.returncode != 0
    assert not video.exists() or not is_whole_mp4(video)
    reason = failure_reason(result.stderr)
    assert re.search(r"cuda|nvenc|encode", reason, re.IGNORECASE), result.stderr
    assert "@ 0x" not in reason and "\n" not in reason
    note = fallback_note(NVENC, reason)
    assert note == f"h264_nvenc failed ({reason}); encoded with libx264"


def test_failure_reason_is_ffmpegs_first_line_without_its_context():
    stderr = (
        "[h264_nvenc @ 0x55e4087b9cc0] Cannot load libcuda.so.1\n"
        "[vost#0:0/h264_nvenc @ 0x55e4087b9480] [enc:h264_nvenc @ 0x55e4087b9b80] Error while "
        "opening encoder - maybe incorrect parameters such as bit_rate, rate, width or height.\n"
    )
    assert failure_reason(stderr) == "Cannot load libcuda.so.1"
    assert failure_reason("\n\n") == ""


def test_output_params_ask_each_encoder_for_the_same_result():
    assert LIBX264.output_params(21, "veryfast") == [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-pix_fmt", "yuv420p",
        "-profile:v", "high", *KEYFRAMES,
    ]  # fmt: skip
    assert NVENC.output_params(21, "veryfast") == [
        "-c:v", "h264_nvenc", "-preset", "p5", "-tune", "hq", "-profile:v", "high",
        "-rc", "vbr", "-cq", "21", "-b:v", "0", "-pix_fmt", "yuv420p", *KEYFRAMES,
        "-forced-idr", "1",
    ]  # fmt: skip
    assert QSV.output_params(21, "veryfast") == [
        "-c:v", "h264_qsv", "-preset", "slow", "-profile:v", "high",
        "-global_quality:v", "21", "-pix_fmt", "nv12", *KEYFRAMES, "-forced_idr", "1",
    ]  # fmt: skip
    assert VAAPI.output_params(21, "veryfast") == [
        "-c:v", "h264_vaapi", "-profile:v", "high", "-rc_mode", "CQP", "-qp", "21",
        "-i_qfactor:v", "1", "-i_qoffset:v", "-3", "-b_qfactor:v", "1", "-b_qoffset:v", "2",
        *KEYFRAMES,
    ]  # fmt: skip
    assert AMF.output_params(21, "veryfast") == [
        "-c:v", "h264_amf", "-usage", "transcoding", "-quality", "quality", "-profile:v",
        "high", "-rc", "cqp", "-qp_i", "18", "-qp_p", "21", "-qp_b", "23", "-pix_fmt",
        "yuv420p", *KEYFRAMES, "-forced_idr", "1",
    ]  # fmt: skip
    assert VAAPI.input_params() == ["-vaapi_device", "/dev/dri/renderD128"]
    assert VAAPI.upload_filter == "format=nv12,hwupload"
    assert all(e.input_params() == [] and e.upload_filter is None
               for e in (LIBX264, NVENC, QSV, AMF))  # fmt: skip
    assert _value(NVENC.output_params(0, "veryfast"), "-cq") == "1"  # 0 means "automatic"
    low = AMF.output_params(2, "veryfast")
    assert [_value(low, option) for option in ("-qp_i", "-qp_p", "-qp_b")] == ["1", "2", "4"]


def test_every_option_is_one_the_bundled_ffmpeg_knows_for_that_encoder():
    generic = _options(_section(_help("full"), "AVCodecContext AVOptions:"))
    for encoder in (LIBX264, NVENC, QSV, VAAPI, AMF):
        own = _options(_section(_help(f"encoder={encoder.codec}"), "AVOptions:"))
        params = encoder.output_params(21, "veryfast")
        for option, value in zip(params[::2], params[1::2], strict=True):
            name = option.lstrip("-").split(":")[0]
            if name in ("c", "pix_fmt", "force_key_frames", "b"):
                continue
            known = own.get(name, generic.get(name))
            assert known is not None, f"{encoder.codec} has no option {option}"
            if known and not re.fullmatch(r"-?\d+", value):  # a named value
                assert value in known, f"{encoder.codec} {option} has no value {value}"


def test_a_libx264_encode_of_piped_frames_is_h264_high_yuv420p(tmp_path):
    video = tmp_path / "recap.mp4"
    result = _encode_frames(LIBX264, video, frames=30)
    assert result.returncode == 0, result.stderr
    assert is_whole_mp4(video)
    report = subprocess.run([FFMPEG, "-hide_banner", "-i", str(video)], capture_output=True,
                            text=True).stderr  # fmt: skip
    assert re.search(r"Video: h264 \(High\).*yuv420p", report), report
    assert "256x144" in report and "30 fps" in report


def test_an_unknown_choice_names_the_choices(tmp_path):
    with pytest.raises(ConfigError) as raised:
        choose_encoder("cuda", cache_dir=tmp_path)
    assert str(raised.value) == (
        "unknown video encoder 'cuda' (choices: auto, nvenc, qsv, vaapi, amf, libx264)"
    )


def test_the_survey_in_words():
    nothing = EncoderSurvey(())
    assert nothing.describe() == [
        "libx264 (no hardware encoder works here: no NVIDIA, Intel or AMD GPU device found)"
    ]
    mfx = "Error creating a MFX session: -9."
    works = EncoderSurvey((Trial(NVENC, None), Trial(QSV, mfx), Trial(VAAPI, None)))
    assert works.working == [NVENC, VAAPI, LIBX264]
    assert works.describe() == [
        "h264_nvenc (NVIDIA NVENC)",
        "h264_vaapi works too",
        "h264_qsv: Error creating a MFX session: -9.",
    ]


@needs_no_gpu
def test_doctor_names_the_video_encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["doctor", "--json", "-l", str(tmp_path / "lib")])
    assert result.exit_code == 0, result.output
    [row] = [check for check in json.loads(result.stdout) if check["name"] == "Video encoder"]
    assert row == {
        "name": "Video encoder",
        "status": "ok",
        "detail": "libx264 (no hardware encoder works here: no NVIDIA, Intel or AMD GPU "
        "device found)",
        "needed_for": "videos",
    }
    assert not (tmp_path / "cache").exists(), "a machine without a GPU writes nothing"
    table = CliRunner().invoke(app, ["doctor", "-l", str(tmp_path / "lib")])
    assert "Video encoder" in table.stdout and "libx264" in table.stdout


def _encode_frames(encoder, video, *, frames):
    """Moving grey frames piped to ffmpeg as a recap's are, encoded with `encoder`."""
    width, height = 256, 144
    ramp = np.linspace(0, 255, width, dtype=np.uint8)
    pixels = b"".join(
        np.repeat(np.roll(ramp, 8 * i)[None, :, None], height, 0).repeat(3, 2).tobytes()
        for i in range(frames)
    )
    upload = ["-vf", encoder.upload_filter] if encoder.upload_filter else []
    command = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *encoder.input_params(),
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", "30",
               "-i", "-", *upload, *encoder.output_params(21, "veryfast"),
               "-movflags", "+faststart", str(video)]  # fmt: skip
    result = subprocess.run(command, input=pixels, capture_output=True, timeout=60)
    return subprocess.CompletedProcess(command, result.returncode, result.stdout,
                                       result.stderr.decode(errors="replace"))  # fmt: skip


def _value(params, option):
    return params[params.index(option) + 1]


def _help(topic):
    return subprocess.run([FFMPEG, "-hide_banner", "-h", topic], capture_output=True,
                          text=True, timeout=30).stdout  # fmt: skip


def _section(text, header):
    """The lines of `ffmpeg -h` output under the first header ending in `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(header)) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].endswith("AVOptions:")),
               len(lines))  # fmt: skip
    return lines[start:end]


def _options(lines):
    """Option name: the named values listed under it."""
    options: dict[str, set[str]] = {}
    current = None
    for line in lines:
        if match := re.match(r"  -(\S+)\s+<", line):
            current = options.setdefault(match[1], set())
        elif current is not None and (match := re.match(r"\s{5}(\S+)\s", line)):
            current.add(match[1])
    return options


def test_the_config_takes_every_encoder_there_is_and_no_other(tmp_path):
    from memories.config import load_settings
    from memories.render.encoders import CHOICES, ENCODERS

    assert set(CHOICES) == {"auto", *ENCODERS}
    config = tmp_path / "config.toml"
    config.write_text('encoder = "nvenc"\n')
    assert load_settings({"MEMORIES_CONFIG": str(config)}).encoder == "nvenc"
    config.write_text('encoder = "cuda"\n')
    with pytest.raises(ConfigError, match="encoder"):
        load_settings({"MEMORIES_CONFIG": str(config)})
