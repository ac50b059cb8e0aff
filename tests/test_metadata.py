"""Reading one file: every EXIF variant, orientation, kind, format and kind of damage."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import imageio_ffmpeg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from memories.model import DateSource, FileEntry, Photo, PhotoKind, Skipped
from memories.scan import metadata
from memories.scan.metadata import read_media


def read(path: Path, sidecar: Path | None = None) -> Photo | Skipped:
    stat = path.stat()
    return read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns, sidecar))


def read_photo(path: Path, sidecar: Path | None = None) -> Photo:
    result = read(path, sidecar)
    assert isinstance(result, Photo), result
    return result


def skip_reason(path: Path) -> str:
    result = read(path)
    assert isinstance(result, Skipped), result
    return result.reason


# Dates ---------------------------------------------------------------------------------------


def test_date_time_original_with_subseconds_and_offset(make_photo):
    photo = read_photo(make_photo(taken_at="2024:06:14 15:30:12", subsec="250", offset="+02:00"))
    assert photo.taken_at == datetime(
        2024, 6, 14, 15, 30, 12, 250000, tzinfo=timezone(timedelta(hours=2))
    )
    assert photo.taken_at_source is DateSource.EXIF


def test_digitized_then_file_datetime_are_fallbacks(make_photo):
    digitized = read_photo(make_photo("a.jpg", digitized="2023:01:02 03:04:05"))
    assert digitized.taken_at == datetime(2023, 1, 2, 3, 4, 5)
    file_date = read_photo(make_photo("b.jpg", file_datetime="2022:05:06 07:08:09"))
    assert file_date.taken_at == datetime(2022, 5, 6, 7, 8, 9)
    assert file_date.taken_at_source is DateSource.MODIFIED  # a file date: an edit, maybe


def test_placeholder_exif_date_falls_back_to_file_name(make_photo):
    photo = read_photo(make_photo("IMG_20240614_153012.jpg", taken_at="0000:00:00 00:00:00"))
    assert photo.taken_at == datetime(2024, 6, 14, 15, 30, 12)
    assert photo.taken_at_source is DateSource.FILENAME


def test_takeout_sidecar_gives_date_and_place(make_photo):
    path = make_photo("holiday.jpg", exif=False)
    sidecar = path.with_name("holiday.jpg.json")
    sidecar.write_text(
        json.dumps(
            {
                "photoTakenTime": {"timestamp": "1718371812"},
                "geoData": {"latitude": 35.0116, "longitude": 135.7681, "altitude": 0.0},
            }
        )
    )
    photo = read_photo(path, sidecar)
    assert photo.taken_at == datetime(2024, 6, 14, 13, 30, 12, tzinfo=UTC)
    assert photo.taken_at_source is DateSource.SIDECAR
    assert photo.gps == (35.0116, 135.7681)


def test_unknown_date_is_the_mtime_flagged_as_a_guess(make_photo):
    path = make_photo("holiday.jpg", exif=False)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    photo = read_photo(path)
    assert photo.taken_at_source is DateSource.MTIME
    assert photo.taken_at.timestamp() == 1_700_000_000
    assert photo.taken_at.tzinfo is not None


# Places --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gps", "refs", "expected"),
    [
        ((35.0116, 135.7681), ("N", "E"), (35.0116, 135.7681)),
        ((33.8568, 151.2153), ("S", "E"), (-33.8568, 151.2153)),
        ((40.7128, 74.006), ("N", "W"), (40.7128, -74.006)),
        ((22.9068, 43.1729), ("S", "W"), (-22.9068, -43.1729)),
    ],
)
def test_gps_with_hemisphere_references(make_photo, gps, refs, expected):
    photo = read_photo(make_photo(gps=gps, gps_refs=refs))
    assert photo.gps == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("gps", [(0.0, 0.0), (95.0, 10.0), (10.0, 181.0)])
def test_null_island_and_out_of_range_gps_are_missing(make_photo, gps):
    assert read_photo(make_photo(gps=gps, gps_refs=("N", "E"))).gps is None


def test_nan_gps_is_missing(make_photo, tmp_path):
    exif = Image.Exif()
    gps_ifd = exif.get_ifd(0x8825)
    gps_ifd[1], gps_ifd[2] = "N", (IFDRational(0, 0), IFDRational(0), IFDRational(0))
    gps_ifd[3], gps_ifd[4] = "E", (10.0, 0.0, 0.0)
    path = tmp_path / "nan.jpg"
    Image.new("RGB", (640, 480)).save(path, exif=exif.tobytes())
    assert read_photo(path).gps is None


# Orientation, size, camera, kind -------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_displayed_size_follows_orientation(make_photo, orientation):
    photo = read_photo(make_photo(size=(64, 48), orientation=orientation))
    assert photo.orientation == orientation
    rotated = orientation >= 5
    assert (photo.width, photo.height) == ((48, 64) if rotated else (64, 48))


def test_nonsense_orientation_counts_as_upright(make_photo):
    assert read_photo(make_photo(orientation=42)).orientation == 1


@pytest.mark.parametrize(
    ("make", "model", "camera"),
    [
        ("Canon", "Canon EOS 5D", "Canon EOS 5D"),
        ("Apple", "iPhone 13", "Apple iPhone 13"),
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        (None, "Pixel 8", "Pixel 8"),
        (None, None, None),
    ],
)
def test_camera_name(make_photo, make, model, camera):
    assert read_photo(make_photo(make=make, model=model)).camera == camera


def test_camera_photo_is_a_photo(make_photo):
    photo = read_photo(make_photo(size=(640, 480)))
    assert (photo.kind, photo.format) == (PhotoKind.PHOTO, "JPEG")


def test_png_at_a_screen_size_without_camera_is_a_screenshot(make_photo):
    path = make_photo("image.png", size=(1170, 2532), exif=False)
    assert read_photo(path).kind is PhotoKind.SCREENSHOT


def test_screenshot_by_name(make_photo):
    path = make_photo("Screenshot_2024-06-14-15-30-12.jpg", size=(700, 500), exif=False)
    photo = read_photo(path)
    assert photo.kind is PhotoKind.SCREENSHOT
    assert photo.taken_at == datetime(2024, 6, 14, 15, 30, 12)


def test_tiny_images_and_animations_are_other(make_photo, photos_dir):
    assert read_photo(make_photo("icon.png", size=(64, 64), exif=False)).kind is PhotoKind.OTHER
    frames = [Image.new("RGB", (400, 300), color) for color in ("red", "blue")]
    path = photos_dir / "funny.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert read_photo(path).kind is PhotoKind.OTHER


@pytest.mark.parametrize("suffix", [".webp", ".tiff", ".png"])
def test_other_formats_keep_their_exif(make_photo, suffix):
    photo = read_photo(
        make_photo(
            f"photo{suffix}", size=(640, 480), taken_at="2024:06:14 15:30:12", gps=(35.0, 135.0)
        )
    )
    japan = timezone(timedelta(hours=9))  # no offset in the file: the zone of its GPS
    assert photo.taken_at == datetime(2024, 6, 14, 15, 30, 12, tzinfo=japan)
    assert photo.gps == pytest.approx((35.0, 135.0))
    assert (photo.width, photo.height, photo.camera) == (640, 480, "Google Pixel 8")


@pytest.mark.parametrize("suffix", [".webp", ".png"])
def test_other_formats_keep_their_orientation(make_photo, suffix):
    photo = read_photo(make_photo(f"photo{suffix}", size=(640, 480), orientation=6))
    assert (photo.width, photo.height, photo.orientation) == (480, 640, 6)


def test_heic_with_exif(make_photo):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    path = make_photo(
        "IMG_0001.HEIC",
        image_format="HEIF",
        taken_at="2024:04:05 10:15:30",
        offset="+09:00",
        gps=(35.0116, 135.7681),
        make="Apple",
        model="iPhone 13",
    )
    photo = read_photo(path)
    assert photo.format == "HEIF"
    assert photo.taken_at.isoformat() == "2024-04-05T10:15:30+09:00"
    assert photo.gps == pytest.approx((35.0116, 135.7681), abs=1e-5)
    assert photo.camera == "Apple iPhone 13"


def test_wrong_extension_is_read_by_its_content(make_photo, photos_dir):
    png = make_photo("really_a_png.jpg", image_format="PNG", size=(640, 480), exif=False)
    assert read_photo(png).format == "PNG"


# Videos --------------------------------------------------------------------------------------


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True, timeout=60
    )


def remux(source: Path, target: Path, *options: str, rotation: int = 0) -> Path:
    """Copy a video's streams into `target` with new metadata `options` and display rotation."""
    turn = ["-display_rotation", str(rotation)] if rotation else []
    _ffmpeg(*turn, "-i", str(source), "-c", "copy", *options, str(target))
    return target


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("video") / "source.mp4"
    color = "color=c=red:s=64x48:d=1.5:r=10"
    encode = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
    dated = ["-metadata", "creation_time=2024-06-14T13:30:12Z"]
    _ffmpeg("-f", "lavfi", "-i", color, *encode, *dated, str(path))
    return path


