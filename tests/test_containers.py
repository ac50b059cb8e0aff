"""AVI, MPEG-TS/AVCHD and Matroska/WebM: the facts their headers give, from files ffmpeg makes,
files made byte by byte (an IDIT date, an AVCHD MDPM with its zone, a DateUTC), mutants of
those, and the real camera files in ../shared/devdata."""

from __future__ import annotations

import functools
import io
import struct
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import imageio_ffmpeg
import pytest
from conftest import DEVDATA, PEERS, peers_expected
from hypothesis import example, given, settings
from hypothesis import strategies as st

from memories.scan.containers import read_container_facts, sniff_container
from memories.scan.video import NotAVideo, VideoFacts

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
TEST_PATTERN = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", "2"]


def facts_of(path: Path, container: str | None = None) -> VideoFacts:
    with path.open("rb") as file:
        container = container or sniff_container(file.read(64 * 1024))
        assert container, f"{path.name} was not recognised"
        return read_container_facts(path, file, path.stat().st_size, container)


def facts_of_bytes(tmp_path: Path, data: bytes, name: str) -> VideoFacts:
    path = tmp_path / name
    path.write_bytes(data)
    return facts_of(path)


# Files ffmpeg makes ---------------------------------------------------------------------------


@functools.cache
def encoders() -> str:
    run = subprocess.run([FFMPEG, "-hide_banner", "-encoders"], capture_output=True, check=True)
    return run.stdout.decode()


def encode(path: Path, *arguments: str) -> Path:
    subprocess.run([FFMPEG, "-y", "-v", "error", *arguments, str(path)], check=True)
    return path


MADE_BY_FFMPEG = {
    "mjpeg.avi": ("AVI", ["-c:v", "mjpeg"]),
    "mpeg4.avi": ("AVI", ["-c:v", "mpeg4"]),
    "h264.mkv": ("MATROSKA", ["-c:v", "libx264"]),
    "vp8.webm": ("MATROSKA", ["-c:v", "libvpx", "-b:v", "200k"]),
    "h264.mts": ("MPEG-TS", ["-c:v", "libx264", "-f", "mpegts"]),
    "h264.m2ts": ("MPEG-TS", ["-c:v", "libx264", "-mpegts_m2ts_mode", "1", "-f", "mpegts"]),
    "mpeg2.ts": ("MPEG-TS", ["-c:v", "mpeg2video", "-f", "mpegts"]),
    "hevc.ts": ("MPEG-TS", ["-c:v", "libx265", "-f", "mpegts"]),  # no SPS reader: ffmpeg's size
}


@pytest.mark.parametrize("name", sorted(MADE_BY_FFMPEG))
def test_files_ffmpeg_makes_give_their_size_and_length(tmp_path, name):
    container, codec = MADE_BY_FFMPEG[name]
    if f" {codec[1]} " not in encoders():
        pytest.skip(f"this ffmpeg has no {codec[1]} encoder")
    path = encode(tmp_path / name, *TEST_PATTERN, *codec)
    assert sniff_container(path.read_bytes()[:65536]) == container
    facts = facts_of(path)
    assert (facts.width, facts.height, facts.orientation) == (320, 240, 1)
    # A transport stream's clock spans first to last packet: a frame short of the last frame's end.
    assert facts.duration == pytest.approx(2.0, abs=0.15)
    assert (facts.created_at, facts.gps, facts.instant_only) == (None, None, False)


def test_matroska_creation_time_is_an_instant_in_utc(tmp_path):
    path = encode(tmp_path / "dated.mkv", *TEST_PATTERN, "-c:v", "libx264",
                  "-metadata", "creation_time=2020-01-02T03:04:05Z")  # fmt: skip
    facts = facts_of(path)
    assert facts.created_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert facts.instant_only


def test_a_matroska_turned_a_quarter_is_shown_upright(tmp_path):
    source = encode(tmp_path / "source.mp4", *TEST_PATTERN, "-c:v", "libx264")
    path = encode(
        tmp_path / "turned.mkv", "-display_rotation", "90", "-i", str(source), "-c", "copy"
    )
    facts = facts_of(path)  # ffmpeg's 90 is counter-clockwise, as an MP4 matrix that video.py reads
    assert (facts.width, facts.height, facts.orientation) == (240, 320, 8)


