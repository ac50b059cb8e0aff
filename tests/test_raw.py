"""Camera RAW files: raw size, EXIF and the embedded JPEG preview, from tiny files built here."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import DEVDATA, PEERS, exif_bytes, peers_expected
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from memories.scan.discover import RAW_EXTENSIONS
from memories.scan.raw import (
    NotARaw,
    RawFacts,
    looks_like_raw,
    raw_preview,
    read_raw,
)

SHORT, LONG, ASCII, UNDEFINED, RATIONAL, IFD = 3, 4, 2, 7, 5, 13
TAKEN_AT = "2021:07:14 09:30:15"
CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
CANON_PREVIEW_UUID = bytes.fromhex("eaf42b5e1c984b88b9fbb7dc406e4d16")


def jpeg(size: tuple[int, int], exif: bytes = b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG", quality=70, exif=exif)
    return out.getvalue()


# A lossless JPEG's first segments, as CR2 and DNG store raw sensor data: never a preview.
LOSSLESS = b"\xff\xd8\xff\xc4\x00\x04\x00\x00\xff\xc3\x00\x0b\x0e\x0b\xb8\x0f\xa0\x01\x01\x11\x00"


class TiffWriter:
    """Lays out a little-endian TIFF-like file: blobs and directories appended in order, so
    each is written after what it points to; `first` then points the header at IFD0."""

    def __init__(self, header: bytes = b"II*\x00\x00\x00\x00\x00") -> None:
        self.data = bytearray(header)

    def blob(self, payload: bytes) -> int:
        offset = len(self.data)
        self.data += payload + b"\x00" * (len(payload) % 2)
        return offset

    def directory(self, entries: list[tuple[int, int, object]], following: int = 0) -> int:
        offset = len(self.data)
        values_at = offset + 2 + 12 * len(entries) + 4
        table, values = bytearray(struct.pack("<H", len(entries))), bytearray()
        for tag, kind, value in sorted(entries, key=lambda entry: entry[0]):
            payload, count = _encode(kind, value)
            if len(payload) <= 4:
                field = payload.ljust(4, b"\x00")
            else:
                field = struct.pack("<I", values_at + len(values))
                values += payload + b"\x00" * (len(payload) % 2)
            table += struct.pack("<HHI", tag, kind, count) + field
        self.data += table + struct.pack("<I", following) + values
        return offset

    def first(self, offset: int) -> bytes:
        self.data[4:8] = struct.pack("<I", offset)
        return bytes(self.data)


def _encode(kind: int, value: object) -> tuple[bytes, int]:
    if kind == ASCII:
        text = str(value).encode() + b"\x00"
        return text, len(text)
    if kind == UNDEFINED:
        assert isinstance(value, bytes)
        return value, len(value)
    assert isinstance(value, list)
    if kind == RATIONAL:
        return b"".join(struct.pack("<II", *pair) for pair in value), len(value)
    code = {1: "B", SHORT: "H", LONG: "I", IFD: "I"}[kind]
    return struct.pack(f"<{len(value)}{code}", *value), len(value)


def exif_entries(offset: str = "+02:00") -> list[tuple[int, int, object]]:
    return [(0x9003, ASCII, TAKEN_AT), (0x9011, ASCII, offset)]


def gps_entries() -> list[tuple[int, int, object]]:
    return [(1, ASCII, "N"), (2, RATIONAL, [(48, 1), (51, 1), (30, 1)]),
            (3, ASCII, "E"), (4, RATIONAL, [(2, 1), (21, 1), (0, 1)])]  # fmt: skip


def dng() -> bytes:
    """DNG: a small JPEG thumbnail in IFD0, the raw (lossless, bigger) and a preview in SubIFDs."""
    tiff = TiffWriter()
    thumbnail, preview = jpeg((64, 48)), jpeg((320, 240))
    thumbnail_at, preview_at = tiff.blob(thumbnail), tiff.blob(preview)
    sensor = LOSSLESS + bytes(len(preview) * 2)
    sensor_at = tiff.blob(sensor)
    raw_ifd = tiff.directory([
        (0xFE, LONG, [0]), (0x100, LONG, [4000]), (0x101, LONG, [3000]), (0x103, SHORT, [7]),
        (0x106, SHORT, [32803]), (0x111, LONG, [sensor_at]), (0x117, LONG, [len(sensor)]),
    ])  # fmt: skip
    preview_ifd = tiff.directory([
        (0xFE, LONG, [1]), (0x100, LONG, [320]), (0x101, LONG, [240]), (0x103, SHORT, [7]),
        (0x106, SHORT, [6]), (0x111, LONG, [preview_at]), (0x117, LONG, [len(preview)]),
    ])  # fmt: skip
    exif_ifd, gps_ifd = tiff.directory(exif_entries()), tiff.directory(gps_entries())
    ifd0 = tiff.directory([
        (0xFE, LONG, [1]), (0x100, LONG, [64]), (0x101, LONG, [48]), (0x103, SHORT, [7]),
        (0x106, SHORT, [6]), (0x10F, ASCII, "Canon"), (0x110, ASCII, "Canon EOS R5"),
        (0x111, LONG, [thumbnail_at]), (0x112, SHORT, [6]), (0x117, LONG, [len(thumbnail)]),
        (0x14A, LONG, [raw_ifd, preview_ifd]), (0x8769, LONG, [exif_ifd]),
        (0x8825, LONG, [gps_ifd]), (0xC612, 1, [1, 4, 0, 0]),
    ])  # fmt: skip
    return tiff.first(ifd0)


def cr2() -> bytes:
    """CR2: IFD0 is a full-size JPEG in one strip, IFD1 a thumbnail, IFD3 the lossless raw."""
    tiff = TiffWriter(b"II*\x00\x00\x00\x00\x00CR\x02\x00\x00\x00\x00\x00")
    full, thumbnail = jpeg((600, 400)), jpeg((160, 120))
    full_at, thumbnail_at = tiff.blob(full), tiff.blob(thumbnail)
    sensor = LOSSLESS + bytes(len(full) * 2)
    sensor_at = tiff.blob(sensor)
    ifd3 = tiff.directory([(0x103, SHORT, [6]), (0x111, LONG, [sensor_at]),
                           (0x117, LONG, [len(sensor)])])  # fmt: skip
    ifd2 = tiff.directory([(0x100, LONG, [120]), (0x101, LONG, [80]), (0x103, SHORT, [1])], ifd3)
    ifd1 = tiff.directory([(0x201, LONG, [thumbnail_at]), (0x202, LONG, [len(thumbnail)])], ifd2)
    exif_ifd = tiff.directory(exif_entries())
    ifd0 = tiff.directory([
        (0x100, LONG, [600]), (0x101, LONG, [400]), (0x103, SHORT, [6]),
        (0x10F, ASCII, "Canon"), (0x110, ASCII, "Canon EOS 5D Mark IV"),
        (0x111, LONG, [full_at]), (0x112, SHORT, [1]), (0x117, LONG, [len(full)]),
        (0x8769, LONG, [exif_ifd]),
    ], ifd1)  # fmt: skip
    return tiff.first(ifd0)


def nef() -> bytes:
    """NEF: IFD0 a tiny thumbnail, SubIFD 0 the JpgFromRaw, SubIFD 1 the raw (not a JPEG)."""
    tiff = TiffWriter()
    full = jpeg((480, 320))
    full_at, sensor_at = tiff.blob(full), tiff.blob(bytes(1000))
    jpeg_ifd = tiff.directory([(0xFE, LONG, [1]), (0x103, SHORT, [6]), (0x201, LONG, [full_at]),
                               (0x202, LONG, [len(full)])])  # fmt: skip
    raw_ifd = tiff.directory([(0xFE, LONG, [0]), (0x100, LONG, [6048]), (0x101, LONG, [4024]),
                              (0x103, SHORT, [34713]), (0x111, LONG, [sensor_at])])  # fmt: skip
    exif_ifd = tiff.directory(exif_entries())
    ifd0 = tiff.directory([(0xFE, LONG, [1]), (0x100, LONG, [160]), (0x101, LONG, [120]),
                           (0x10F, ASCII, "NIKON CORPORATION"), (0x110, ASCII, "NIKON Z 6"),
                           (0x112, SHORT, [8]), (0x14A, LONG, [jpeg_ifd, raw_ifd]),
                           (0x8769, LONG, [exif_ifd])])  # fmt: skip
    return tiff.first(ifd0)


def rw2() -> bytes:
    """RW2: IIU magic, sensor borders, and JpgFromRaw (0x2E) whose EXIF has the date."""
    tiff = TiffWriter(b"IIU\x00\x00\x00\x00\x00")
    preview = jpeg((400, 300), exif_bytes(taken_at=TAKEN_AT, make="Panasonic", model="DC-G9"))
    ifd0 = tiff.directory([(0x02, SHORT, [5240]), (0x03, SHORT, [3912]), (0x04, SHORT, [4]),
                           (0x05, SHORT, [8]), (0x06, SHORT, [3892]), (0x07, SHORT, [5208]),
                           (0x10F, ASCII, "Panasonic"), (0x110, ASCII, "DC-G9"),
                           (0x112, SHORT, [3]), (0x2E, UNDEFINED, preview)])  # fmt: skip
    return tiff.first(ifd0)


def orf() -> bytes:
    """ORF: IIRO magic, the raw in IFD0, the preview in the maker note's CameraSettings."""
    preview = jpeg((320, 240))
    notes = TiffWriter(b"OLYMPUS\x00II\x03\x00")
    assert notes.directory([(0x2020, IFD, [30])]) == 12  # CameraSettings follows at 30
    assert notes.directory([(0x101, LONG, [60]), (0x102, LONG, [len(preview)])]) == 30
    assert notes.blob(preview) == 60
    tiff = TiffWriter(b"IIRO\x00\x00\x00\x00")
    exif_ifd = tiff.directory([*exif_entries(), (0x927C, UNDEFINED, bytes(notes.data))])
    ifd0 = tiff.directory([(0x100, LONG, [5240]), (0x101, LONG, [3912]), (0x103, SHORT, [1]),
                           (0x10F, ASCII, "OLYMPUS IMAGING CORP."), (0x110, ASCII, "E-M5"),
                           (0x8769, LONG, [exif_ifd])])  # fmt: skip
    return tiff.first(ifd0)