def test_mp4_date_and_duration(tiny_video):
    video = read_photo(tiny_video)
    assert video.kind is PhotoKind.VIDEO
    assert video.taken_at == datetime(2024, 6, 14, 13, 30, 12, tzinfo=UTC)
    assert video.taken_at_source is DateSource.QUICKTIME
    assert video.duration == pytest.approx(1.5, abs=0.05)
    assert (video.width, video.height) == (64, 48)


def test_mov_rotation_and_place(tiny_video, photos_dir):
    location = "location=+35.0116+135.7681/"
    path = remux(tiny_video, photos_dir / "clip.MOV", "-metadata", location, rotation=90)
    video = read_photo(path)
    assert (video.width, video.height, video.orientation) == (48, 64, 8)
    assert video.gps == (35.0116, 135.7681)


def test_iphone_local_creation_date_and_location(tiny_video, photos_dir):
    apple = "com.apple.quicktime."
    path = remux(
        tiny_video, photos_dir / "IMG_0002.MOV", "-movflags", "use_metadata_tags",
        "-metadata", f"{apple}creationdate=2024-06-14T15:30:12+0200",
        "-metadata", f"{apple}location.ISO6709=+45.7640+004.8357+170.000/",
    )  # fmt: skip
    video = read_photo(path)
    assert video.taken_at.isoformat() == "2024-06-14T15:30:12+02:00"
    assert video.gps == (45.764, 4.8357)


