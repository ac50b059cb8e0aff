"""Which H.264 encoder makes this machine's recap videos: a GPU's (NVENC, Quick Sync,
VA-API, AMF) when one works here, else libx264; and the ffmpeg options that give each the
same result: H.264 High, 4:2:0, constant quality matched to the look's crf, a keyframe
every 2 s.

Whether a hardware encoder works is known only by trying it: each one whose device can be
here is tried once on a tiny clip, and the answer is kept in a cache folder until the ffmpeg
binary or the GPU devices change."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memories.config import ENCODER_CHOICES
from memories.errors import ConfigError
from memories.render.files import write_atomically

NVENC_CQ_OFFSET = 0
"""NVENC's `-cq` (VBR with a quality target) minus the look's crf. Both are rate factors on
the H.264 quantizer's scale, each placing I- and B-frames around it by itself; the hardware
lacks x264's psychovisual tuning and mb-tree, so at the same number it spends more bits for
about the same look. We keep the look rather than the size: a recap is a minute long."""
QSV_QUALITY_OFFSET = 0
"""Quick Sync's `-global_quality` (ICQ, its crf) minus the look's crf, for the same reason."""
CQP_P_OFFSET = 0
"""For the constant-quantizer encoders (VA-API, AMF): the P-frames' QP minus the look's crf.
x264's crf N is calibrated to look like P-frames at QP N."""
CQP_I_OFFSET = -3
"""I-frames' QP minus P-frames': x264's ipratio 1.4 is 6·log2(1.4) ≈ 2.9 QP finer."""
CQP_B_OFFSET = 2
"""B-frames' QP minus P-frames': x264's pbratio 1.3 is 6·log2(1.3) ≈ 2.3 QP coarser."""
KEYFRAME_SECONDS = 2
"""A keyframe at least this often, whatever the frame rate: seeking stays quick."""
VAAPI_DEVICE = "/dev/dri/renderD128"
"""The render node VA-API opens (the first GPU's)."""
CACHE_FILE = "encoders.json"
PROBE_VERSION = 1
"""Part of the cache's key: bumped when the options tried change, so they are tried again."""
PROBE_SECONDS = 10
"""How long a hardware encoder may take over its test clip (a hung driver gives up)."""
PROBE_CLIP = "testsrc2=size=256x144:rate=30"
PROBE_FRAMES = 16
_PROBE_CRF, _PROBE_PRESET = 21, "veryfast"
_KEYFRAMES = ["-force_key_frames:v", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})"]


@dataclass(frozen=True)
class Encoder:
    """An H.264 encoder of ffmpeg's, and how to ask it for a recap's quality."""

    name: str
    """What a user chooses it by: nvenc, qsv, vaapi, amf or libx264."""
    codec: str
    """ffmpeg's name for it (`-c:v`)."""
    hardware: bool
    description: str

    def input_params(self) -> list[str]:
        """The options that go before ffmpeg's `-i`: the device VA-API encodes on."""
        return ["-vaapi_device", VAAPI_DEVICE] if self.name == "vaapi" else []

    @property
    def upload_filter(self) -> str | None:
        """The filter that must end the `-vf` chain: VA-API encodes frames it holds itself,
        so they are converted to nv12 and uploaded."""
        return "format=nv12,hwupload" if self.name == "vaapi" else None

    def output_params(self, look_crf: int, look_preset: str) -> list[str]:
        """The output options for this encoder, for a look's libx264 `crf` and `preset`;
        `-movflags` (faststart) and audio are the caller's. Generic options carry `:v`,
        so that none reaches the audio encoder."""
        codec = ["-c:v", self.codec]
        if self.name == "libx264":
            return [*codec, "-preset", look_preset, "-crf", str(look_crf),
                    "-pix_fmt", "yuv420p", "-profile:v", "high", *_KEYFRAMES]  # fmt: skip
        # the hardware's speed is not the bottleneck (painting the frames is): their
        # good-quality presets, whatever the look's libx264 preset
        if self.name == "nvenc":
            return [*codec, "-preset", "p5", "-tune", "hq", "-profile:v", "high", "-rc", "vbr",
                    "-cq", str(_quantizer(look_crf + NVENC_CQ_OFFSET)), "-b:v", "0",
                    "-pix_fmt", "yuv420p", *_KEYFRAMES, "-forced-idr", "1"]  # fmt: skip
        if self.name == "qsv":
            return [*codec, "-preset", "slow", "-profile:v", "high",
                    "-global_quality:v", str(_quantizer(look_crf + QSV_QUALITY_OFFSET)),
                    "-pix_fmt", "nv12", *_KEYFRAMES, "-forced_idr", "1"]  # fmt: skip
        p_frames = _quantizer(look_crf + CQP_P_OFFSET)
        if self.name == "vaapi":
            # VA-API derives the I- and B-frames' QP as factor * P + offset
            return [*codec, "-profile:v", "high", "-rc_mode", "CQP", "-qp", str(p_frames),
                    "-i_qfactor:v", "1", "-i_qoffset:v", str(CQP_I_OFFSET), "-b_qfactor:v", "1",
                    "-b_qoffset:v", str(CQP_B_OFFSET), *_KEYFRAMES]  # fmt: skip
        return [*codec, "-usage", "transcoding", "-quality", "quality", "-profile:v", "high",
                "-rc", "cqp", "-qp_i", str(_quantizer(p_frames + CQP_I_OFFSET)),
                "-qp_p", str(p_frames), "-qp_b", str(_quantizer(p_frames + CQP_B_OFFSET)),
                "-pix_fmt", "yuv420p", *_KEYFRAMES, "-forced_idr", "1"]  # fmt: skip