def raf() -> bytes:
    """RAF: the FUJIFILMCCD-RAW header, the JPEG (with all the EXIF) and a size directory."""
    preview = jpeg((480, 320), exif_bytes(taken_at=TAKEN_AT, make="FUJIFILM", model="X-T3",
                                          orientation=6, gps=(35.6586, 139.7454)))  # fmt: skip
    directory = struct.pack(">I", 2) + struct.pack(">HHHH", 0x100, 4, 4160, 6240)
    directory += struct.pack(">HHHH", 0x111, 4, 4032, 6032)
    jpeg_at = 0x94
    directory_at = jpeg_at + len(preview) + 4
    header = b"FUJIFILMCCD-RAW 0201FF129502" + b"X-T3".ljust(32, b"\x00") + b"0100" + bytes(20)
    header += struct.pack(">IIII", jpeg_at, len(preview), directory_at, len(directory))
    return header.ljust(jpeg_at, b"\x00") + preview + bytes(4) + directory


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def uuid_box(uuid: bytes, payload: bytes) -> bytes:
    return box(b"uuid", uuid + payload)


def cr3() -> bytes:
    """CR3: ftyp crx, moov/uuid with the CMT1/CMT2/CMT4 TIFFs and THMB, then PRVW."""
    ifd0 = TiffWriter()
    cmt1 = ifd0.first(ifd0.directory([(0x100, SHORT, [6000]), (0x101, SHORT, [4000]),
                                      (0x10F, ASCII, "Canon"), (0x110, ASCII, "Canon EOS R"),
                                      (0x112, SHORT, [8])]))  # fmt: skip
    exif = TiffWriter()
    cmt2 = exif.first(exif.directory(exif_entries("+00:00")))
    gps = TiffWriter()
    cmt4 = gps.first(gps.directory(gps_entries()))
    thumbnail, preview = jpeg((160, 120)), jpeg((400, 300))
    thmb = struct.pack(">IHHIHH", 0, 160, 120, len(thumbnail), 1, 0) + thumbnail
    prvw = struct.pack(">IHHHHI", 0, 1, 400, 300, 1, len(preview)) + preview
    canon = box(b"CNCV", b"CanonCR3_001/00.09.00/00.00.00") + box(b"CMT1", cmt1)
    canon += box(b"CMT2", cmt2) + box(b"CMT4", cmt4) + box(b"THMB", thmb)
    moov = box(b"moov", uuid_box(CANON_UUID, canon) + box(b"mvhd", bytes(100)))
    previews = uuid_box(CANON_PREVIEW_UUID, struct.pack(">Q", 1) + box(b"PRVW", prvw))
    return box(b"ftyp", b"crx \x00\x00\x00\x01crx isom") + moov + previews + box(b"mdat", b"")