def test_video_without_date_uses_its_name(tiny_video, photos_dir):
    no_date = ["-map_metadata", "-1", "-metadata", "creation_time=1904-01-01T00:00:00Z"]
    path = remux(tiny_video, photos_dir / "VID_20230102_030405.mp4", *no_date)
    video = read_photo(path)
    assert video.taken_at == datetime(2023, 1, 2, 3, 4, 5)
    assert video.taken_at_source is DateSource.FILENAME


# Damage --------------------------------------------------------------------------------------


def test_zero_byte_file(photos_dir):
    path = photos_dir / "empty.jpg"
    path.touch()
    assert skip_reason(path) == "empty file (0 bytes)"


@pytest.mark.parametrize("name", ["notes.jpg", "clip.mp4", "image.heic"])
def test_not_media_at_all(photos_dir, name):
    path = photos_dir / name
    path.write_text("this is a shopping list, not a photo\n" * 10)
    assert "not a photo or video" in skip_reason(path)


def test_truncated_jpeg(make_photo):
    path = make_photo(size=(800, 600))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) * 2 // 3])
    assert "truncated JPEG" in skip_reason(path)


def test_truncated_png(make_photo):
    path = make_photo("shot.png", size=(300, 200), exif=False)
    whole = path.read_bytes()
    path.write_bytes(whole[:-20])
    assert "truncated PNG" in skip_reason(path)


def test_damaged_header(photos_dir):
    path = photos_dir / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(200) + b"\xff\xd9")
    assert "JPEG" in skip_reason(path)


def test_decompression_bomb_is_skipped_without_decoding(photos_dir):
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
    path = photos_dir / "bomb.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )
    assert "too large" in skip_reason(path)


