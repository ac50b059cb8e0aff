"""Read the picture size and AVCHD's recording time from an H.264 or MPEG-2 video stream.

The transport-stream reader in `containers.py` hands over the first megabytes of a video
stream's payload; only the sequence parameter set (or MPEG-2 sequence header) and the first SEI
user data are parsed, never a picture.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_MDPM_MARKER = bytes.fromhex("17ee8c60f84d11d98cd60800200c9a66") + b"MDPM"
_EMULATION_PREVENTION = re.compile(rb"\x00\x00\x03(?=[\x00-\x03])")
_HIGH_PROFILES = {44, 83, 86, 100, 110, 118, 122, 128, 134, 135, 138, 139, 244}
_H264_PROFILES = _HIGH_PROFILES | {66, 77, 88}
# H.264 Table E-1: the pixel aspect ratio of each aspect_ratio_idc (255: stated explicitly).
_SAMPLE_ASPECTS = [(1, 1), (1, 1), (12, 11), (10, 11), (16, 11), (40, 33), (24, 11), (20, 11),
                   (32, 11), (80, 33), (18, 11), (15, 11), (64, 33), (160, 99), (4, 3), (3, 2),
                   (2, 1)]  # fmt: skip
_MPEG2_DISPLAY_ASPECTS = {2: 4 / 3, 3: 16 / 9, 4: 2.21}  # aspect_ratio_information 1: square


def picture_size(stream: bytes) -> tuple[int, int] | None:
    """The displayed size the stream's first sequence header gives; None without a readable one."""
    try:
        # MPEG-2's start code B3 cannot occur in H.264, whose SPS start code MPEG-2 slices mimic.
        return _mpeg2_size(stream) or _h264_size(stream)
    except (IndexError, ValueError):
        return None


def avchd_recorded_at(stream: bytes) -> datetime | None:
    """AVCHD's recording time from the first MDPM (H.264 SEI user data): tag 0x18 holds a zone
    byte, the century, year and month, 0x19 the day, hour, minute and second, all BCD."""
    at = stream.find(_MDPM_MARKER)
    if at < 0:
        return None
    record = _EMULATION_PREVENTION.sub(b"\0\0", stream[at + 20 : at + 20 + 1400])
    count = record[0] if record else 0
    tags = {
        record[i]: record[i + 1 : i + 5] for i in range(1, min(1 + 5 * count, len(record) - 4), 5)
    }
    if 0x18 not in tags or 0x19 not in tags:
        return None
    zone, *digits = tags[0x18] + tags[0x19]
    try:
        century, year, month, day, hour, minute, second = (_bcd(byte) for byte in digits)
        taken_at = datetime(century * 100 + year, month, day, hour, minute, second)
    except ValueError:
        return None
    if zone == 0xFF:  # no zone set; else as exiftool: 0x40 DST, 0x20 west, 0x1e hours, 0x01 half
        return taken_at
    offset = timedelta(hours=zone >> 1 & 0x0F, minutes=30 if zone & 0x01 else 0)
    return taken_at.replace(tzinfo=timezone(-offset if zone & 0x20 else offset))


def _bcd(byte: int) -> int:
    if byte >> 4 > 9 or byte & 0x0F > 9:
        raise ValueError(f"{byte:#04x} is not a BCD digit pair")
    return (byte >> 4) * 10 + (byte & 0x0F)