SAMPLES = {"dng": dng, "cr2": cr2, "nef": nef, "rw2": rw2, "orf": orf, "raf": raf, "cr3": cr3}


def read(data: bytes) -> RawFacts:
    return read_raw(io.BytesIO(data), len(data))


def preview_image(data: bytes, facts: RawFacts) -> Image.Image:
    assert facts.preview is not None
    offset, length = facts.preview
    image = Image.open(io.BytesIO(data[offset : offset + length]))
    image.load()
    return image


@pytest.mark.parametrize(
    ("name", "family"),
    [("dng", None), ("nef", None), ("cr2", "CR2"), ("rw2", "RW2"), ("orf", "ORF"),
     ("raf", "RAF"), ("cr3", "CR3")],
)  # fmt: skip
def test_the_family_is_told_by_the_magic_bytes(name, family):
    assert looks_like_raw(SAMPLES[name]()[:16]) == family


def test_plain_files_are_not_raw():
    assert looks_like_raw(jpeg((8, 8))[:16]) is None
    assert looks_like_raw(b"\x00\x00\x00\x18ftypheic") is None
    assert {".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2", ".pef", ".srw"} <= (
        RAW_EXTENSIONS
    )
    assert all(extension == extension.lower() for extension in RAW_EXTENSIONS)