def _quantizer(value: int) -> int:
    """Within H.264's 1-51 (0 would mean "automatic" to NVENC, not lossless)."""
    return max(1, min(51, value))


NVENC = Encoder("nvenc", "h264_nvenc", True, "NVIDIA NVENC")
QSV = Encoder("qsv", "h264_qsv", True, "Intel Quick Sync Video")
VAAPI = Encoder("vaapi", "h264_vaapi", True, "VA-API")
AMF = Encoder("amf", "h264_amf", True, "AMD AMF")
LIBX264 = Encoder("libx264", "libx264", False, "x264, on the CPU")
HARDWARE = (NVENC, QSV, VAAPI, AMF)
"""In the order `auto` prefers them."""
ENCODERS = {encoder.name: encoder for encoder in (*HARDWARE, LIBX264)}
CHOICES = ENCODER_CHOICES
"""What `--encoder` and the config's `encoder` take (config.py checks them)."""

_DEVICES_NEEDED = {  # device path prefixes, one of which an encoder needs
    "nvenc": ("/dev/nvidia", "/dev/dxg"),  # /dev/dxg: the GPU under WSL2
    "qsv": ("/dev/dri/render", "/dev/dxg"),
    "vaapi": ("/dev/dri/render",),
    "amf": ("/dev/dri/render",),
}
_DEVICE_PATTERNS = ("nvidia*", "dri/render*", "dxg")


def gpu_devices(dev: Path = Path("/dev")) -> tuple[str, ...]:
    """The GPU device nodes present: /dev/nvidia*, /dev/dri/render*, /dev/dxg."""
    return tuple(sorted(str(path) for pattern in _DEVICE_PATTERNS for path in dev.glob(pattern)))


def candidates(devices: Iterable[str]) -> list[Encoder]:
    """The hardware encoders worth trying with these device nodes present, in preference
    order: none without a GPU's device, so a CPU machine tries nothing."""
    present = tuple(devices)
    return [
        encoder
        for encoder in HARDWARE
        if any(device.startswith(_DEVICES_NEEDED[encoder.name]) for device in present)
    ]


@dataclass(frozen=True)
class Trial:
    """A hardware encoder tried on a tiny clip."""

    encoder: Encoder
    failure: str | None
    """Why it does not work here (ffmpeg's words); None when it does."""


@dataclass(frozen=True)
class EncoderSurvey:
    """What trying the hardware encoders found on this machine."""

    trials: tuple[Trial, ...]

    @property
    def working(self) -> list[Encoder]:
        """The encoders that work here, in preference order; libx264 last, always."""
        return [trial.encoder for trial in self.trials if trial.failure is None] + [LIBX264]

    def describe(self) -> list[str]:
        """The encoder recap videos use, in words, then what each other one tried gave."""
        chosen = self.working[0]
        failures = [f"{t.encoder.codec}: {t.failure}" for t in self.trials if t.failure]
        if chosen is LIBX264:
            why = "; ".join(failures) or "no NVIDIA, Intel or AMD GPU device found"
            return [f"libx264 (no hardware encoder works here: {why})"]
        also = [f"{t.encoder.codec} works too" for t in self.trials
                if t.failure is None and t.encoder is not chosen]  # fmt: skip
        return [f"{chosen.codec} ({chosen.description})", *also, *failures]


def choose_encoder(
    choice: str = "auto",
    *,
    cache_dir: Path,
    devices: Sequence[str] | None = None,
    ffmpeg: str | None = None,
) -> Encoder:
    """The encoder for `choice` (one of `CHOICES`): a named one as it is, untried (a failure
    mid-video is then the caller's: `fallback_note`); `auto` the first that works here."""
    if choice == "auto":
        return survey_encoders(cache_dir, devices=devices, ffmpeg=ffmpeg).working[0]
    if choice not in ENCODERS:
        raise ConfigError(f"unknown video encoder {choice!r} (choices: {', '.join(CHOICES)})")
    return ENCODERS[choice]