class _Bits:
    """An H.264 RBSP read bit by bit; running off its end raises IndexError."""

    def __init__(self, data: bytes) -> None:
        self.value, self.left = int.from_bytes(data, "big"), len(data) * 8

    def read(self, count: int) -> int:
        if count > self.left:
            raise IndexError("read past the end of the parameter set")
        self.left -= count
        return self.value >> self.left & ((1 << count) - 1)

    def golomb(self) -> int:
        zeros = 0
        while not self.read(1):
            zeros += 1
            if zeros > 31:
                raise ValueError("exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.read(zeros)

    def signed_golomb(self) -> int:
        code = self.golomb()
        return (code + 1) // 2 if code & 1 else -(code // 2)


def _h264_size(stream: bytes) -> tuple[int, int] | None:
    """Displayed size from the first sequence parameter set (H.264 7.3.2.1.1 and E.1.1)."""
    at = stream.find(b"\0\0\1")
    while 0 <= at < len(stream) - 4 and stream[at + 3] & 0x9F != 7:  # nal_unit_type 7: SPS
        at = stream.find(b"\0\0\1", at + 3)
    if not 0 <= at < len(stream) - 4:
        return None
    bits = _Bits(_EMULATION_PREVENTION.sub(b"\0\0", stream[at + 4 : at + 4 + 512]))
    profile = bits.read(8)
    bits.read(16), bits.golomb()  # constraint flags and level, seq_parameter_set_id
    if profile not in _H264_PROFILES:
        return None
    chroma = bits.golomb() if profile in _HIGH_PROFILES else 1
    if profile in _HIGH_PROFILES:
        bits.read(1 if chroma == 3 else 0), bits.golomb(), bits.golomb(), bits.read(1)
        if bits.read(1):  # scaling matrices, present only to be skipped
            for index in range(12 if chroma == 3 else 8):
                if bits.read(1):
                    _skip_scaling_list(bits, 16 if index < 6 else 64)
    bits.golomb()  # log2_max_frame_num_minus4
    order_type = bits.golomb()
    if order_type == 0:
        bits.golomb()
    elif order_type == 1:
        bits.read(1), bits.signed_golomb(), bits.signed_golomb()
        for _ in range(bits.golomb()):
            bits.signed_golomb()
    bits.golomb(), bits.read(1)  # max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
    width_in_blocks, height_in_units = bits.golomb() + 1, bits.golomb() + 1
    frames_only = bits.read(1)
    bits.read(1 if frames_only else 2)  # mb_adaptive_frame_field_flag, direct_8x8_inference
    left, right, top, bottom = [bits.golomb() for _ in range(4)] if bits.read(1) else [0] * 4
    crop_x, crop_y = (2 if chroma in (1, 2) else 1), (2 - frames_only) * (2 if chroma == 1 else 1)
    width = width_in_blocks * 16 - crop_x * (left + right)
    height = (2 - frames_only) * height_in_units * 16 - crop_y * (top + bottom)
    if width <= 0 or height <= 0:
        return None
    try:  # anamorphic HD (1440 wide for 1920) states its pixel shape in the VUI
        return round(width * _sample_aspect(bits)), height
    except IndexError:
        return width, height


def _sample_aspect(bits: _Bits) -> float:
    if not (bits.read(1) and bits.read(1)):  # vui_parameters_present, aspect_ratio_info_present
        return 1.0
    aspect = bits.read(8)
    sample_w, sample_h = (bits.read(16), bits.read(16)) if aspect == 255 else (
        _SAMPLE_ASPECTS[aspect] if aspect < len(_SAMPLE_ASPECTS) else (1, 1))  # fmt: skip
    return sample_w / sample_h if sample_w and sample_h else 1.0


def _skip_scaling_list(bits: _Bits, count: int) -> None:
    last = following = 8
    for _ in range(count):
        if following:
            following = (last + bits.signed_golomb()) % 256
        last = following or last


def _mpeg2_size(stream: bytes) -> tuple[int, int] | None:
    """The displayed size from an MPEG-2 sequence header (HDV camcorders), if there is one."""
    at = stream.find(b"\0\0\1\xb3")
    header = stream[at + 4 : at + 8] if at >= 0 else b""
    if len(header) < 4:
        return None
    width, height = header[0] << 4 | header[1] >> 4, (header[1] & 0x0F) << 8 | header[2]
    display_aspect = _MPEG2_DISPLAY_ASPECTS.get(header[3] >> 4)  # HDV: 1440x1080 shown 16:9
    width = round(height * display_aspect) if display_aspect else width
    return (width, height) if width and height else None