def test_dng_gives_the_raw_size_the_camera_exif_and_the_largest_picture_preview():
    data = dng()
    facts = read(data)
    assert (facts.width, facts.height) == (4000, 3000)  # the raw SubIFD, not IFD0's thumbnail
    assert facts.preview_size == (320, 240)  # the lossless raw data is bigger, but no picture
    assert preview_image(data, facts).size == (320, 240)
    assert facts.exif.camera == "Canon EOS R5"
    assert facts.exif.orientation == 6
    assert facts.exif.taken_at == datetime(
        2021, 7, 14, 9, 30, 15, tzinfo=timezone(timedelta(hours=2))
    )
    assert facts.exif.gps == pytest.approx((48.858333, 2.35))


def test_cr2_preview_is_the_full_size_jpeg_of_ifd0():
    data = cr2()
    facts = read(data)
    assert (facts.width, facts.height) == (600, 400)
    assert facts.preview_size == (600, 400)
    assert facts.exif.camera == "Canon EOS 5D Mark IV"
    assert facts.exif.taken_at is not None and facts.exif.taken_at.hour == 9


def test_nef_preview_is_the_jpg_from_raw_of_a_sub_ifd():
    data = nef()
    facts = read(data)
    assert (facts.width, facts.height) == (6048, 4024)
    assert facts.preview_size == (480, 320)
    assert preview_image(data, facts).size == (480, 320)
    assert facts.exif.camera == "NIKON Z 6"
    assert facts.exif.orientation == 8