# AVI, byte by byte ----------------------------------------------------------------------------


def chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


def riff_list(kind: bytes, *chunks: bytes) -> bytes:
    return chunk(b"LIST", kind + b"".join(chunks))


def avi(
    *,
    idit: bytes | None = None,
    icrd: bytes | None = None,
    main_size: tuple[int, int] = (640, 480),
    bitmap_size: tuple[int, int] = (640, 480),
    frames: int = 250,
    usec_per_frame: int = 40_000,
    rate: tuple[int, int] = (1, 25),
    movi_bytes: int = 1000,
) -> bytes:
    """An AVI as a compact camera writes it: hdrl (avih, one MJPEG stream, IDIT), INFO, movi."""
    avih = struct.pack("<10I", usec_per_frame, 0, 0, 0x10, frames, 0, 1, 0, *main_size)
    strh = struct.pack("<4s4sIHHIIIIIIII4h", b"vids", b"MJPG", 0, 0, 0, 0, *rate, 0, frames,
                       0, 10_000, 0, 0, 0, *bitmap_size)  # fmt: skip
    strf = struct.pack("<IiiHH4sIiiII", 40, *bitmap_size, 1, 24, b"MJPG", 0, 0, 0, 0, 0)
    stream = riff_list(b"strl", chunk(b"strh", strh), chunk(b"strf", strf))
    dated = [chunk(b"IDIT", idit)] if idit is not None else []
    hdrl = riff_list(b"hdrl", chunk(b"avih", avih + bytes(16)), stream, *dated)
    info = riff_list(b"INFO", chunk(b"ICRD", icrd)) if icrd is not None else b""
    movi = riff_list(b"movi", chunk(b"00dc", bytes(movi_bytes)))
    body = b"AVI " + hdrl + info + movi + chunk(b"idx1", bytes(16))
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(
    ("idit", "expected"),
    [
        (b"Tue Oct 27 12:14:00 2009\n\0", datetime(2009, 10, 27, 12, 14)),
        (b"2009/10/27 12:14:34\0", datetime(2009, 10, 27, 12, 14, 34)),  # Pentax
        (b"2001/ 1/27  1:42PM\0", datetime(2001, 1, 27, 13, 42)),  # Casio QV
        (b"2005/11/28/ 09:19\0", datetime(2005, 11, 28, 9, 19)),  # Casio EX-Z30
        (b"2009:10:27 12:14:34", datetime(2009, 10, 27, 12, 14, 34)),
        (b"Thu Jan  1 00:00:00 1970\n\0", None),  # a clock never set
        (b"Feb 30 12:00:00 2009", None),
        (b"\xff\xfe garbage", None),
    ],
)
def test_avi_idit_is_the_cameras_wall_clock(tmp_path, idit, expected):
    facts = facts_of_bytes(tmp_path, avi(idit=idit), "clip.avi")
    assert facts.created_at == expected
    assert facts.created_at is None or facts.created_at.tzinfo is None
    assert not facts.instant_only


def test_avi_info_icrd_stands_in_for_a_missing_idit(tmp_path):
    assert facts_of_bytes(tmp_path, avi(icrd=b"2009-10-27\0"), "a.avi").created_at == datetime(
        2009, 10, 27, 12
    )
    both = avi(idit=b"2009/10/27 12:14:34", icrd=b"2011-01-01")
    assert facts_of_bytes(tmp_path, both, "b.avi").created_at == datetime(2009, 10, 27, 12, 14, 34)