def test_huge_but_plausible_photo_is_kept(photos_dir):
    """A 200 MP phone photo is a photo, not a bomb."""
    assert metadata.MAX_PIXELS > 16384 * 12288


def test_unreadable_file(make_photo, monkeypatch):
    path = make_photo()

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Tests run as root here, where permissions do not stop a read; simulate the refusal.
    monkeypatch.setattr(metadata, "open", denied, raising=False)
    assert skip_reason(path) == "permission denied"


def test_file_deleted_before_reading(photos_dir):
    entry = FileEntry(str(photos_dir / "gone.jpg"), 100, 0)
    result = read_media(entry)
    assert isinstance(result, Skipped) and "disappeared" in result.reason


def test_garbage_exif_keeps_the_photo(make_photo):
    path = make_photo(size=(640, 480), taken_at="2024:06:14 15:30:12")
    data = bytearray(path.read_bytes())
    start = data.index(b"Exif\x00\x00") + 6
    data[start + 8 : start + 40] = b"\xff" * 32  # wreck the IFD entries and their offsets
    path.write_bytes(bytes(data))
    photo = read_photo(path)
    assert (photo.width, photo.height) == (640, 480)


def test_content_hash_ignores_name_and_place(make_photo, tmp_path):
    first = make_photo("a.jpg", taken_at="2024:06:14 15:30:12")
    second = tmp_path / "elsewhere" / "b.jpg"
    second.parent.mkdir()
    second.write_bytes(first.read_bytes())
    other = make_photo("c.jpg", taken_at="2024:06:14 15:30:13")
    assert read_photo(first).content_hash == read_photo(second).content_hash
    assert read_photo(first).content_hash != read_photo(other).content_hash


def test_reading_never_changes_the_file(make_photo):
    path = make_photo(size=(640, 480), taken_at="2024:06:14 15:30:12", gps=(1.0, 2.0))
    os.utime(path, (1_600_000_000, 1_600_000_000))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_photo(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_truncated_video(tiny_video, photos_dir):
    path = photos_dir / "cut.mp4"
    path.write_bytes(tiny_video.read_bytes()[:-300])
    assert "video" in skip_reason(path)


def test_truncated_heic(make_photo):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    path = make_photo("IMG_0001.HEIC", image_format="HEIF", size=(256, 256), color=(1, 2, 3))
    path.write_bytes(path.read_bytes()[:-100])
    assert "HEIF" in skip_reason(path)


_VALID_JPEG: list[bytes] = []


def valid_jpeg() -> bytes:
    if not _VALID_JPEG:
        from io import BytesIO

        from conftest import exif_bytes

        buffer = BytesIO()
        exif = exif_bytes(taken_at="2024:06:14 15:30:12", offset="+02:00", gps=(45.7, 4.8))
        Image.new("RGB", (48, 32), "teal").save(buffer, "JPEG", exif=exif)
        _VALID_JPEG.append(buffer.getvalue())
    return _VALID_JPEG[0]


@settings(max_examples=300, deadline=None)
@given(
    mutations=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 10_000),
)
def test_mutated_jpegs_are_read_or_skipped_for_a_known_reason(tmp_path_factory, mutations, cut):
    data = bytearray(valid_jpeg())
    for position, value in mutations:
        data[position % len(data)] = value
    path = tmp_path_factory.mktemp("fuzz") / "mutant.jpg"
    path.write_bytes(bytes(data[: max(1, len(data) - cut % len(data))]))
    result = read(path)
    if isinstance(result, Skipped):
        assert not result.reason.startswith("unreadable ("), result.reason


@pytest.mark.parametrize(
    "content", ['{"photoTakenTime": 5, "geoData": []}', "[1, 2]", "{not json", '{"geoData": {}}']
)
def test_a_strange_sidecar_never_loses_the_photo(make_photo, content):
    path = make_photo("holiday.jpg", exif=False)
    sidecar = path.with_name("holiday.jpg.json")
    sidecar.write_text(content)
    photo = read_photo(path, sidecar)
    assert (photo.taken_at_source, photo.gps) == (DateSource.MTIME, None)