def test_rw2_size_is_inside_the_sensor_borders_and_its_date_comes_from_the_jpg_from_raw():
    data = rw2()
    facts = read(data)
    assert (facts.width, facts.height) == (5200, 3888)
    assert facts.preview_size == (400, 300)
    assert preview_image(data, facts).size == (400, 300)
    assert facts.exif.orientation == 3  # IFD0's own facts win; the JPEG's fill in the rest
    assert facts.exif.camera == "Panasonic DC-G9"
    assert facts.exif.taken_at == datetime(2021, 7, 14, 9, 30, 15)


def test_orf_preview_is_found_in_the_olympus_maker_note():
    data = orf()
    facts = read(data)
    assert (facts.width, facts.height) == (5240, 3912)
    assert facts.preview_size == (320, 240)
    assert preview_image(data, facts).size == (320, 240)
    assert facts.exif.camera == "OLYMPUS IMAGING CORP. E-M5"
    assert facts.exif.taken_at is not None and facts.exif.taken_at.minute == 30


def test_raf_takes_its_exif_from_the_embedded_jpeg():
    data = raf()
    facts = read(data)
    assert (facts.width, facts.height) == (6032, 4032)
    assert facts.preview == (0x94, struct.unpack(">I", data[0x58:0x5C])[0])
    assert preview_image(data, facts).size == (480, 320)
    assert facts.exif.camera == "FUJIFILM X-T3"
    assert facts.exif.orientation == 6
    assert facts.exif.taken_at == datetime(2021, 7, 14, 9, 30, 15)
    assert facts.exif.gps == pytest.approx((35.6586, 139.7454), abs=1e-4)


def test_cr3_reads_the_cmt_tiffs_and_prefers_prvw_over_thmb():
    data = cr3()
    facts = read(data)
    assert (facts.width, facts.height) == (6000, 4000)
    assert facts.preview_size == (400, 300)
    assert preview_image(data, facts).size == (400, 300)
    assert facts.exif.camera == "Canon EOS R"
    assert facts.exif.orientation == 8
    assert facts.exif.taken_at == datetime(2021, 7, 14, 9, 30, 15, tzinfo=UTC)
    assert facts.exif.gps == pytest.approx((48.858333, 2.35))


def test_raw_preview_gives_jpeg_bytes_pillow_decodes(tmp_path):
    for name, build in SAMPLES.items():
        path = tmp_path / f"photo.{name}"
        path.write_bytes(build())
        with Image.open(io.BytesIO(raw_preview(path))) as image:
            assert image.format == "JPEG"
            assert image.size == read(path.read_bytes()).preview_size


def test_a_raw_without_a_preview_still_gives_its_facts(tmp_path):
    tiff = TiffWriter()
    ifd0 = tiff.directory([(0x100, LONG, [3000]), (0x101, LONG, [2000]), (0x103, SHORT, [1]),
                           (0x10F, ASCII, "Leaf"), (0x110, ASCII, "Aptus 75")])  # fmt: skip
    path = tmp_path / "photo.mos"
    path.write_bytes(tiff.first(ifd0))
    facts = read(path.read_bytes())
    assert (facts.width, facts.height, facts.preview) == (3000, 2000, None)
    assert facts.exif.camera == "Leaf Aptus 75"
    with pytest.raises(NotARaw, match="no embedded preview"):
        raw_preview(path)


@pytest.mark.parametrize("data", [b"", b"hello", jpeg((8, 8)), b"II*\x00" + bytes(4)])
def test_what_is_not_a_raw_raises_not_a_raw(data):
    with pytest.raises(NotARaw):
        read(data)