def test_avi_size_and_length_come_from_the_stream_when_the_main_header_lacks_them(tmp_path):
    facts = facts_of_bytes(tmp_path, avi(main_size=(0, 0), bitmap_size=(320, -240)), "a.avi")
    assert (facts.width, facts.height, facts.duration) == (320, 240, 10.0)
    # The stream's rate is exact where avih's whole microseconds are not: 600 frames at 24 fps.
    exact = avi(frames=600, usec_per_frame=41_666, rate=(1001, 24_000))
    assert facts_of_bytes(tmp_path, exact, "b.avi").duration == 25.025
    no_rate = avi(frames=600, usec_per_frame=41_666, rate=(0, 0))
    assert facts_of_bytes(tmp_path, no_rate, "c.avi").duration == 25.0


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_avi_movie_data_is_seeked_past_not_read():
    data = avi(idit=b"2009/10/27 12:14:34", icrd=b"2009-10-27", movi_bytes=8 * 1024 * 1024)
    file = CountingReader(data)
    facts = read_container_facts(Path("unused.avi"), file, len(data), "AVI")
    assert (facts.width, facts.height) == (640, 480)
    assert file.bytes_read < 4096


@pytest.mark.parametrize(
    "data",
    [b"RIFF\x24\0\0\0WAVEfmt ", b"RIFF\x04\0\0\0AVI ", b"RIFF", b"", avi()[:12] + bytes(64)],
)
def test_what_is_not_an_avi_raises_not_a_video(tmp_path, data):
    path = tmp_path / "clip.avi"
    path.write_bytes(data)
    with pytest.raises(NotAVideo):
        facts_of(path, "AVI")


# MPEG-TS and AVCHD, byte by byte --------------------------------------------------------------

# x264's SPS for interlaced 1440x1080 with 4:3 pixels, as AVCHD's anamorphic modes write it.
ANAMORPHIC_SPS = bytes.fromhex("67640028acd9405a044fde1c20000003002000000643e2c5b2c0")
MDPM_UUID = bytes.fromhex("17ee8c60f84d11d98cd60800200c9a66")


def escaped(rbsp: bytes) -> bytes:
    """H.264 emulation prevention: a 3 after two zeros that a byte of 0-3 follows."""
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def bcd(number: int) -> int:
    return number // 10 << 4 | number % 10