def describe_encoders(
    cache_dir: Path, *, devices: Sequence[str] | None = None, ffmpeg: str | None = None
) -> list[str]:
    """For `memories doctor`: the encoder recap videos use here, and why not the others."""
    return survey_encoders(cache_dir, devices=devices, ffmpeg=ffmpeg).describe()


def survey_encoders(
    cache_dir: Path, *, devices: Sequence[str] | None = None, ffmpeg: str | None = None
) -> EncoderSurvey:
    """Each hardware encoder whose device is present (`devices`: this machine's), tried once
    with `ffmpeg` (imageio-ffmpeg's): the answer kept in `cache_dir` is used while the
    ffmpeg binary and the devices are those it was found with."""
    if ffmpeg is None:
        import imageio_ffmpeg

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    present = tuple(sorted(gpu_devices() if devices is None else devices))
    key = _cache_key(ffmpeg, present)
    cache = cache_dir / CACHE_FILE
    if (cached := _read_cache(cache, key)) is not None:
        return EncoderSurvey(cached)
    trials = tuple(Trial(encoder, _try_encode(probe_command(encoder, ffmpeg)))
                   for encoder in candidates(present))  # fmt: skip
    if not trials:  # no GPU device: nothing was tried, nothing worth keeping
        return EncoderSurvey(trials)
    record = {"key": key, "trials": [{"encoder": trial.encoder.name, "failure": trial.failure}
                                     for trial in trials]}  # fmt: skip
    # an unwritable cache costs the next run the same few trials, nothing worse
    with contextlib.suppress(OSError):
        write_atomically(cache, lambda partial: partial.write_text(json.dumps(record, indent=2)))
    return EncoderSurvey(trials)


def probe_command(encoder: Encoder, ffmpeg: str) -> list[str]:
    """ffmpeg encoding a tiny test clip to nowhere, with the options a recap would use."""
    upload = ["-vf", encoder.upload_filter] if encoder.upload_filter else []
    return [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", *encoder.input_params(),
            "-f", "lavfi", "-i", PROBE_CLIP, "-frames:v", str(PROBE_FRAMES), *upload,
            *encoder.output_params(_PROBE_CRF, _PROBE_PRESET), "-f", "null", "-"]  # fmt: skip


def _try_encode(command: list[str]) -> str | None:
    """Run one trial: None when ffmpeg encoded the clip, else why not."""
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                errors="replace", timeout=PROBE_SECONDS)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"no answer in {PROBE_SECONDS} s"
    except OSError as error:
        return f"ffmpeg does not run: {error.strerror or error}"
    if result.returncode == 0:
        return None
    return failure_reason(result.stderr) or f"ffmpeg exited with status {result.returncode}"


_CONTEXT = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\]\s*)+")


def failure_reason(stderr: str) -> str:
    """The line of ffmpeg's error output that says why (its first: "Cannot load
    libcuda.so.1"), without the "[h264_nvenc @ 0x...]" it starts with; "" when it is empty."""
    for line in stderr.splitlines():
        if reason := _CONTEXT.sub("", line.strip()).strip():
            return reason[:200]
    return ""


def fallback_note(encoder: Encoder, reason: str) -> str:
    """What to tell the user when `encoder` failed on a video that libx264 then encoded."""
    return f"{encoder.codec} failed ({reason}); encoded with {LIBX264.codec}"


def user_cache_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/memories` (`~/.cache/memories`): what is learnt about this machine,
    kept apart from a library that may move to another one."""
    base = environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "memories"


def _cache_key(ffmpeg: str, devices: tuple[str, ...]) -> dict[str, Any]:
    """What would change the answer: another ffmpeg build, or a GPU added or removed."""
    try:
        stat = os.stat(ffmpeg)
        binary: list[Any] = [ffmpeg, stat.st_size, stat.st_mtime_ns]
    except OSError:
        binary = [ffmpeg, None, None]
    return {"version": PROBE_VERSION, "ffmpeg": binary, "devices": list(devices)}


def _read_cache(path: Path, key: dict[str, Any]) -> tuple[Trial, ...] | None:
    """The trials kept for `key`; None when there are none, for another key, or the file
    cannot be read as ours."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["key"] != key:
            return None
        return tuple(Trial(ENCODERS[entry["encoder"]], entry["failure"])
                     for entry in record["trials"])  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None