def _mutated(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    damaged = bytearray(data[: max(cut, 0) or len(data)])
    for position, value in flips:
        if damaged:
            damaged[position % len(damaged)] = value
    return bytes(damaged)


def _assert_only_not_a_raw(data: bytes) -> None:
    try:
        facts = read(data)
    except NotARaw as reason:
        assert str(reason)
        return
    if facts.preview is not None:
        offset, length = facts.preview
        assert offset + length <= len(data) and data[offset : offset + 2] == b"\xff\xd8"
    assert facts.width > 0 and facts.height > 0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    cut=st.integers(-2000, 4000),
    flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=12),
)
def test_damaged_raws_raise_only_not_a_raw(name, cut, flips):
    _assert_only_not_a_raw(_mutated(SAMPLES[name](), cut, flips))


@settings(max_examples=300, deadline=None)
@given(
    magic=st.sampled_from([b"II*\x00", b"MM\x00*", b"IIRO", b"IIU\x00", b"FUJIFILMCCD-RAW ",
                           b"\x00\x00\x00\x18ftypcrx "]),
    rest=st.binary(max_size=600),
)  # fmt: skip
def test_random_bytes_behind_a_raw_magic_raise_only_not_a_raw(magic, rest):
    _assert_only_not_a_raw(magic + rest)


# --- Real files from ../shared/devdata -------------------------------------------------------

REAL_RAWS = ["exiftool-t/t/images/DNG.dng", "exiftool-t/t/images/CanonRaw.cr3",
             "photoprism/assets/examples/canon_eos_6d.dng"]  # fmt: skip



@pytest.mark.devdata
@pytest.mark.skipif(not DEVDATA.is_dir(), reason="../shared/devdata is not present")
@pytest.mark.parametrize("name", REAL_RAWS)
def test_real_raws_match_the_expected_facts(name):
    path, expected = PEERS / name, peers_expected(name)
    with open(path, "rb") as file:
        facts = read_raw(file, path.stat().st_size)
    assert (facts.width, facts.height) == (expected["width"], expected["height"])
    taken_at = facts.exif.taken_at
    assert taken_at is not None
    assert taken_at.replace(tzinfo=None, microsecond=0).isoformat() == expected["taken_at_local"]
    if taken_at.tzinfo is not None and expected["utc_offset"] is not None:
        offset = taken_at.utcoffset()
        assert offset is not None
        hours, minutes = divmod(int(offset.total_seconds()) // 60, 60)
        assert (
            f"{'+' if offset >= timedelta(0) else '-'}{abs(hours):02}:{minutes:02}"
            == (expected["utc_offset"])
        )
    if facts.preview is None:  # the exiftool stubs hold placeholder text, not JPEGs
        with pytest.raises(NotARaw, match="no embedded preview"):
            raw_preview(path)
    else:
        with Image.open(io.BytesIO(raw_preview(path))) as image:
            assert image.size == facts.preview_size


@pytest.mark.devdata
@pytest.mark.skipif(not DEVDATA.is_dir(), reason="../shared/devdata is not present")
def test_every_raw_in_devdata_is_read_or_refused_with_a_reason():
    raws = [path for path in DEVDATA.rglob("*") if path.suffix.lower() in RAW_EXTENSIONS]
    assert raws
    for path in raws:
        with open(path, "rb") as file:
            try:
                facts = read_raw(file, path.stat().st_size)
            except NotARaw as reason:
                assert str(reason), path
            else:
                assert facts.width > 0 and facts.height > 0, path


@pytest.mark.devdata
@pytest.mark.skipif(not DEVDATA.is_dir(), reason="../shared/devdata is not present")
def test_canon_eos_6d_preview_is_the_largest_of_its_two():
    path = PEERS / "photoprism/assets/examples/canon_eos_6d.dng"
    with open(path, "rb") as file:
        facts = read_raw(file, path.stat().st_size)
    assert facts.preview_size == (1024, 683)  # not IFD0's 256x171
    assert facts.exif.camera == "Canon EOS 6D"