def mdpm_sei(recorded: datetime, zone: int) -> bytes:
    """The SEI NAL unit an AVCHD camcorder writes: unregistered user data holding MDPM."""
    date = [zone, bcd(recorded.year // 100), bcd(recorded.year % 100), bcd(recorded.month)]
    clock = [bcd(recorded.day), bcd(recorded.hour), bcd(recorded.minute), bcd(recorded.second)]
    entries = bytes([0x18, *date, 0x19, *clock, 0x70, 0xFF, 0xFF, 0xFF, 0xFF])
    message = MDPM_UUID + b"MDPM" + bytes([3]) + entries
    return b"\0\0\0\1\x06" + escaped(bytes([5, len(message)]) + message + b"\x80")


def ts_packet(pid: int, payload: bytes = b"", *, unit_start: bool = False, pcr: int = -1) -> bytes:
    """One 188-byte packet; `payload` at most 184 bytes, 176 with a PCR."""
    room = 184 - len(payload)
    if pcr >= 0:
        fields = b"\x10" + (pcr << 15 | 0x7E00).to_bytes(6, "big")
    else:
        fields = b"\0" if room >= 2 else b""
    adaptation = bytes([room - 1]) + fields + b"\xff" * (room - 1 - len(fields)) if room else b""
    control = (0x20 if adaptation else 0) | (0x10 if payload else 0)
    header = bytes([0x47, (0x40 if unit_start else 0) | pid >> 8, pid & 0xFF, control])
    return header + adaptation + payload


def transport_stream(
    elementary: bytes, *, pcrs: tuple[int, int] = (0, 5 * 90_000), packet_size: int = 192
) -> bytes:
    """An audio packet, then `elementary` as one video PES, a PCR on its first and last packets."""
    audio = ts_packet(0x1100, b"\0\0\1\xc0\0\0\x80\0\0" + b"\0\0\1\x67" * 20, unit_start=True)
    pes = b"\0\0\1\xe0\0\0\x80\0\0" + elementary
    pieces = [pes[at : at + 176] for at in range(0, len(pes), 176)]
    video = [ts_packet(0x1011, pieces[0], unit_start=True, pcr=pcrs[0])]
    video += [ts_packet(0x1011, piece) for piece in pieces[1:]]
    packets = [audio, *video, ts_packet(0x1011, pcr=pcrs[1])]
    prefix = b"\0" * (packet_size - 188)  # M2TS's arrival timestamp
    return b"".join(prefix + packet for packet in packets)


def avchd(
    recorded: datetime,
    zone: int,
    *,
    padding: int = 0,
    pcrs: tuple[int, int] = (0, 5 * 90_000),
    packet_size: int = 192,
) -> bytes:
    """Access unit delimiter, `padding` bytes of filler, the SPS, the MDPM SEI, then a slice."""
    filler = b"\0\0\0\1\x0c" + b"\xff" * padding + b"\x80" if padding else b""
    aud = b"\0\0\0\1\x09\x10"
    elementary = aud + filler + b"\0\0\0\1" + ANAMORPHIC_SPS + mdpm_sei(recorded, zone)
    slice_ = b"\0\0\0\1\x65" + bytes(300)
    return transport_stream(elementary + slice_, pcrs=pcrs, packet_size=packet_size)


@pytest.mark.parametrize(
    ("recorded", "zone", "expected"),
    [
        # The Canon HF10 in devdata: zone byte 0x02 is +01:00.
        (datetime(2008, 12, 31, 23, 16, 24), 0x02, timezone(timedelta(hours=1))),
        # West (0x20), 3 hours (0x06), and a half (0x01); midnight's zeros are escaped in the NAL.
        (datetime(2000, 1, 1, 0, 0, 1), 0x27, timezone(-timedelta(hours=3, minutes=30))),
        # DST (0x40) is a flag beside the zone; as exiftool, it is not added to the offset.
        (datetime(2010, 7, 14, 9, 30), 0x42, timezone(timedelta(hours=1))),
        (datetime(2010, 7, 14, 9, 30), 0xFF, None),  # no zone set: a wall clock
    ],
)
def test_avchd_recording_time_carries_the_cameras_zone(tmp_path, recorded, zone, expected):
    facts = facts_of_bytes(tmp_path, avchd(recorded, zone), "00001.mts")
    assert facts.created_at == recorded.replace(tzinfo=expected)
    assert facts.created_at is not None and facts.created_at.tzinfo == expected
    assert not facts.instant_only


@pytest.mark.parametrize("padding", range(0, 184, 8))  # the SPS and MDPM cut at every place
@pytest.mark.parametrize("packet_size", [188, 192])
def test_avchd_facts_survive_packet_boundaries_anywhere(tmp_path, padding, packet_size):
    recorded = datetime(2008, 12, 31, 23, 16, 24)
    data = avchd(recorded, 0x02, padding=padding, packet_size=packet_size)
    assert sniff_container(data) == "MPEG-TS"
    facts = facts_of_bytes(tmp_path, data, "00001.m2ts")
    assert (facts.width, facts.height, facts.orientation) == (1920, 1080, 1)  # 1440 at 4:3 pixels
    assert facts.created_at == recorded.replace(tzinfo=timezone(timedelta(hours=1)))
    assert facts.duration == 5.0


def test_transport_stream_length_spans_a_clock_wrap(tmp_path):
    wrapping = avchd(datetime(2009, 1, 1), 0xFF, pcrs=((1 << 33) - 90_000, 4 * 90_000))
    assert facts_of_bytes(tmp_path, wrapping, "wrap.mts").duration == 5.0
    one_clock = avchd(datetime(2009, 1, 1), 0xFF, pcrs=(90_000, 90_000))
    assert facts_of_bytes(tmp_path, one_clock, "still.mts").duration is None


def test_a_transport_stream_without_video_is_not_a_video(tmp_path):
    audio = ts_packet(0x1100, b"\0\0\1\xc0\0\0\x80\0\0" + bytes(100), unit_start=True)
    with pytest.raises(NotAVideo, match="no video stream"):
        facts_of_bytes(tmp_path, audio * 8, "radio.ts")


@pytest.mark.parametrize(
    "head", [b"G" + bytes(100), b"\xff\xd8\xff\xe0" + bytes(400), b"\0\0\0\x18ftypmp42", b""]
)
def test_other_files_are_not_sniffed_as_containers(head):
    assert sniff_container(head) is None


# Matroska, byte by byte -----------------------------------------------------------------------


def ebml(element_id: int, payload: bytes) -> bytes:
    """An element with an 8-byte size, as muxers that rewrite sizes later write them."""
    identifier = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return identifier + (len(payload) | 1 << 56).to_bytes(8, "big") + payload


def matroska(
    *,
    date: datetime | None = None,
    roll: float | None = None,
    headers_after_media: bool = False,
    doc_type: bytes = b"matroska",
) -> bytes:
    dated = b""
    if date is not None:
        nanoseconds = (date - datetime(2001, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
        dated = ebml(0x4461, nanoseconds.to_bytes(8, "big", signed=True))
    ticks = ebml(0x2AD7B1, (100_000).to_bytes(3, "big"))  # of 0.1 ms
    info = ebml(0x1549A966, ticks + ebml(0x4489, struct.pack(">d", 125_000.0)) + dated)
    pose = ebml(0x7670, ebml(0x7675, struct.pack(">f", roll))) if roll is not None else b""
    video = ebml(0xE0, ebml(0xB0, b"\x05\x00") + ebml(0xBA, b"\x02\xd0") + pose)
    tracks = ebml(0x1654AE6B, ebml(0xAE, ebml(0x83, b"\x01") + video))
    cluster = ebml(0x1F43B675, bytes(2000))
    header = ebml(0x1A45DFA3, ebml(0x4286, b"\x01") + ebml(0x4282, doc_type))
    unknown_size = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    if not headers_after_media:
        return header + b"\x18\x53\x80\x67" + unknown_size + info + tracks + cluster

    def seek_head(info_at: int, tracks_at: int) -> bytes:
        return ebml(0x114D9B74, b"".join(
            ebml(0x4DBB, ebml(0x53AB, element.to_bytes(4, "big"))
                 + ebml(0x53AC, position.to_bytes(8, "big")))
            for element, position in ((0x1549A966, info_at), (0x1654AE6B, tracks_at))))  # fmt: skip

    info_at = len(seek_head(0, 0)) + len(cluster)
    body = seek_head(info_at, info_at + len(info)) + cluster + info + tracks
    return header + b"\x18\x53\x80\x67" + unknown_size + body


def test_matroska_headers_give_size_length_and_muxing_date(tmp_path):
    date = datetime(2020, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    facts = facts_of_bytes(tmp_path, matroska(date=date), "clip.mkv")
    assert (facts.width, facts.height, facts.orientation) == (1280, 720, 1)
    assert facts.duration == 12.5
    assert facts.created_at == date and facts.instant_only


def test_matroska_headers_after_the_media_are_found_through_the_seek_head(tmp_path):
    facts = facts_of_bytes(tmp_path, matroska(headers_after_media=True), "clip.webm")
    assert (facts.width, facts.height, facts.duration) == (1280, 720, 12.5)
    assert (facts.created_at, facts.instant_only) == (None, False)


@pytest.mark.parametrize(("roll", "orientation"), [(-90.0, 6), (270.0, 6), (180.0, 3), (90.0, 8)])
def test_matroska_projection_roll_turns_counter_clockwise(tmp_path, roll, orientation):
    facts = facts_of_bytes(tmp_path, matroska(roll=roll), "turned.mkv")
    shown = (1280, 720) if orientation == 3 else (720, 1280)
    assert ((facts.width, facts.height), facts.orientation) == (shown, orientation)


def test_an_ebml_file_of_another_kind_is_not_a_video(tmp_path):
    with pytest.raises(NotAVideo, match="not Matroska"):
        facts_of_bytes(tmp_path, matroska(doc_type=b"notes"), "notes.mkv")


def test_an_audio_only_webm_is_not_a_video(tmp_path):
    if " libopus " not in encoders():
        pytest.skip("this ffmpeg has no libopus encoder")
    path = encode(
        tmp_path / "voice.webm", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libopus"
    )
    with pytest.raises(NotAVideo, match="audio only"):
        facts_of(path)


def test_an_unknown_container_name_is_the_callers_mistake():
    with pytest.raises(ValueError, match="no reader"):
        read_container_facts(Path("x"), io.BytesIO(b""), 0, "FLV")


# Hostile bytes ---------------------------------------------------------------------------------

SEEDS = {
    "clip.avi": avi(idit=b"Tue Oct 27 12:14:00 2009\n\0", icrd=b"2009-10-27"),
    "clip.mts": avchd(datetime(2008, 12, 31, 23, 16, 24), 0x02, padding=60),
    "clip.mkv": matroska(date=datetime(2020, 1, 2, tzinfo=UTC), roll=-90.0),
    "late.webm": matroska(headers_after_media=True),
}
CONTAINERS = {"clip.avi": "AVI", "clip.mts": "MPEG-TS", "clip.mkv": "MATROSKA",
              "late.webm": "MATROSKA"}  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(sorted(SEEDS)),
    flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 1 << 16),
)
@example(name="clip.mkv", flips=[(89, 0)], cut=0)  # a duration that rounds to 0 s
def test_truncated_and_mutated_files_raise_only_not_a_video(tmp_path_factory, name, flips, cut):
    data = bytearray(SEEDS[name])
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path_factory.mktemp("mutant") / name
    path.write_bytes(bytes(data[: len(data) - cut % len(data)]))
    try:
        facts = facts_of(path, CONTAINERS[name])  # the reader its name promises, whatever it holds
    except NotAVideo as problem:
        assert str(problem)
        return
    assert facts.width >= 0 and facts.height >= 0 and facts.orientation in (1, 3, 6, 8)
    assert facts.duration is None or facts.duration > 0


# Real files from ../shared/devdata ---------------------------------------------------------------

REAL_VIDEOS = ["exiftool-t/t/images/Pentax.avi", "exiftool-t/t/images/M2TS.mts",
               "photoprism/assets/examples/earth.avi"]  # fmt: skip
# exiftool reads IDIT's `2009/10/27 12:14:34` to the minute only; the camera wrote the seconds.
_TO_THE_MINUTE = {"exiftool-t/t/images/Pentax.avi"}



@pytest.mark.devdata
@pytest.mark.skipif(not PEERS.is_dir(), reason="../shared/devdata is not present")
@pytest.mark.parametrize("name", REAL_VIDEOS)
def test_real_files_match_the_expected_facts(name):
    expected, facts = peers_expected(name), facts_of(PEERS / name)
    assert (facts.width, facts.height) == (expected["width"], expected["height"])
    if expected["duration_s"] is not None:  # null: the peers disagree, so nothing is established
        assert facts.duration == pytest.approx(expected["duration_s"], abs=0.01)
    if expected["taken_at_local"] is None:
        assert facts.created_at is None
        return
    assert facts.created_at is not None
    local = facts.created_at.replace(tzinfo=None)
    if name in _TO_THE_MINUTE:
        assert local.second == 34
        local = local.replace(second=0)
    assert local.isoformat() == expected["taken_at_local"]
    offset = facts.created_at.utcoffset()
    if expected["utc_offset"] is None:
        assert offset is None
    else:
        assert offset is not None
        hours, minutes = divmod(int(offset.total_seconds()) // 60, 60)
        assert (
            f"{'+' if offset >= timedelta(0) else '-'}{abs(hours):02}:{minutes:02}"
            == (expected["utc_offset"])
        )
        in_utc = facts.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        assert in_utc == expected["taken_at_utc"]


@pytest.mark.devdata
@pytest.mark.skipif(not DEVDATA.is_dir(), reason="../shared/devdata is not present")
def test_the_empty_avi_in_devdata_is_not_a_video():
    path = DEVDATA / "broken" / "zero-byte" / "film.avi"
    assert sniff_container(path.read_bytes()) is None
    with pytest.raises(NotAVideo):
        facts_of(path, "AVI")

