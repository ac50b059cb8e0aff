"""Every format a real archive holds, read from its headers and decoded as displayed: BMP,
AVIF, JPEG XL, RAW, AVI, Matroska and AVCHD videos, PNG with an orientation after its pixels."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import imageio_ffmpeg
import pillow_avif  # noqa: F401  (lets the tests write AVIF)
import pillow_jxl  # noqa: F401  (and JPEG XL)
import pytest
from PIL import Image

from memories.model import FileEntry, Photo, PhotoKind, Skipped
from memories.scan import metadata
from memories.scan.discover import discover
from memories.scan.images import decode_displayed
from memories.scan.metadata import read_media


def read(path: Path) -> Photo | Skipped:
    stat = path.stat()
    return read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))


def read_photo(path: Path) -> Photo:
    result = read(path)
    assert isinstance(result, Photo), result
    return result


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True, timeout=60
    )


def picture(size: tuple[int, int] = (96, 64)) -> Image.Image:
    """A picture whose halves differ, so that a wrong turn shows."""
    image = Image.new("RGB", size, (250, 250, 250))
    image.paste((10, 10, 10), (0, 0, size[0] // 2, size[1]))
    return image


@pytest.mark.parametrize(("suffix", "image_format"),
                         [(".bmp", "BMP"), (".avif", "AVIF"), (".jxl", "JXL")])  # fmt: skip
def test_newer_and_older_image_formats_are_read_and_decoded(photos_dir, suffix, image_format):
    path = photos_dir / f"photo{suffix}"
    picture((640, 480)).save(path, format="BMP" if suffix == ".bmp" else image_format)
    photo = read_photo(path)
    assert (photo.format, photo.width, photo.height) == (image_format, 640, 480)
    assert photo.kind is PhotoKind.PHOTO
    decoded = decode_displayed(photo, "RGB", 160)
    assert decoded.size == (160, 120)
    assert decoded.getpixel((10, 60))[0] < 80 < decoded.getpixel((150, 60))[0]


def test_every_format_is_found_by_its_extension(photos_dir):
    names = ["a.BMP", "b.avif", "c.jxl", "d.dng", "e.CR3", "f.nef", "g.arw", "h.raf",
             "i.orf", "j.rw2", "k.avi", "l.MTS", "m.m2ts", "n.mkv", "o.webm", "p.3gp",
             "q.notes"]  # fmt: skip
    for name in names:
        (photos_dir / name).write_bytes(b"x")
    found = {entry.path.name for entry in discover([photos_dir]).files}
    assert found == set(names) - {"q.notes"}


def test_a_format_whose_reader_is_missing_says_what_to_install(photos_dir, monkeypatch):
    path = photos_dir / "photo.avif"
    picture((640, 480)).save(path, format="AVIF")
    monkeypatch.setitem(sys.modules, "pillow_avif", None)  # as if it were not installed
    monkeypatch.setattr(metadata, "_plugins_ready", set())
    result = read(path)
    assert isinstance(result, Skipped)
    assert "pip install pillow-avif-plugin" in result.reason


def test_png_orientation_written_after_the_pixels_is_applied(photos_dir):
    """Some tools write the eXIf chunk after the image data, where Pillow only finds it
    once it decodes the pixels."""
    path = photos_dir / "turned.png"
    picture((96, 64)).save(path)
    data = path.read_bytes()
    exif = Image.Exif()
    exif[0x0112] = 6
    payload = exif.tobytes()
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + payload))
    end = data.rindex(b"IEND") - 4
    path.write_bytes(data[:end] + chunk + data[end:])
    photo = read_photo(path)
    assert (photo.width, photo.height, photo.orientation) == (64, 96, 6)
    assert decode_displayed(photo, "RGB").size == (64, 96)


def test_tiff_orientation_is_applied_once(photos_dir):
    path = photos_dir / "turned.tiff"
    exif = Image.Exif()
    exif[0x0112] = 6
    picture((96, 64)).save(path, exif=exif)
    photo = read_photo(path)
    assert (photo.width, photo.height) == (64, 96)
    assert decode_displayed(photo, "RGB").size == (64, 96)


def test_a_lone_raw_is_shown_through_its_preview(photos_dir):
    from test_companions import _tiny_raw

    preview = photos_dir / "preview.jpg"
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "NIKON", "D750"
    picture((96, 64)).save(preview, exif=exif.tobytes())
    raw = photos_dir / "DSC_0009.NEF"
    raw.write_bytes(_tiny_raw(preview))
    preview.unlink()
    photo = read_photo(raw)
    assert (photo.format, photo.camera) == ("RAW", "NIKON D750")
    assert photo.taken_at is not None
    # at full size a RAW is its preview (96x64 here), whatever its sensor's size
    assert decode_displayed(photo, "RGB").size == (96, 64)
    assert decode_displayed(photo, "RGB", 48).size == (48, 32)


def test_faces_in_a_raw_are_placed_on_its_sensor_not_its_preview(photos_dir):
    from faces import GRACE, scene
    from test_companions import _tiny_raw

    from memories.analyze.faces import find_faces

    preview = photos_dir / "preview.jpg"
    scene(GRACE, at=(300, 100), width=240).save(preview)  # 640x480
    raw = photos_dir / "DSC_0010.NEF"
    raw.write_bytes(_tiny_raw(preview, size=(1280, 960)))
    photo = read_photo(raw)
    [face] = find_faces(photo)
    top, right, bottom, left = face.box
    # where the face is on the preview, twice as far on the sensor
    assert 600 < left < right < 1080 and 200 < top < bottom < 200 + 560


def test_a_raw_takes_the_zone_its_xmp_gives_for_the_same_moment(photos_dir):
    from test_companions import _tiny_raw

    preview = photos_dir / "preview.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2005:08:03 18:59:18"
    picture((96, 64)).save(preview, exif=exif.tobytes())
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif='
        b'"http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="2005-08-03T18:59:18-04:00"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    raw = photos_dir / "IMG_0001.dng"
    raw.write_bytes(_tiny_raw(preview, xmp))
    photo = read_photo(raw)
    assert photo.taken_at.isoformat() == "2005-08-03T18:59:18-04:00"
    assert photo.zone_source.value == "file"


def test_a_raw_without_a_preview_is_skipped_with_its_reason(photos_dir):
    header = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0) + b"\x00" * 4
    path = photos_dir / "empty.dng"
    path.write_bytes(header + b"\x00" * 64)
    result = read(path)
    assert isinstance(result, Skipped)
    assert "raw" in result.reason


@pytest.mark.parametrize(("suffix", "options"), [
    (".avi", ["-c:v", "mjpeg"]),
    (".mkv", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
    (".MTS", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts"]),
])  # fmt: skip
def test_camera_and_camcorder_videos_are_read(photos_dir, suffix, options):
    path = photos_dir / f"clip{suffix}"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2", *options,
            str(path))  # fmt: skip
    video = read_photo(path)
    assert video.kind is PhotoKind.VIDEO
    assert (video.width, video.height) == (160, 120)
    if suffix != ".MTS":
        assert video.duration == pytest.approx(2.0, abs=0.15)


def test_a_video_that_gives_only_an_instant_is_shown_at_the_local_time_of_its_place(
    photos_dir,
):
    """A QuickTime movie header is UTC: filmed at 20:00 in Lyon, it must not sit at 18:00."""
    path = photos_dir / "evening.mov"
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x48:d=1:r=10", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-metadata", "creation_time=2024-06-14T18:00:00Z",
            "-metadata", "location=+45.7640+004.8357/", str(path))  # fmt: skip
    video = read_photo(path)
    assert video.taken_at.isoformat() == "2024-06-14T20:00:00+02:00"
    assert (video.taken_at_source.value, video.zone_source.value) == ("quicktime", "gps")
